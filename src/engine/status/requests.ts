// What the user asked for through the Application's request annotations (refresh, sync, rollback),
// read once per reconcile. Pure: the conditions it sets explain a request that cannot be honoured.
import { CONDITION_REASONS } from "../errors.js";
import type { ApplicationStatus, Condition, RollbackState } from "../../model/application.js";
import { REFRESH_ANNOTATION, ROLLBACK_ANNOTATION, SYNC_ANNOTATION } from "../../model/contract.js";
import { removeCondition, setCondition } from "./conditions.js";
import { decideRollback } from "./rollback.js";
import type { SelectedResource } from "./syncrequest.js";
import { parseSyncRequest } from "./syncrequest.js";
import { shortRevision } from "../../model/revision.js";

export interface AppRequests {
  /** Look at Git afresh (refresh, sync, rollback or its cancel): no cached revision will do. */
  readonly lookAtGit: boolean;
  /** Sync now on the user's initiative (the sync annotation, or a new rollback). */
  readonly syncRequested: boolean;
  /** Only these resources (all when undefined). */
  readonly selection?: readonly SelectedResource[];
  /** Prune in a manual sync; undefined: follow the policy. */
  readonly prune?: boolean;
  /** Set while the app is pinned to a history entry. */
  readonly rolledBack?: RollbackState;
  /** Request annotations present now: removed once this reconcile has handled them. */
  readonly handled: readonly string[];
  readonly conditions: Condition[];
}

export function readRequests(input: {
  readonly annotations: Readonly<Record<string, string>>;
  readonly previous: ApplicationStatus;
  readonly generation: number | undefined;
  readonly conditions: readonly Condition[] | undefined;
  readonly now: Date;
}): AppRequests {
  const { annotations, previous, generation, now } = input;
  let conditions = [...(input.conditions ?? [])];
  const rollbackRequest = annotations[ROLLBACK_ANNOTATION];
  let rollback = decideRollback({ status: previous, generation, request: rollbackRequest, now });
  if (rollback.kind === "invalid") {
    conditions = setCondition(
      conditions,
      {
        type: "RollbackError",
        status: "True",
        reason: CONDITION_REASONS.InvalidRollback,
        message: rollback.message,
      },
      now,
    );
    rollback = decideRollback({ status: previous, generation, request: undefined, now });
  } else if (rollbackRequest !== undefined) {
    conditions = removeCondition(conditions, "RollbackError");
  }
  const rolledBack = rollback.kind === "active" ? rollback.state : undefined;
  conditions = rolledBack
    ? setCondition(
        conditions,
        {
          type: "AutoSyncPaused",
          status: "True",
          reason: CONDITION_REASONS.RolledBack,
          message: `rolled back to history entry ${rolledBack.id} (${shortRevision(rolledBack.revision)}); new commits are not followed until the spec changes or the annotation tether.dev/rollback=cancel is set`,
        },
        now,
      )
    : removeCondition(conditions, "AutoSyncPaused");

  const sync = parseSyncRequest(annotations[SYNC_ANNOTATION]);
  if (sync.kind === "invalid") {
    conditions = setCondition(
      conditions,
      {
        type: "SyncError",
        status: "True",
        reason: CONDITION_REASONS.InvalidSyncRequest,
        message: sync.message,
      },
      now,
    );
  }
  const syncRequested = sync.kind === "sync" || (rollback.kind === "active" && rollback.requested);
  return {
    lookAtGit: REFRESH_ANNOTATION in annotations || syncRequested || rollbackRequest !== undefined,
    syncRequested,
    selection: sync.kind === "sync" ? sync.resources : undefined,
    prune: sync.kind === "sync" ? sync.prune : undefined,
    rolledBack,
    handled: [REFRESH_ANNOTATION, SYNC_ANNOTATION, ROLLBACK_ANNOTATION].filter((a) => a in annotations),
    conditions,
  };
}
