// The end of a reconcile, as a value: from the plan and what executing it did (the operation's
// progress, the objects as applied, their health), the final status, the Events that go with it
// and when to look again. Pure, like ./planReconcile.ts.
import type {
  ApplicationSource,
  ApplicationStatus,
  HealthStatus,
  ResourceStatus,
  RevisionInfo,
} from "../../model/application.js";
import type { ChangeSetEntry } from "../apply/writer.js";
import { CONDITION_REASONS } from "../errors.js";
import { healthCheckCondition } from "../health/condition.js";
import { fromOperationResult, recordOperation } from "../status/operation.js";
import { retryWaitMs } from "../status/retry.js";
import type { OperationProgress } from "../apply/operation.js";
import type { PlanEvent } from "./events.js";
import type { Plan, PlanComparison } from "./types.js";
import { shortRevision } from "../../model/revision.js";

/** A running operation is woken by watch events on what it waits for; this is the backstop. */
export const OPERATION_RECHECK_MS = 2_000;
export const PROGRESSING_RECHECK_MS = 5_000;

export interface Conclusion {
  readonly status: ApplicationStatus;
  readonly events: readonly PlanEvent[];
  readonly requeueAfterMs: number;
  /** Self-heal re-applied drift: the controller counts it against the hot-loop guard. */
  readonly healed: boolean;
}

export function concludeReconcile<C extends PlanComparison>(input: {
  readonly plan: Plan<C>;
  readonly previous: ApplicationStatus;
  readonly status: ApplicationStatus;
  readonly revision: RevisionInfo & { readonly revision: string };
  readonly source: ApplicationSource;
  readonly sourceType: ApplicationStatus["sourceType"];
  /** What the operation did, when one ran. */
  readonly progress?: OperationProgress;
  /** The comparisons with the objects as applied (an applied object is Synced). */
  readonly comparisons: readonly C[];
  readonly resources: ResourceStatus[];
  readonly health: HealthStatus;
  readonly healthErrors: readonly string[];
  readonly retryBackoff: Parameters<typeof retryWaitMs>[1];
  /** When the operation finished (the clock after executing). */
  readonly finishedAt: Date;
  readonly now: Date;
  /** The poll interval, jittered by the caller. */
  readonly pollAfterMs: number;
}): Conclusion {
  const { plan, previous, progress, now } = input;
  const events: PlanEvent[] = [];
  let status: ApplicationStatus = input.status;
  let syncStatus = plan.syncStatus;
  let operationRunning = false;
  /** SyncSucceeded or DriftCorrected says "now Synced" already. */
  let syncAnnounced = false;
  let healed = false;
  const running =
    plan.operation.kind === "continue" || plan.operation.kind === "start" ? plan.operation : undefined;
  if (running && progress) {
    const { op } = running;
    const results: readonly ChangeSetEntry[] = progress.entries;
    if (progress.outcome === "Running") {
      operationRunning = true;
      status = { ...status, operationState: { ...progress.op, message: progress.message } };
      // SyncStarted only for a sync that waits (hooks, waves, health): one that ends in the
      // reconcile that started it says everything in its SyncSucceeded or SyncFailed Event, and
      // in a sync storm every Event is a request the syncs wait behind.
      if (running.kind === "start")
        events.push({
          type: "Normal",
          reason: "SyncStarted",
          message: `sync of ${shortRevision(op.revision)} started (${op.initiatedBy})`,
        });
    } else {
      const outcome = recordOperation({
        status,
        previous,
        results: (progress.op.results ?? []).map(fromOperationResult),
        source: input.source,
        initiatedBy: op.initiatedBy ?? "auto",
        retryCount: plan.verdict.retryCount,
        startedAt: op.startedAt,
        finishedAt: input.finishedAt,
        keepSyncError: plan.emptyRenderBlocked,
        failure: progress.outcome === "Failed" ? progress.message : undefined,
        carried: { id: op.id, hooks: progress.op.hooks },
        revision: input.revision,
      });
      status = outcome.status;
      if (outcome.phase === "Failed") {
        events.push({ type: "Warning", reason: "SyncFailed", message: outcome.summary });
      } else {
        healed = plan.verdict.selfHeal && running.kind === "start";
        syncAnnounced = true;
        events.push({
          type: "Normal",
          reason: healed ? "DriftCorrected" : "SyncSucceeded",
          message: `${healed ? "drift corrected" : "synced"} at ${shortRevision(input.revision.revision)}: ${outcome.summary}`,
        });
      }
    }
    const outOfSync = input.comparisons.some(
      (c) => c.result.status === "OutOfSync" || plan.sharedWith[c.desired.key] !== undefined,
    );
    // Kept because prune is off: the object still requires pruning (a code, never the message).
    const stillPrunable = results.some(
      (r) => r.action === "kept" && r.reason === CONDITION_REASONS.PruneDisabled,
    );
    const failed = results.some((r) => r.action === "failed");
    syncStatus = outOfSync || stillPrunable || plan.emptyRenderBlocked || failed ? "OutOfSync" : "Synced";
  }

  status = {
    ...status,
    conditions: healthCheckCondition(status.conditions, input.healthErrors, now),
  };
  status = {
    ...status,
    sync: { status: syncStatus, revision: input.revision.revision, comparedTo: input.source },
    health: input.health,
    resources: input.resources,
    sourceType: input.sourceType,
    revisionInfo: input.revision,
  };
  events.push(...transitions(previous, status, syncAnnounced));

  // A failed sync with retries left is looked at again when its backoff (from its finish) is over.
  const failedOp =
    status.operationState?.phase === "Failed" && (status.operationState.retryCount ?? 0) < plan.retryLimit
      ? status.operationState
      : undefined;
  const retryAfter = failedOp
    ? Math.max(retryWaitMs(failedOp, input.retryBackoff, input.finishedAt), 1)
    : undefined;
  const requeueAfterMs = operationRunning
    ? OPERATION_RECHECK_MS
    : (retryAfter ?? (input.health.status === "Progressing" ? PROGRESSING_RECHECK_MS : input.pollAfterMs));
  return { status, events, requeueAfterMs: windowCapped(requeueAfterMs, plan.windowOpensAt, now), healed };
}

/** The requeue, shortened to the moment a closed sync window opens. */
function windowCapped(ms: number, opensAt: Date | undefined, now: Date): number {
  if (!opensAt) return ms;
  return Math.min(ms, Math.max(1_000, opensAt.getTime() - now.getTime() + 500));
}

/** Events for a changed sync or health status. */
function transitions(
  previous: ApplicationStatus,
  next: ApplicationStatus,
  syncAnnounced: boolean,
): PlanEvent[] {
  const events: PlanEvent[] = [];
  // After a successful sync, "sync status → Synced" repeats the SyncSucceeded Event just recorded.
  const repeated = syncAnnounced && next.sync?.status === "Synced";
  if (previous.sync?.status !== next.sync?.status && next.sync?.status && !repeated) {
    events.push({
      type: next.sync.status === "OutOfSync" ? "Warning" : "Normal",
      reason: next.sync.status,
      message: `sync status ${previous.sync?.status ?? "none"} → ${next.sync.status}`,
    });
  }
  // An app's first health assessment is news only when it is not Healthy (Progressing, Degraded…).
  const firstAndHealthy = previous.health?.status === undefined && next.health?.status === "Healthy";
  if (previous.health?.status !== next.health?.status && next.health?.status && !firstAndHealthy) {
    const bad = next.health.status === "Degraded" || next.health.status === "Missing";
    events.push({
      type: bad ? "Warning" : "Normal",
      reason: `Health${next.health.status}`,
      message: `health ${previous.health?.status ?? "none"} → ${next.health.status}${next.health.message ? `: ${next.health.message}` : ""}`,
    });
  }
  return events;
}
