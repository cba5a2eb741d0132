// What the `tether app` commands need from Tether, whichever way it is reached: over the API server
// (HttpBackend) or straight to the cluster with the user's kubeconfig (KubeBackend). Both speak the
// API's own types (src/api/types.ts), so every command prints the same thing in either mode.
import type {
  ClusterView,
  ApplicationDetail,
  ApplicationSummary,
  ApplicationWrite,
  DiffResponse,
  ErrorBody,
  HistoryEntryView,
  ResourceNode,
  SyncRequest,
} from "../../api/types.js";

/** An application's address: the API's `/applications/:namespace/:name`. */
export interface AppRef {
  namespace: string;
  name: string;
}

export interface ListFilter {
  project?: string;
  sync?: string;
  health?: string;
  /** `key=value` or `key`. */
  labels?: string[];
}

export interface Backend {
  /** "api <url>" or "kubeconfig <context>": said in messages so the user knows what answered. */
  readonly description: string;
  list(filter?: ListFilter): Promise<ApplicationSummary[]>;
  get(ref: AppRef): Promise<ApplicationDetail>;
  create(body: ApplicationWrite): Promise<ApplicationDetail>;
  remove(ref: AppRef, cascade: boolean): Promise<void>;
  refresh(ref: AppRef, hard: boolean): Promise<void>;
  /** A real sync is a request the controller acts on; a dry run answers the diff at once. */
  sync(ref: AppRef, request: SyncRequest): Promise<DiffResponse | undefined>;
  rollback(ref: AppRef, id: number | "cancel"): Promise<void>;
  history(ref: AppRef): Promise<HistoryEntryView[]>;
  diff(ref: AppRef): Promise<DiffResponse>;
  tree(ref: AppRef): Promise<ResourceNode[]>;
  /** In-cluster and the cluster Secrets, with their connection status (never credentials). */
  clusters(): Promise<ClusterView[]>;
  close(): void;
}

/** A failure Tether answered with: the API's ErrorBody, in either mode. */
export class BackendError extends Error {
  override readonly name = "BackendError";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }

  static fromBody(status: number, body: ErrorBody): BackendError {
    return new BackendError(status, body.error.code, body.error.message, body.error.field);
  }
}

/** The API server could not be reached at all (connection refused, DNS, timeout). */
export class UnreachableError extends Error {
  override readonly name = "UnreachableError";
}
