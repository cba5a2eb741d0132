// What a finished sync leaves in status: the operation's outcome with its change set, a history
// entry (commit, author, message, result, initiator) and the SyncError condition. Pure.
import type { ApplicationSource, ApplicationStatus, RevisionInfo } from "../../model/application.js";
import { groupOf } from "../prune/ownership.js";
import { appendHistory, removeCondition, setCondition } from "./conditions.js";

export interface ChangeEntry {
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
  readonly action: string;
  readonly message?: string;
}

const RESULTS_KEPT = 100;

export function recordOperation(input: {
  readonly status: ApplicationStatus;
  readonly previous: ApplicationStatus;
  readonly results: readonly ChangeEntry[];
  readonly revision: RevisionInfo;
  readonly source: ApplicationSource;
  readonly initiatedBy: "auto" | "manual";
  readonly retryCount: number;
  readonly startedAt: string;
  readonly finishedAt: Date;
  /** An empty-render refusal owns the SyncError condition: a successful sync must not clear it. */
  readonly keepSyncError: boolean;
}): { status: ApplicationStatus; phase: "Succeeded" | "Failed"; summary: string } {
  const { results, revision } = input;
  const failures = results.filter((r) => r.action === "failed");
  const phase = failures.length > 0 ? "Failed" : "Succeeded";
  const summary =
    failures.length > 0
      ? failures.map((f) => `${f.kind} ${f.name}: ${f.message ?? ""}`).join("; ")
      : `${results.filter((r) => r.action !== "kept").length} change(s) applied`;
  const finishedAt = input.finishedAt.toISOString();
  const conditions =
    phase === "Failed"
      ? setCondition(input.status.conditions, { type: "SyncError", status: "True", reason: "SyncFailed", message: summary }, input.finishedAt) // prettier-ignore
      : input.keepSyncError
        ? input.status.conditions
        : removeCondition(input.status.conditions, "SyncError");
  return {
    phase,
    summary,
    status: {
      ...input.status,
      conditions,
      operationState: {
        phase,
        revision: revision.revision,
        startedAt: input.startedAt,
        finishedAt,
        initiatedBy: input.initiatedBy,
        retryCount: input.retryCount,
        message: summary,
        results: results.slice(0, RESULTS_KEPT).map((r) => ({
          ref: { group: groupOf(r.apiVersion), kind: r.kind, namespace: r.namespace, name: r.name },
          action: r.action,
          message: r.message,
        })),
      },
      history: appendHistory(input.previous.history, {
        revision: revision.revision,
        author: revision.author,
        date: revision.date,
        message: revision.message,
        deployedAt: finishedAt,
        result: phase,
        initiatedBy: input.initiatedBy,
        source: input.source,
      }),
    },
  };
}
