// The Application resource (tether.dev/v1alpha1): the contract shared by controller, API, CLI and
// UI. Field names follow Argo CD's Application where the meaning is the same, so manifests and
// habits carry over. The CRD schema in deploy/ is checked against these types by a test.

export const GROUP = "tether.dev";
export const VERSION = "v1alpha1";
export const API_VERSION = `${GROUP}/${VERSION}`;

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  creationTimestamp?: string;
  deletionTimestamp?: string;
  ownerReferences?: OwnerReference[];
}

export interface DirectorySource {
  recurse?: boolean;
  /** Glob (or `{a,b}` list of globs) of files to include, relative to `path`. */
  include?: string;
  exclude?: string;
}

export interface KustomizeSource {
  /** Extra flags for `kustomize build`, e.g. ["--enable-helm"]; checked against an allow-list. */
  buildOptions?: string[];
  namePrefix?: string;
  nameSuffix?: string;
  namespace?: string;
  images?: string[];
  commonLabels?: Record<string, string>;
  commonAnnotations?: Record<string, string>;
}

export interface HelmParameter {
  name: string;
  value: string;
  /** --set-string instead of --set. */
  forceString?: boolean;
}

export interface HelmSource {
  releaseName?: string;
  /** Files inside the repository, relative to the chart's path. */
  valueFiles?: string[];
  /** Inline values as YAML text. */
  values?: string;
  parameters?: HelmParameter[];
  /** Render CRDs from the chart's crds/ folder (default true). */
  includeCRDs?: boolean;
  skipCrds?: boolean;
}

export type SourceType = "Directory" | "Kustomize" | "Helm";

export interface ApplicationSource {
  /** Git URL (https, http, ssh, git, file) or, with `chart`, a Helm repository (https or oci://). */
  repoURL: string;
  /** Branch, tag, commit SHA, HEAD, or a semver range over tags; for a Helm repository, a chart version. */
  targetRevision?: string;
  /** Folder inside the repository (Git sources). */
  path?: string;
  /** Chart name in a Helm repository (instead of `path`). */
  chart?: string;
  /** Forces the render type instead of detecting it. */
  type?: SourceType;
  directory?: DirectorySource;
  kustomize?: KustomizeSource;
  helm?: HelmSource;
}

export interface ApplicationDestination {
  /** API server URL; `https://kubernetes.default.svc` (or empty) is the cluster Tether runs in. */
  server?: string;
  /** Cluster name, as registered; alternative to `server`. */
  name?: string;
  namespace?: string;
}

export interface RetryBackoff {
  /** Go-style duration, e.g. "5s". */
  duration?: string;
  factor?: number;
  maxDuration?: string;
}

export interface SyncPolicy {
  automated?: { prune?: boolean; selfHeal?: boolean; allowEmpty?: boolean };
  /** e.g. "CreateNamespace=true", "PruneLast=true", "ServerSideApply=true", "ApplyOutOfSyncOnly=true". */
  syncOptions?: string[];
  retry?: { limit?: number; backoff?: RetryBackoff };
}

export interface IgnoreDifference {
  group?: string;
  kind: string;
  name?: string;
  namespace?: string;
  jsonPointers?: string[];
  jqPathExpressions?: string[];
  managedFieldsManagers?: string[];
}

/** Another Application that must be Synced and Healthy before this one syncs. */
export interface ApplicationDependency {
  name: string;
  /** Default: this Application's namespace. */
  namespace?: string;
}

/**
 * Decryption of SOPS-encrypted manifests, as Flux's Kustomization `spec.decryption`: age
 * identities in the data entries ending `.agekey` of a Secret in the Application's namespace.
 */
export interface ApplicationDecryption {
  provider: "sops";
  secretRef: { name: string };
}

export interface ApplicationSpec {
  source: ApplicationSource;
  destination: ApplicationDestination;
  /** The AppProject (in Tether's system namespace) whose rules apply; empty: `default`. */
  project?: string;
  /** Applications that must be Synced and Healthy before this one syncs. */
  dependsOn?: ApplicationDependency[];
  syncPolicy?: SyncPolicy;
  ignoreDifferences?: IgnoreDifference[];
  /** Decrypt SOPS-encrypted manifests with the age keys of a Secret (Flux-style). */
  decryption?: ApplicationDecryption;
}

export type SyncStatusCode = "Synced" | "OutOfSync" | "Unknown";
export type HealthStatusCode = "Healthy" | "Progressing" | "Degraded" | "Missing" | "Suspended" | "Unknown";

export interface HealthStatus {
  status: HealthStatusCode;
  message?: string;
}

export interface ResourceRef {
  group: string;
  version?: string;
  kind: string;
  namespace?: string;
  name: string;
}

export interface ResourceStatus extends ResourceRef {
  status: SyncStatusCode;
  health?: HealthStatus;
  message?: string;
  /** The fields that differ (JSON pointers), when OutOfSync. */
  diff?: string[];
}

export interface Condition {
  type: string;
  status: "True" | "False" | "Unknown";
  reason: string;
  message: string;
  lastTransitionTime: string;
}

export interface RevisionInfo {
  revision: string;
  author?: string;
  date?: string;
  message?: string;
}

export interface HistoryEntry extends RevisionInfo {
  id: number;
  deployedAt: string;
  result: "Succeeded" | "Failed";
  initiatedBy: "auto" | "manual";
  source?: ApplicationSource;
}

export interface RollbackState {
  /** History id rolled back to. */
  id: number;
  revision: string;
  /** The spec generation the rollback applies to: any spec change ends it. */
  generation?: number;
  requestedAt: string;
}

export type HookPhase = "PreSync" | "Sync" | "PostSync" | "SyncFail";

/** A hook run by the operation. Finished ones are never run again when the operation resumes. */
export interface HookRecord {
  ref: ResourceRef;
  phase: HookPhase;
  status: "Running" | "Succeeded" | "Failed";
  message?: string;
}

/** A manual sync's choices, kept for the whole operation (the request annotation is gone by then). */
export interface OperationRequest {
  prune?: boolean;
  resources?: { group?: string; kind: string; namespace?: string; name: string }[];
}

export interface OperationState {
  phase: "Running" | "Succeeded" | "Failed" | "Terminating";
  /** Unique per operation; stamped on the hook objects it creates, so a resumed sync knows its own. */
  id?: string;
  revision: string;
  message?: string;
  startedAt: string;
  finishedAt?: string;
  initiatedBy: "auto" | "manual";
  /** Resumable progress: the step (e.g. "PreSync/0", "Sync/1", "Prune", "PostSync/0", "SyncFail") in progress. */
  step?: string;
  /** Set once a step failed, while the SyncFail hooks run: the reason the operation fails. */
  failure?: string;
  request?: OperationRequest;
  hooks?: HookRecord[];
  /** Automatic retries made of a failed sync at this revision. */
  retryCount?: number;
  results?: { ref: ResourceRef; action: string; message?: string }[];
}

/** One rendered object breaking one policy rule (the policy gate, docs/policy.md). */
export interface PolicyViolation {
  ref: ResourceRef;
  /** The rule's id (built-in, or from ConfigMap tether-policies / a Policy object). */
  rule: string;
  message: string;
  /** The project's enforcement when it was found: deny blocked the sync; warn and audit did not. */
  enforcement: "deny" | "warn" | "audit";
}

export interface ApplicationStatus {
  sync?: { status: SyncStatusCode; revision?: string; comparedTo?: ApplicationSource };
  health?: HealthStatus;
  conditions?: Condition[];
  resources?: ResourceStatus[];
  operationState?: OperationState;
  history?: HistoryEntry[];
  reconciledAt?: string;
  observedGeneration?: number;
  sourceType?: SourceType;
  revisionInfo?: RevisionInfo;
  /** Set while the app is rolled back: it stays at this revision instead of following Git. */
  rollback?: RollbackState;
  /** What the policy gate found in the last render (every enforcement, audit included). */
  policyViolations?: PolicyViolation[];
  /**
   * The controller replica that holds this app (sharding): only it applies for the app. Taken,
   * handed over and released by status writes guarded by resourceVersion
   * (src/controller/sharding/claim.ts). `claimedAt` is set once the named replica confirmed the
   * claim itself; a handed-over claim names its assignee and `handedOverBy` until then.
   */
  controller?: { replica: string; claimedAt?: string; handedOverBy?: string };
}

export interface Application {
  apiVersion: typeof API_VERSION;
  kind: "Application";
  metadata: ObjectMeta;
  spec: ApplicationSpec;
  status?: ApplicationStatus;
}
