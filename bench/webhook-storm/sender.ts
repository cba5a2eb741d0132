// The storm's sender, in a worker thread of its own: the bench's main thread also serves Git (the
// controller's ls-remote and fetch) and the API receiving the webhooks, and a sender sharing that
// event loop fell behind its schedule (50–78 pushes/s instead of 100). Here each push moves
// refs/heads/main in order and its webhook is delivered without waiting for the previous one
// (at most MAX_IN_FLIGHT at once). Bounded: exactly `pushes` pushes, then it ends.
import { createHmac } from "node:crypto";
import fs from "node:fs/promises";
import { setTimeout as delay } from "node:timers/promises";
import { parentPort, workerData } from "node:worker_threads";

export interface SenderInput {
  /** Commits in order; pushes 1..pushes move main to shas[k]. */
  readonly shas: readonly string[];
  readonly changedFiles: readonly (readonly string[])[];
  /** refs/heads/main of the server's bare repository. */
  readonly ref: string;
  readonly template: Record<string, unknown>;
  readonly headers: Record<string, string>;
  readonly repository: Record<string, unknown>;
  readonly webhookUrl: string;
  readonly secret: string;
  readonly rate: number;
  readonly pushes: number;
  /** The commit main is at before the first push. */
  readonly before: string;
}

export interface SenderResult {
  readonly responses: [number, number][];
  readonly stormMs: number;
  readonly maxInFlight: number;
  /** The commit main is at after the last push. */
  readonly before: string;
}

const MAX_IN_FLIGHT = 64;

type PushTarget = Omit<SenderInput, "rate" | "pushes" | "before">;

/**
 * Pushes in order: `move(k)` moves main to commit k (lock file + rename, as git does) and returns
 * the delivery of its webhook, to be awaited or not; `responses` counts the answers by status.
 */
export function pusher(input: PushTarget, initial: string) {
  const responses = new Map<number, number>();
  let before = initial;
  const deliver = async (body: Buffer) => {
    let status = 0; // 0: the delivery itself failed (connection refused, reset)
    try {
      const response = await fetch(input.webhookUrl, {
        method: "POST",
        body,
        headers: {
          ...input.headers,
          "X-Hub-Signature-256": `sha256=${createHmac("sha256", input.secret).update(body).digest("hex")}`,
        },
      });
      await response.arrayBuffer();
      status = response.status;
    } catch {
      status = 0;
    }
    responses.set(status, (responses.get(status) ?? 0) + 1);
  };
  const move = async (k: number) => {
    const after = input.shas[k] ?? "";
    await fs.writeFile(`${input.ref}.lock`, `${after}\n`);
    await fs.rename(`${input.ref}.lock`, input.ref);
    const commit = {
      id: after,
      message: `storm ${k}`,
      timestamp: new Date().toISOString(),
      added: [],
      removed: [],
      modified: input.changedFiles[k],
    };
    const body = Buffer.from(
      JSON.stringify({
        ...input.template,
        ref: "refs/heads/main",
        before,
        after,
        repository: input.repository,
        commits: [commit],
        head_commit: commit,
      }),
    );
    before = after;
    return () => deliver(body);
  };
  return { move, responses, head: () => before };
}

async function main(input: SenderInput): Promise<SenderResult> {
  const { move, responses, head } = pusher(input, input.before);
  const start = performance.now();
  const inFlight = new Set<Promise<void>>();
  let maxInFlight = 0;
  for (let k = 1; k <= input.pushes; k++) {
    const wait = start + ((k - 1) * 1000) / input.rate - performance.now();
    if (wait > 0) await delay(wait);
    const send = await move(k);
    const p: Promise<void> = send().finally(() => inFlight.delete(p));
    inFlight.add(p);
    maxInFlight = Math.max(maxInFlight, inFlight.size);
    if (inFlight.size >= MAX_IN_FLIGHT) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  return { responses: [...responses], stormMs: performance.now() - start, maxInFlight, before: head() };
}

if (parentPort && workerData) {
  const port = parentPort;
  main(workerData as SenderInput).then(
    (result) => port.postMessage({ result }),
    (error: unknown) => port.postMessage({ error: String(error) }),
  );
}
