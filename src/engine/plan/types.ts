// The values a reconcile plans from and the plan it executes. Everything here is data: the golden
// tests in testdata/plan/<case>/ write an input as JSON and compare the plan with expected.json.
import type { KubernetesObject } from "@kubernetes/client-node";
import type { Application, ApplicationStatus, OperationState } from "../../model/application.js";
import type { ApplyTarget } from "../apply/writer.js";
import type { DependencyVerdict } from "../policy/dependencies.js";
import type { RenderedRef } from "../policy/project.js";
import type { PruneDecision } from "../prune/candidates.js";
import type { KubeObject } from "../../model/ref.js";
import type { AppRequests } from "../status/requests.js";
import type { SyncOptions } from "../status/syncoptions.js";
import type { SkipReason, SyncVerdict } from "./decide.js";
import type { PlanEvent } from "./events.js";
import type { PolicyVerdict, ProjectScope } from "./gate.js";

/** One desired object as compared with the cluster (src/controller/compare.ts's ObjectComparison). */
export interface PlanComparison {
  readonly desired: ApplyTarget;
  readonly live: KubernetesObject | undefined;
  readonly result: { readonly status: "Synced" | "OutOfSync"; readonly fields: readonly string[] };
  readonly error?: string;
  readonly notPermitted?: string;
}

export interface PlanInput<C extends PlanComparison = PlanComparison> {
  /** `namespace/name` of the app. */
  readonly key: string;
  readonly app: Application;
  readonly installationId: string;
  /** The status as read at the start of the reconcile. */
  readonly previous: ApplicationStatus;
  /** The status as the reconcile's earlier stages left it (spec, admission, requests). */
  readonly status: ApplicationStatus;
  readonly requests: Pick<AppRequests, "syncRequested" | "selection" | "prune" | "handled">;
  /** The commit the app should be at (a rollback's pinned one while rolled back). */
  readonly revision: string;
  readonly syncOptions: SyncOptions;
  /** Every rendered object, hooks included (the project and policy gates judge them all). */
  readonly rendered: readonly RenderedRef[];
  /** The desired objects that are not hooks, compared with the cluster, in render order. */
  readonly comparisons: readonly C[];
  /** Live objects that may be this app's leftovers (its marks, its last inventory), hooks excluded. */
  readonly pruneCandidates: readonly KubeObject[];
  readonly project: ProjectScope;
  readonly dependencies: DependencyVerdict;
  readonly policy: PolicyVerdict | undefined;
  /** Objects self-heal re-applied too often lately (key → the manager that keeps changing them). */
  readonly healPaused: Readonly<Record<string, string>>;
  readonly now: Date;
}

/** What the reconcile does about an operation. */
export type OperationPlan =
  | { readonly kind: "continue"; readonly op: OperationState }
  | { readonly kind: "start"; readonly op: OperationState; readonly supersedes?: OperationState }
  /** The policy gate answered the sync that would run with this Failed operation (already in status). */
  | { readonly kind: "refuse"; readonly op: OperationState }
  | { readonly kind: "skip"; readonly why: SkipReason };

export interface Plan<C extends PlanComparison = PlanComparison> {
  /** The status before anything is applied: conditions, violations, a refused operation. */
  readonly status: ApplicationStatus;
  /** The sync status if nothing is applied. */
  readonly syncStatus: "Synced" | "OutOfSync";
  readonly operation: OperationPlan;
  readonly verdict: SyncVerdict;
  /** What the operation applies (out of sync or all, selected, not claimed, not paused by self-heal); empty when none runs. */
  readonly apply: readonly C[];
  /** What the operation's prune step goes through (delete or keep, each with its reason). */
  readonly prune: readonly PruneDecision[];
  readonly pruneAllowed: boolean;
  /** Every prune decision: the inventory status.resources lists besides the desired objects. */
  readonly inventory: readonly PruneDecision[];
  /** Objects another app of this installation manages (key → that app). */
  readonly sharedWith: Readonly<Record<string, string>>;
  /** An empty render with objects to prune: nothing is pruned, SyncError EmptyRender says why. */
  readonly emptyRenderBlocked: boolean;
  /** Keys of objects self-heal skipped this time (another writer keeps changing them). */
  readonly healPaused: readonly string[];
  readonly retryLimit: number;
  readonly events: readonly PlanEvent[];
  /** Request annotations to remove once the status is written (a refused manual request stays). */
  readonly handled: readonly string[];
  /** A closed sync window opens then: the requeue is no later. */
  readonly windowOpensAt?: Date;
}
