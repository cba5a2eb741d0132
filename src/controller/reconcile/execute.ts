// Executes a plan's operation: records a new operation's intent in status first (a crash mid-sync
// leaves a Running operation the next reconcile resumes), then advances the step machine of
// src/engine/apply through the fenced client, persisting its progress as it goes. The objects as
// applied are the new live state: the comparisons follow them.
import type { KubernetesObject } from "@kubernetes/client-node";
import {
  advanceOperation,
  type OperationProgress,
  type PlannedObject,
} from "../../engine/apply/operation.js";
import { planSteps } from "../../engine/apply/waves.js";
import { builtinHealth } from "../../engine/health/index.js";
import type { UnstructuredObject } from "../../model/ref.js";
import type { Plan } from "../../engine/plan/types.js";
import { groupOf } from "../../model/ref.js";
import type { SyncOptions } from "../../engine/status/syncoptions.js";
import type { Application, ApplicationStatus } from "../../model/application.js";
import type { ClusterTarget } from "../clusters.js";
import type { ObjectComparison } from "../compare.js";
import type { DesiredObject } from "../desired.js";
import type { ReconcilerDeps } from "./deps.js";
import { resourceWriter } from "./resourceWriter.js";

export interface Executed {
  /** The app as last written (every write is guarded by its resourceVersion). */
  readonly current: Application;
  /** The status as last written or planned. */
  readonly status: ApplicationStatus;
  readonly progress?: OperationProgress;
  readonly comparisons: readonly ObjectComparison[];
}

function liveKey(o: KubernetesObject): string {
  return `${groupOf(o.apiVersion)}/${o.kind ?? ""}/${o.metadata?.namespace ?? ""}/${o.metadata?.name ?? ""}`;
}

export async function execute(ctx: {
  readonly deps: ReconcilerDeps;
  readonly app: Application;
  readonly current: Application;
  readonly plan: Plan<ObjectComparison>;
  readonly planned: readonly PlannedObject<DesiredObject>[];
  readonly comparisons: readonly ObjectComparison[];
  readonly cluster: ClusterTarget;
  /** The destination cluster's client, fenced by sharding: every write of the sync goes through it. */
  readonly fenced: ReconcilerDeps["localResources"];
  readonly syncOptions: SyncOptions;
  readonly namespace: string;
  readonly write: (app: Application, status: ApplicationStatus) => Promise<Application>;
}): Promise<Executed> {
  const { deps, plan, cluster, app, syncOptions } = ctx;
  let current = ctx.current;
  let status = plan.status;
  const operation = plan.operation;
  if (operation.kind !== "start" && operation.kind !== "continue")
    return { current, status, comparisons: ctx.comparisons };
  if (operation.kind === "start") current = await ctx.write(current, status);

  const live = new Map(ctx.comparisons.map((c) => [c.desired.key, c.live]));
  const progress = await advanceOperation(
    {
      writer: resourceWriter(ctx.fenced),
      liveOf: (d) => cluster.watches.get(d),
      health: (o) => (deps.health?.evaluate ?? builtinHealth)(o as UnstructuredObject).health,
      persist: async (op) => {
        status = { ...status, operationState: op };
        current = await ctx.write(current, status);
      },
    },
    {
      op: operation.op,
      plan: planSteps({
        resources: ctx.planned.filter((p) => p.hooks.length === 0),
        hooks: ctx.planned.filter((p) => p.hooks.length > 0),
        pruneLast: syncOptions.pruneLast,
      }),
      // The comparison's object: with RespectIgnoreDifferences it keeps the live value of ignored fields.
      toApply: new Map(plan.apply.map((c) => [c.desired.key, c.desired])),
      exists: (d) => live.get(d.key) !== undefined,
      prune: plan.prune,
      pruneAllowed: plan.pruneAllowed,
      options: syncOptions,
      createNamespace: syncOptions.createNamespace ? ctx.namespace : undefined,
    },
  );

  // The apply results are the new live objects: compare status follows from them.
  const applied = new Map(
    progress.entries.flatMap((r) => (r.applied ? [[liveKey(r.applied), r.applied] as const] : [])),
  );
  const comparisons = ctx.comparisons.map((c) => {
    const after = applied.get(c.desired.key);
    if (!after) return c;
    cluster.comparer.recordApplied({
      desired: c.desired,
      live: after,
      ignoreDifferences: app.spec.ignoreDifferences,
      respectIgnoreDifferences: syncOptions.respectIgnoreDifferences,
    });
    return {
      ...c,
      live: after,
      result: { ...c.result, status: "Synced" as const, created: false, fields: [] },
    };
  });
  return { current, status, progress, comparisons };
}
