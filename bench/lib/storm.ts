// Webhook storms shared by bench/webhook-storm and bench/soak: a chain of commits built up front
// with one `git fast-import` (a real `git push` costs ~60 ms here), and the sender
// (bench/webhook-storm/sender.ts) run in a worker thread of its own, so the bench's main thread,
// which also serves Git and the API receiving the webhooks, does not slow it down.
import { spawn } from "node:child_process";
import fs from "node:fs/promises";
import path from "node:path";
import { Worker } from "node:worker_threads";
import type { SenderInput, SenderResult } from "../webhook-storm/sender.js";
import { startApiServer } from "../../src/api/server.js";
import type { Fleet } from "./fleet.js";
import type { BenchRun } from "./run.js";

/** Builds a chain of commits on refs/heads/<branch> from `parent`; returns their SHAs in order. */
export async function buildCommits(
  dir: string,
  parent: string,
  changes: readonly Record<string, string>[],
  branch = "storm",
): Promise<string[]> {
  const marks = path.join(dir, "..", `marks-${process.pid}`);
  const child = spawn("git", ["fast-import", "--quiet", `--export-marks=${marks}`], {
    cwd: dir,
    stdio: ["pipe", "ignore", "inherit"],
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  const write = (text: string) =>
    new Promise<void>((resolve, reject) => child.stdin.write(text, (e) => (e ? reject(e) : resolve())));
  const data = (text: string) => `data ${Buffer.byteLength(text)}\n${text}\n`;
  for (const [i, files] of changes.entries()) {
    const at = 1_700_000_000 + i;
    let chunk = `commit refs/heads/${branch}\nmark :${i + 1}\ncommitter Bench <bench@tether.dev> ${at} +0000\n${data(`storm ${i}`)}from ${i === 0 ? parent : `:${i}`}\n`;
    for (const [file, content] of Object.entries(files)) chunk += `M 100644 inline ${file}\n${data(content)}`;
    await write(chunk);
  }
  child.stdin.end();
  if ((await exited) !== 0) throw new Error("git fast-import failed");
  const shas = new Map<number, string>();
  for (const line of (await fs.readFile(marks, "utf8")).trim().split("\n")) {
    const [mark = "", sha = ""] = line.split(" ");
    shas.set(Number(mark.slice(1)), sha);
  }
  await fs.rm(marks, { force: true });
  return changes.map((_, i) => shas.get(i + 1) ?? "");
}

/** Runs one storm (`input.pushes` pushes at `input.rate`/s) in a worker thread; resolves with its result. */
export async function stormInWorker(run: BenchRun, input: SenderInput): Promise<SenderResult> {
  // The worker loads TypeScript through tsx's API (a worker's entry module is loaded before any
  // --import hook of its own would be registered).
  const sender = new URL("../webhook-storm/sender.ts", import.meta.url).href;
  const bootstrap = `import("tsx/esm/api").then(({ register }) => { register(); return import(${JSON.stringify(sender)}); })`;
  const worker = new Worker(bootstrap, { eval: true, workerData: input });
  run.defer("stop the storm sender", () => worker.terminate().then(() => undefined));
  try {
    return await new Promise<SenderResult>((resolve, reject) => {
      worker.once("message", (m: { result?: SenderResult; error?: string }) =>
        m.result ? resolve(m.result) : reject(new Error(m.error)),
      );
      worker.once("error", reject);
    });
  } finally {
    await worker.terminate();
  }
}

const SECRET = "bench-webhook-secret";

/** Where a storm pushes and delivers: main's ref file and the webhook endpoint, less the commits. */
export type WebhookTarget = Omit<SenderInput, "shas" | "changedFiles" | "rate" | "pushes" | "before">;

/**
 * The API server in this process, receiving GitHub push webhooks for the fleet's repository
 * (signed with a bench secret; payloads from testdata/webhooks with the repository's URLs).
 */
export async function startWebhookReceiver(run: BenchRun, fleet: Fleet): Promise<WebhookTarget> {
  const api = await startApiServer({
    auth: false,
    clients: fleet.clients,
    namespace: fleet.appNamespace,
    webhookSecrets: { github: SECRET },
  });
  run.defer("stop the API server", () => api.close());
  const template = JSON.parse(await fs.readFile("testdata/webhooks/github-push.json", "utf8")) as Record<
    string,
    unknown
  >;
  const headers = JSON.parse(
    await fs.readFile("testdata/webhooks/github-push.headers.json", "utf8"),
  ) as Record<string, string>;
  const repository = { ...(template["repository"] as Record<string, unknown>) };
  for (const key of ["html_url", "url", "git_url", "ssh_url", "clone_url", "svn_url"])
    repository[key] = fleet.repoURL;
  return {
    ref: path.join(fleet.barePath, "refs/heads/main"),
    template,
    headers,
    repository,
    webhookUrl: `${api.url}/api/webhook`,
    secret: SECRET,
  };
}
