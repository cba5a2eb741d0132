// Reconcile one Application, keyed by `namespace/name`. Level-triggered and idempotent: it reads
// the app, Git and the cluster as they are now and converges; running it twice changes nothing
// the first run did not. Everything a later run needs is in the app's status. One screen:
//   read → admit (./reconcile/admit.ts) → observe: fetch, render, compare (./reconcile/observe.ts)
//   → plan (src/engine/plan, pure) → execute (./reconcile/execute.ts) → conclude (pure) → write
// status and record the plan's Events, in one place (emit below).
import { concludeReconcile } from "../engine/plan/conclude.js";
import type { PlanEvent } from "../engine/plan/events.js";
import { planReconcile } from "../engine/plan/planReconcile.js";
import { comparisonFailed } from "../engine/plan/stopped.js";
import { reportedDecisions } from "../engine/prune/candidates.js";
import { isSkipped } from "../engine/apply/hooks.js";
import type { RenderedObject } from "../engine/render/index.js";
import { fitRevisionInfo } from "../engine/status/budget.js";
import type { ResourceClient } from "../kube/resources.js";
import type { Application } from "../model/application.js";
import type { ClusterLookup } from "./clusters.js";
import { prepareDesired, type DesiredObject } from "./desired.js";
import { finalizeApplication } from "./finalize.js";
import type { QueueResult } from "./queue.js";
import { admit } from "./reconcile/admit.js";
import type { ReconcilerDeps } from "./reconcile/deps.js";
import { execute } from "./reconcile/execute.js";
import { observe } from "./reconcile/observe.js";
import { finish, writeStatus } from "./reconcile/statusWriter.js";
import { resourceStatuses } from "./resourcestatus.js";
import { SelfHealGuard } from "./selfheal.js";

export type { ReconcilerDeps } from "./reconcile/deps.js";
export { STATUS_WRITE_FAILED } from "./reconcile/statusWriter.js";
export { DELETION_NOT_PERMITTED } from "../engine/plan/planReconcile.js";

function jitter(ms: number): number {
  return Math.round(ms * (0.9 + Math.random() * 0.2));
}

export class Reconciler {
  private readonly selfHeal: SelfHealGuard;
  /** Apps whose next reconcile must look at Git again (a push notification, an API refresh). */
  private readonly forcedRefresh = new Set<string>();
  private readonly preparedOf = new Map<
    string,
    {
      rendered: readonly RenderedObject[];
      namespace: string;
      resources: ResourceClient;
      desired: DesiredObject[];
    }
  >();

  constructor(private readonly deps: ReconcilerDeps) {
    this.selfHeal = new SelfHealGuard(() => deps.clock().getTime());
  }

  /**
   * The app's desired objects, the same instances as last time while the render, the destination
   * namespace and cluster are unchanged: their hashes (compare.ts) are then already known.
   */
  private async prepared(
    key: string,
    rendered: readonly RenderedObject[],
    namespace: string,
    resources: ResourceClient,
  ): Promise<DesiredObject[]> {
    const last = this.preparedOf.get(key);
    if (last && last.rendered === rendered && last.namespace === namespace && last.resources === resources)
      return last.desired;
    const desired = await prepareDesired({
      app: key,
      installationId: this.deps.installationId,
      namespace,
      rendered: rendered.filter((r) => !isSkipped(r.object)),
      resources,
    });
    // A kind waiting for its CRD is looked up again next time: by then the sync may have applied it.
    if (desired.some((d) => d.kindPending)) this.preparedOf.delete(key);
    else this.preparedOf.set(key, { rendered, namespace, resources, desired });
    return desired;
  }

  /** Sharding's fence around a client: its writes throw once this replica may not write for `key`. */
  private fenced(resources: ResourceClient, key: string): ResourceClient {
    return this.deps.fence ? this.deps.fence.resources(resources, key) : resources;
  }

  /** A lookup whose cluster writes are fenced (finalizing deletes objects too). */
  private fencedLookup(lookup: ClusterLookup, key: string): ClusterLookup {
    if (!lookup.ok) return lookup;
    return {
      ok: true,
      cluster: { ...lookup.cluster, resources: this.fenced(lookup.cluster.resources, key) },
    };
  }

  /** The next reconcile of `key` bypasses the revision cache, like the refresh annotation. */
  requestRefresh(key: string): void {
    this.forcedRefresh.add(key);
  }

  private emit(app: Application, events: readonly PlanEvent[]): void {
    for (const e of events) this.deps.events.record(app, e.type, e.reason, e.message);
  }

  async reconcile(key: string): Promise<QueueResult> {
    const { deps } = this;
    const app = deps.apps.get(key);
    if (!app) {
      this.preparedOf.delete(key);
      deps.releaseApp(key);
      return {};
    }
    if (app.metadata.deletionTimestamp)
      return finalizeApplication(deps, key, app, () => this.fencedLookup(deps.clusterFor(app), key));
    const now = deps.clock();
    const previous = app.status ?? {};
    // A periodic re-check for an app stopped early (invalid spec, unknown cluster, not admitted by
    // its project): a fix arrives as an event, but a level-triggered loop does not bet on never
    // missing one. Cheap: these paths fetch nothing.
    const admitted = admit(deps, key, app, now);
    if (!admitted.ok) {
      this.emit(app, admitted.events);
      await finish(deps, app, previous, admitted.status, []);
      return { requeueAfterMs: jitter(deps.pollIntervalMs) };
    }
    const { cluster, requests, syncOptions } = admitted;
    const forced = this.forcedRefresh.delete(key);
    const prepare = (r: readonly RenderedObject[], ns: string, c: ResourceClient) =>
      this.prepared(key, r, ns, c);
    const observed = await observe({ deps, key, app, admitted, forced, prepare, selfHeal: this.selfHeal });
    if (!observed.ok) {
      // Source, render, cluster or watch failed: say so on the app and change nothing in the cluster.
      const failed = comparisonFailed({ ...observed, status: admitted.status, previous, now });
      this.emit(app, [...admitted.events, ...failed.events]);
      await finish(deps, app, previous, failed.status, requests.handled);
      return { requeueAfterMs: Math.min(deps.pollIntervalMs, 15_000) };
    }

    const plan = planReconcile({ ...observed.input, status: admitted.status, requests, previous, now });
    const write = (current: Application, status: typeof previous) => writeStatus(deps, current, status);
    const executed = await execute({
      deps,
      app,
      current: app,
      plan,
      planned: observed.planned,
      comparisons: observed.input.comparisons,
      cluster,
      fenced: this.fenced(cluster.resources, key),
      syncOptions,
      namespace: app.spec.destination.namespace || app.metadata.namespace || "default",
      write,
    });
    const { resources, health, healthErrors } = resourceStatuses({
      comparisons: executed.comparisons,
      decisions: reportedDecisions(plan.inventory),
      results: executed.progress?.entries ?? [],
      claimedBy: (c) => plan.sharedWith[c.desired.key],
      health: deps.health?.evaluate,
    });
    const { revision } = observed;
    const conclusion = concludeReconcile({
      plan,
      previous,
      status: executed.status,
      // Commit author and message as status keeps them (capped: Git's text can be any size).
      revision: fitRevisionInfo({
        revision: revision.commit,
        author: revision.author,
        date: revision.date,
        message: revision.message,
      }),
      source: app.spec.source,
      sourceType: observed.sourceType,
      progress: executed.progress,
      comparisons: executed.comparisons,
      resources,
      health,
      healthErrors: [...(deps.health?.errors ?? []), ...healthErrors],
      retryBackoff: app.spec.syncPolicy?.retry?.backoff,
      finishedAt: deps.clock(),
      now,
      pollAfterMs: jitter(deps.pollIntervalMs),
    });
    if (conclusion.healed)
      this.selfHeal.record(
        key,
        plan.apply.map((c) => c.desired.key),
      );
    this.emit(app, [...admitted.events, ...plan.events, ...conclusion.events]);
    await finish(deps, executed.current, previous, conclusion.status, plan.handled);
    return { requeueAfterMs: conclusion.requeueAfterMs };
  }
}
