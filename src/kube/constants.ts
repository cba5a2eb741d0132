// Tether's identity on the cluster, defined once. These strings are part of the contract with
// every object Tether has ever applied: never rename them.

/** Server-side apply field manager. A constant, so ownership survives restarts and upgrades. */
export const FIELD_MANAGER = "tether";

/** Label on every object Tether applies: lets one watch per kind see only Tether's objects. */
export const MANAGED_LABEL = "tether.dev/managed";
// Its value is the installation id, so two Tether installations never prune each other.

/** Annotation naming the owning app and the object itself: `<appNs>/<appName>:<group>/<kind>:<ns>/<name>`.
 *  Including the object's own identity means a copy of the annotation on another object (kubectl
 *  copy-paste, a Helm chart reusing labels) never makes Tether claim it. */
export const TRACKING_ANNOTATION = "tether.dev/tracking-id";

/** Per-resource sync options, as in Argo CD: `Prune=false`, `Delete=false`. */
export const SYNC_OPTIONS_ANNOTATION = "tether.dev/sync-options";

/** Set to `normal` or `hard` on an Application to ask for a refresh; Tether removes it when done. */
export const REFRESH_ANNOTATION = "tether.dev/refresh";
/** Set (any value) on an Application to ask for a sync now; Tether removes it when done. */
export const SYNC_ANNOTATION = "tether.dev/sync";
/** Set to a history id (or a commit SHA prefix) to roll back to that entry; `cancel` resumes following Git. */
export const ROLLBACK_ANNOTATION = "tether.dev/rollback";

/** Finalizer that makes deleting an Application delete its resources too (cascade). */
export const CASCADE_FINALIZER = "tether.dev/resources-finalizer";
