// The AppProject resource (tether.dev/v1alpha1): a boundary around a group of Applications, as in
// Argo CD. It says which repositories they may use, where they may deploy, which kinds they may
// create, and when they may sync. Projects live in Tether's system namespace; an Application names
// one in `spec.project` (empty: `default`). The CRD schema in deploy/ is checked against these
// types by a test.
import type { API_VERSION, ObjectMeta } from "./application.js";

/** The project an Application with an empty `spec.project` belongs to; created at start if absent. */
export const DEFAULT_PROJECT = "default";

export interface ProjectDestination {
  /** Glob of API server URLs (`!` in front denies). */
  server?: string;
  /** Glob of cluster names (`!` in front denies). */
  name?: string;
  /** Glob of namespaces (`!` in front denies). */
  namespace?: string;
}

/** A kind by API group; both fields are globs (`""` is the core group). */
export interface GroupKind {
  group: string;
  kind: string;
}

export interface SyncWindow {
  kind: "allow" | "deny";
  /** Five-field cron expression: when the window opens. */
  schedule: string;
  /** How long it stays open, as a Go duration ("1h", "30m", "1h30m"). */
  duration: string;
  /** Globs of Application names the window applies to. */
  applications?: string[];
  /** Globs of destination namespaces the window applies to. */
  namespaces?: string[];
  /** Globs of destination servers (or cluster names) the window applies to. */
  clusters?: string[];
  /** Lets a manual sync through while the window blocks automated ones. */
  manualSync?: boolean;
  /** IANA time zone of the schedule (default UTC). */
  timeZone?: string;
}

export interface AppProjectSpec {
  description?: string;
  /**
   * Globs of namespaces whose Applications may use this project (`!` in front denies). Apps in
   * Tether's system namespace always may; others need a match (Argo CD's apps-in-any-namespace).
   */
  sourceNamespaces?: string[];
  /** Globs of repository URLs the project's apps may use (`!` in front denies); empty: none. */
  sourceRepos?: string[];
  /** Where the project's apps may deploy; empty: nowhere. */
  destinations?: ProjectDestination[];
  /** Cluster-scoped kinds the apps may manage; empty: none. */
  clusterResourceWhitelist?: GroupKind[];
  /** Cluster-scoped kinds the apps may not manage (wins over the whitelist). */
  clusterResourceBlacklist?: GroupKind[];
  /** Namespaced kinds the apps may manage; empty: all. */
  namespaceResourceWhitelist?: GroupKind[];
  /** Namespaced kinds the apps may not manage (wins over the whitelist). */
  namespaceResourceBlacklist?: GroupKind[];
  syncWindows?: SyncWindow[];
  /** The policy gate: rules every rendered object must pass before anything is applied (docs/policy.md). */
  policy?: ProjectPolicy;
}

/** What happens to an app whose rendered objects break a rule. */
export type PolicyEnforcement = "deny" | "warn" | "audit";

/** Objects a project's policy does not judge (all fields are globs; a field left out matches anything). */
export interface PolicyExclusion {
  group?: string;
  kind?: string;
  namespace?: string;
  name?: string;
  /** Only these rule ids are skipped for the objects matched; every rule when empty. */
  rules?: string[];
}

export interface ProjectPolicy {
  /** deny: nothing is applied and the sync fails; warn: applied, condition + Warning Event; audit: status only. */
  enforcement: PolicyEnforcement;
  /** Rule ids, `builtin` (the whole built-in pack), `custom` (every ConfigMap/Policy rule); default [builtin]. */
  rules?: string[];
  /** Registries (optionally with a path: `ghcr.io/acme`) images may come from (rule trusted-registries). */
  trustedRegistries?: string[];
  exclude?: PolicyExclusion[];
}

export interface AppProject {
  apiVersion: typeof API_VERSION;
  kind: "AppProject";
  metadata: ObjectMeta;
  spec: AppProjectSpec;
}

/** The `default` project: everything allowed, as Argo CD's. */
export function defaultProjectSpec(): AppProjectSpec {
  return {
    description: "Created by Tether: allows every repository, destination and kind.",
    sourceNamespaces: ["*"],
    sourceRepos: ["*"],
    destinations: [{ server: "*", name: "*", namespace: "*" }],
    clusterResourceWhitelist: [{ group: "*", kind: "*" }],
  };
}
