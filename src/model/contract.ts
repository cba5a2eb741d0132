// Tether's names on the cluster, each defined once: every `tether.dev/*` label, annotation and
// finalizer, and the field manager. These strings are part of the contract with every object Tether
// has ever applied and every user's manifests and scripts: never rename them.

/** Server-side apply field manager. A constant, so ownership survives restarts and upgrades. */
export const FIELD_MANAGER = "tether";

// --- On the objects Tether applies ---

/** Label on every object Tether applies: lets one watch per kind see only Tether's objects. */
export const MANAGED_LABEL = "tether.dev/managed";
// Its value is the installation id, so two Tether installations never prune each other.

/** Annotation naming the owning app and the object itself: `<appNs>/<appName>:<group>/<kind>:<ns>/<name>`.
 *  Including the object's own identity means a copy of the annotation on another object (kubectl
 *  copy-paste, a Helm chart reusing labels) never makes Tether claim it. */
export const TRACKING_ANNOTATION = "tether.dev/tracking-id";

/** Per-resource sync options, as in Argo CD: `Prune=false`, `Delete=false`. */
export const SYNC_OPTIONS_ANNOTATION = "tether.dev/sync-options";

/** Sync wave of a manifest (an integer; lower waves are applied first). */
export const SYNC_WAVE_ANNOTATION = "tether.dev/sync-wave";
/** Marks a manifest as a hook: the phase(s) it runs in (PreSync, Sync, PostSync, SyncFail…). */
export const HOOK_ANNOTATION = "tether.dev/hook";
/** When a hook object is deleted: BeforeHookCreation, HookSucceeded, HookFailed. */
export const HOOK_DELETE_POLICY_ANNOTATION = "tether.dev/hook-delete-policy";
/** Stamped on a hook object Tether creates: which operation ran it (see OperationState.id). */
export const HOOK_OPERATION_ANNOTATION = "tether.dev/hook-operation";

// --- On Applications: requests a user (or the API) makes ---

/** Set to `normal` or `hard` on an Application to ask for a refresh; Tether removes it when done. */
export const REFRESH_ANNOTATION = "tether.dev/refresh";
/** Set (any value) on an Application to ask for a sync now; Tether removes it when done. */
export const SYNC_ANNOTATION = "tether.dev/sync";
/** Set to a history id (or a commit SHA prefix) to roll back to that entry; `cancel` resumes following Git. */
export const ROLLBACK_ANNOTATION = "tether.dev/rollback";
/** Paths (`;`-separated) whose changes in a push concern this app; a webhook push elsewhere skips it. */
export const MANIFEST_GENERATE_PATHS_ANNOTATION = "tether.dev/manifest-generate-paths";
/** `"false"` opts an Application out of every notification, `"true"` opts it in. */
export const NOTIFY_ANNOTATION = "notifications.tether.dev/enabled";

/** Finalizer that makes deleting an Application delete its resources too (cascade). */
export const CASCADE_FINALIZER = "tether.dev/resources-finalizer";

/** Label on every generated Application naming its set (the owner reference is the authority). */
export const APPSET_LABEL = "tether.dev/application-set";

// --- On Secrets, Leases and Events in the system namespace ---

/** What a Secret holds for Tether: `repository`, `repo-creds` or `cluster`. */
export const SECRET_TYPE_LABEL = "tether.dev/secret-type";
/** Annotation the controller writes on each cluster Secret: its last connection check (JSON). */
export const CLUSTER_STATUS_ANNOTATION = "tether.dev/cluster-status";
/** Label on each controller replica's member Lease (sharding). */
export const MEMBER_LABEL = "tether.dev/controller-member";
/** `reportingComponent` of the Events the controller writes. */
export const EVENT_REPORTING_COMPONENT = "tether.dev/controller";
