// `tether app wait`: poll the application's detail until it is Synced and/or Healthy.
//
// Polling, not the SSE stream: the stream's events carry the summary, but deciding needs the
// detail — the request annotations still pending (a sync asked for a second ago has not happened
// yet even if the app shows Synced from before) and the operation state (a failed sync). One GET a
// second is cheap, and the same loop serves the kubeconfig mode, which has no stream.
import { setTimeout as delay } from "node:timers/promises";
import type { ApplicationDetail } from "../../api/types.js";
import { REFRESH_ANNOTATION, ROLLBACK_ANNOTATION, SYNC_ANNOTATION } from "../../model/contract.js";
import type { AppRef, Backend } from "../client/backend.js";
import { shortRevision } from "./format.js";

export interface WaitWant {
  sync: boolean;
  health: boolean;
}

export type WaitDecision =
  { kind: "done" } | { kind: "failed"; reason: string } | { kind: "pending"; reason: string };

const REQUESTS = [SYNC_ANNOTATION, REFRESH_ANNOTATION, ROLLBACK_ANNOTATION];

/** Pure: where the app stands with respect to what is awaited. */
export function waitDecision(app: ApplicationDetail, want: WaitWant): WaitDecision {
  const pending = REQUESTS.filter((a) => app.annotations?.[a] !== undefined);
  if (pending.length > 0) return { kind: "pending", reason: `request ${pending.join(", ")} not handled yet` };
  const phase = (app.operationState as { phase?: string } | undefined)?.phase;
  const syncOk = !want.sync || (app.sync === "Synced" && phase !== "Running");
  const healthOk = !want.health || app.health === "Healthy";
  if (syncOk && healthOk) return { kind: "done" };
  if (phase === "Failed") {
    const message = (app.operationState as { message?: string }).message;
    return { kind: "failed", reason: `sync failed${message ? `: ${message}` : ""}` };
  }
  if (want.health && app.health === "Degraded") {
    return {
      kind: "failed",
      reason: `health is Degraded${app.healthMessage ? `: ${app.healthMessage}` : ""}`,
    };
  }
  const waiting = [!syncOk ? `sync ${app.sync}` : "", !healthOk ? `health ${app.health}` : ""].filter(
    Boolean,
  );
  return { kind: "pending", reason: waiting.join(", ") };
}

export function statusLine(app: ApplicationDetail, elapsedMs: number): string {
  const revision = app.revision ? ` at ${shortRevision(app.revision)}` : "";
  return `${app.namespace}/${app.name}: sync ${app.sync}${revision}, health ${app.health} (${Math.round(elapsedMs / 1000)}s)`;
}

export type WaitResult =
  | { kind: "done"; app: ApplicationDetail }
  | { kind: "failed"; reason: string; app: ApplicationDetail }
  | { kind: "timeout"; reason: string };

export interface WaitOptions {
  timeoutMs: number;
  intervalMs?: number;
  /** Called on every poll; the caller draws progress. */
  progress?: (app: ApplicationDetail, decision: WaitDecision, elapsedMs: number) => void;
}

export async function waitForApp(
  backend: Backend,
  ref: AppRef,
  want: WaitWant,
  options: WaitOptions,
): Promise<WaitResult> {
  const started = Date.now();
  let last = "no answer yet";
  for (;;) {
    const app = await backend.get(ref); // a failure (not found, 401) ends the wait: it will not fix itself
    const elapsed = Date.now() - started;
    const decision = waitDecision(app, want);
    options.progress?.(app, decision, elapsed);
    if (decision.kind === "done") return { kind: "done", app };
    if (decision.kind === "failed") return { kind: "failed", reason: decision.reason, app };
    last = decision.reason;
    const left = options.timeoutMs - elapsed;
    if (left <= 0) return { kind: "timeout", reason: last };
    await delay(Math.min(options.intervalMs ?? 1_000, left));
  }
}

/** Progress on a terminal: one line rewritten in place; elsewhere a plain line per change. */
export function progressPrinter(stream: NodeJS.WriteStream): {
  update: (app: ApplicationDetail, decision: WaitDecision, elapsedMs: number) => void;
  end: () => void;
} {
  let previous = "";
  let drawn = false;
  return {
    update(app, decision, elapsed) {
      const suffix = decision.kind === "pending" ? ` — waiting: ${decision.reason}` : "";
      if (stream.isTTY) {
        stream.write(`\r\x1b[K${statusLine(app, elapsed)}${suffix}`);
        drawn = true;
        return;
      }
      const line = `${app.namespace}/${app.name}: sync ${app.sync}, health ${app.health}${suffix}`;
      if (line !== previous) stream.write(`${line}\n`);
      previous = line;
    },
    end() {
      if (drawn) stream.write("\n");
      drawn = false;
    },
  };
}
