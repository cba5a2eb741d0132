// What a finished sync leaves in status: the operation's outcome with its change set, a history
// entry (commit, author, message, result, initiator) and the SyncError condition. Pure.
import { CONDITION_REASONS } from "../errors.js";
import type {
  ApplicationSource,
  ApplicationStatus,
  OperationState,
  ResourceRef,
  RevisionInfo,
} from "../../model/application.js";
import { groupOf, refKey } from "../../model/ref.js";
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

type OperationResult = NonNullable<OperationState["results"]>[number];

function refOf(r: ChangeEntry): ResourceRef {
  const slash = r.apiVersion.indexOf("/");
  return {
    group: groupOf(r.apiVersion),
    version: slash < 0 ? r.apiVersion : r.apiVersion.slice(slash + 1),
    kind: r.kind,
    namespace: r.namespace,
    name: r.name,
  };
}

/** A change-set entry as the operation keeps it in status. */
export function toOperationResult(r: ChangeEntry): OperationResult {
  return { ref: refOf(r), action: r.action, message: r.message };
}

/** Back from status: the change-set entries of an operation that spans several reconciles. */
export function fromOperationResult(r: OperationResult): ChangeEntry {
  const { group, version = "", kind, namespace, name } = r.ref;
  return {
    apiVersion: group ? `${group}/${version}` : version,
    kind,
    namespace,
    name,
    action: r.action,
    message: r.message,
  };
}

/** Adds entries to the operation's results; a later entry for the same object replaces the earlier. */
export function mergeResults(
  results: readonly OperationResult[] | undefined,
  entries: readonly ChangeEntry[],
): OperationResult[] {
  const key = (r: OperationResult) => refKey(r.ref);
  const merged = new Map((results ?? []).map((r) => [key(r), r]));
  for (const entry of entries) {
    const result = toOperationResult(entry);
    merged.delete(key(result));
    merged.set(key(result), result);
  }
  return [...merged.values()];
}

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
  /** Why the operation failed when no single object did (a hook, a Degraded wave, a timeout). */
  readonly failure?: string;
  /** Kept from the running operation: its id and the hooks it ran. */
  readonly carried?: Pick<OperationState, "id" | "hooks">;
}): { status: ApplicationStatus; phase: "Succeeded" | "Failed"; summary: string } {
  const { results, revision } = input;
  const failures = results.filter((r) => r.action === "failed");
  const phase = failures.length > 0 || input.failure !== undefined ? "Failed" : "Succeeded";
  const summary =
    input.failure ??
    (failures.length > 0
      ? failures.map((f) => `${f.kind} ${f.name}: ${f.message ?? ""}`).join("; ")
      : `${results.filter((r) => r.action !== "kept").length} change(s) applied`);
  const finishedAt = input.finishedAt.toISOString();
  const conditions =
    phase === "Failed"
      ? setCondition(
          input.status.conditions,
          { type: "SyncError", status: "True", reason: CONDITION_REASONS.SyncFailed, message: summary },
          input.finishedAt,
        )
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
        ...input.carried,
        phase,
        revision: revision.revision,
        startedAt: input.startedAt,
        finishedAt,
        initiatedBy: input.initiatedBy,
        retryCount: input.retryCount,
        message: summary,
        results: results.slice(0, RESULTS_KEPT).map(toOperationResult),
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
