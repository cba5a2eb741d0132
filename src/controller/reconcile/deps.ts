// What a Reconciler is given: the caches it reads, the clients it writes through, the clock.
import type { Renderer } from "../../engine/render/index.js";
import type { ResolvedChart } from "../../engine/source/index.js";
import type { ResourceClient } from "../../kube/resources.js";
import type { Application } from "../../model/application.js";
import type { KnownCluster } from "../../engine/validate.js";
import type { ApplicationClient } from "../applications.js";
import type { ClusterLookup, ClusterTarget } from "../clusters.js";
import type { EventRecorder } from "../events.js";
import type { HealthSource } from "../healthconfig.js";
import type { PolicyRules } from "../policygate.js";
import type { ProjectLookup } from "../projects.js";
import type { RevisionResolver } from "../revisions.js";
import type { RepositoryCache } from "../../engine/source/index.js";

export interface ReconcilerDeps {
  readonly apps: ApplicationClient;
  /** AppProjects of the system namespace (an informer cache). */
  readonly projects: ProjectLookup;
  /** The cluster Tether runs in: its own state (the app's decryption keys), never an app's objects. */
  readonly localResources: ResourceClient;
  /** The destination cluster's clients, watches and comparer, or why it has none (the field named). */
  readonly clusterFor: (app: Application) => ClusterLookup;
  /** Lets go of an app's watches on every cluster but `keep` (all of them when it is gone). */
  readonly releaseApp: (key: string, keep?: ClusterTarget) => void;
  /** The clusters registered besides in-cluster (validation). */
  readonly knownClusters: () => readonly KnownCluster[];
  readonly revisions: RevisionResolver;
  readonly source: Pick<RepositoryCache, "acquireTree" | "listFolder">;
  /** Charts in Helm repositories: the extracted, verified chart of a resolved version. */
  readonly charts?: {
    acquireTree(
      repoURL: string,
      chart: ResolvedChart,
    ): Promise<{ dir: string; release(): void | Promise<void> }>;
  };
  readonly renderer: Renderer;
  readonly events: EventRecorder;
  readonly installationId: string;
  readonly clock: () => Date;
  readonly pollIntervalMs: number;
  readonly localServers?: readonly string[];
  readonly log: (line: string) => void;
  /** Health of live objects: built-in checks plus the user's CEL rules; built-in only when unset. */
  readonly health?: HealthSource;
  /** Policy-gate rules (built-in pack + ConfigMap tether-policies + Policy objects); no policy gate when unset. */
  readonly policies?: Pick<PolicyRules, "current">;
  /**
   * Sharding's fence (src/controller/sharding/fence.ts), per app: the client whose writes throw
   * while this replica's Lease is stale or its claim on the app lapsed since the reconcile began
   * (a reconcile in flight across a freeze must not write for an app another replica took). Every
   * apply, replace and delete of a reconcile goes through it, and `check` (throws when fenced) runs
   * before every status write: a fenced replica neither applies nor records results, so its
   * successor resumes from the last step it persisted.
   */
  readonly fence?: {
    resources(resources: ResourceClient, key: string): ResourceClient;
    check(key: string): void;
  };
}
