// One error vocabulary for the whole pipeline. Every stage fails with one of these: a stable
// machine-readable `reason` (used in status conditions, metrics and tests) and a human message
// that names the object and field at fault. Callers decide from `stage`/`reason`, never from text.

export type Stage = "source" | "render" | "diff" | "apply" | "prune" | "health" | "spec";

/** Stable reason codes. Add new ones here; never rename one (they are part of the status API). */
export type ErrorReason =
  // source
  | "RepositoryNotFound"
  | "AuthenticationFailed"
  | "RepositoryUnreachable"
  | "RevisionNotFound"
  | "InvalidRevision"
  | "UnsupportedURL"
  | "GitCommandFailed"
  | "DigestMismatch"
  | "UnsafeArchive"
  // render
  | "PathOutsideRepository"
  | "PathNotFound"
  | "InvalidManifest"
  | "LimitExceeded"
  | "RenderTimeout"
  | "KustomizeFailed"
  | "RemoteBaseRefused"
  | "HelmFailed"
  | "DecryptionFailed"
  | "RendererUnavailable"
  // apply / prune / spec
  | "ApplyFailed"
  | "FieldOwnershipConflict"
  | "PruneFailed"
  | "InvalidSpec";

export abstract class TetherError extends Error {
  abstract readonly stage: Stage;
  constructor(
    readonly reason: ErrorReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export class SourceError extends TetherError {
  override readonly name = "SourceError";
  readonly stage = "source";
}

export class RenderError extends TetherError {
  override readonly name = "RenderError";
  readonly stage = "render";
}

export class ApplyError extends TetherError {
  override readonly name = "ApplyError";
  readonly stage = "apply";
}

export class InvalidSpec extends TetherError {
  override readonly name = "InvalidSpec";
  readonly stage = "spec";
  constructor(message: string, options?: { cause?: unknown }) {
    super("InvalidSpec", message, options);
  }
}

export function isTetherError(error: unknown): error is TetherError {
  return error instanceof TetherError;
}

export class PruneError extends TetherError {
  override readonly name = "PruneError";
  readonly stage = "prune";
}

/**
 * Every reason a reconcile writes on a status condition or a change-set entry, once, with what it
 * means. Code names a reason through this table (`CONDITION_REASONS.EmptyRender`), never as a free
 * string: a typo is then a type error, and a reader finds every reason a condition can carry here.
 * The values are part of the status API: add, never rename.
 */
// prettier-ignore
const REASON_MEANINGS = {
  InvalidSpec:            "the spec (or a sync option, an ignoreDifferences rule, the destination) is invalid",
  ClusterUnreachable:     "the destination cluster does not answer: nothing applied or pruned",
  ComparisonFailed:       "source, render or compare failed for a reason that is not a TetherError",
  WatchFailed:            "a kind the app needs cannot be watched (typically RBAC)",
  DryRunFailed:           "a server-side apply dry-run failed",
  NotPermittedByProject:  "objects carrying this app's marks lie outside its project: kept",
  SharedResource:         "an object is managed by another application",
  FieldManagerConflict:   "self-heal paused: another writer keeps changing an object",
  EmptyRender:            "the render is empty: nothing is pruned without allowEmpty",
  SyncFailed:             "the last sync operation failed",
  PolicyViolation:        "the policy gate refused the sync (operation step PolicyCheck)",
  PolicyDenied:           "spec.policy under deny found violations: nothing applied or pruned",
  PolicyWarning:          "spec.policy under warn found violations: applied anyway",
  InvalidPolicyRule:      "a policy rule the project selects cannot be evaluated",
  DependencyNotFound:     "an application named in dependsOn does not exist",
  DependenciesNotReady:   "an application named in dependsOn is not Synced and Healthy yet",
  DependencyCycle:        "dependsOn forms a cycle",
  SyncWindowClosed:       "a sync window of the project forbids syncing now",
  ProjectNotFound:        "the app's project does not exist",
  InvalidProject:         "the app's project is invalid",
  SourceNamespaceNotPermitted: "the project does not allow Applications in this namespace",
  SourceNotPermitted:     "the project does not allow the app's repository",
  DestinationNotPermitted: "the project does not allow the app's destination",
  ResourceNotPermitted:   "a rendered object lies outside the project",
  RolledBack:             "the app is pinned to a history entry (automated sync paused)",
  InvalidRollback:        "the rollback annotation names no usable history entry",
  InvalidSyncRequest:     "the sync annotation cannot be parsed",
  WriteRejected:          "the apiserver refused the last status write",
  InvalidHealthRule:      "a health rule could not judge a resource",
  ApplyFailed:            "an object could not be applied",
  FieldOwnershipConflict: "another Apply field manager owns fields of the object (Force=true takes them)",
  PruneFailed:            "an object could not be deleted",
  PruneDisabled:          "an object requires pruning but prune is off",
  Pruned:                 "an object was deleted",
  AlreadyGone:            "an object to prune was already gone",
} as const;

export type ConditionReason = keyof typeof REASON_MEANINGS;

/** The reasons by name: `CONDITION_REASONS.EmptyRender === "EmptyRender"`. */
export const CONDITION_REASONS = Object.fromEntries(Object.keys(REASON_MEANINGS).map((k) => [k, k])) as {
  readonly [K in ConditionReason]: K;
};

/** What a reason means, for docs and the CLI. */
export function reasonMeaning(reason: ConditionReason): string {
  return REASON_MEANINGS[reason];
}
