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
