// The I/O of a reconcile before its plan: resolve the revision, render it, watch the kinds it
// needs, compare each desired object with the cluster (dry-runs), and gather what the plan judges
// as values — prune candidates, dependsOn, the policy verdict, self-heal's recent history. Any
// failure stops the reconcile here: nothing is applied and nothing is pruned.
import type { KubernetesObject } from "@kubernetes/client-node";
import type { PlannedObject } from "../../engine/apply/operation.js";
import { readSyncAnnotations } from "../../engine/apply/hooks.js";
import { HOOK_OPERATION_ANNOTATION } from "../../model/contract.js";
import { mapLimit } from "../../engine/concurrency.js";
import {
  CONDITION_REASONS,
  isTetherError,
  type ConditionReason,
  type ErrorReason,
} from "../../engine/errors.js";
import type { PlanInput } from "../../engine/plan/types.js";
import { objectNotPermitted } from "../../engine/policy/project.js";
import { NOT_PERMITTED } from "../../engine/prune/candidates.js";
import { groupOf } from "../../model/ref.js";
import { folderContentKey } from "../../engine/render/contentkey.js";
import type { RenderedObject } from "../../engine/render/index.js";
import { confineRelativePath } from "../../engine/render/paths.js";
import type { ResolvedChart, ResolvedRevision } from "../../engine/source/index.js";
import { chartRenderSource, isHelmRepositorySource } from "../../engine/source/index.js";
import { kubeErrorMessage as errorMessage } from "../../kube/client.js";
import type { ResourceClient } from "../../kube/resources.js";
import type { Application, ApplicationStatus } from "../../model/application.js";
import { notPermittedComparison, type ObjectComparison } from "../compare.js";
import { decryptionKeys } from "../decryption.js";
import type { DesiredObject } from "../desired.js";
import { dependencyVerdict, projectName } from "../policy.js";
import { policyVerdict } from "../policygate.js";
import { mustResolveFresh } from "../revisions.js";
import type { SelfHealGuard } from "../selfheal.js";
import type { Admitted } from "./admit.js";
import type { ReconcilerDeps } from "./deps.js";

const COMPARE_CONCURRENCY = 16;

export type Observed =
  | { readonly ok: false; readonly reason: ConditionReason | ErrorReason; readonly message: string }
  | {
      readonly ok: true;
      readonly revision: ResolvedRevision;
      readonly sourceType: ApplicationStatus["sourceType"];
      /** Every rendered object (hooks too) with its sync annotations. */
      readonly planned: PlannedObject<DesiredObject>[];
      /** The plan's input but for what the reconcile's earlier stages set (status, requests). */
      readonly input: Omit<PlanInput<ObjectComparison>, "status" | "requests" | "previous" | "now">;
    };

/** The render cache key of a plain-manifest folder at `commit` (engine/render/contentkey.ts). */
async function contentKeyOf(
  deps: ReconcilerDeps,
  source: Application["spec"]["source"],
  commit: string,
): Promise<string | undefined> {
  if (source.chart) return undefined;
  let folder: string;
  try {
    folder = confineRelativePath("spec.source.path", source.path ?? "");
  } catch {
    return undefined; // the render reports the path
  }
  return folderContentKey(source, await deps.source.listFolder(source.repoURL, commit, folder));
}

export async function observe(ctx: {
  readonly deps: ReconcilerDeps;
  readonly key: string;
  readonly app: Application;
  readonly admitted: Extract<Admitted, { ok: true }>;
  /** A push notification or an API refresh: no cached revision will do. */
  readonly forced: boolean;
  readonly prepare: (
    rendered: readonly RenderedObject[],
    namespace: string,
    resources: ResourceClient,
  ) => Promise<DesiredObject[]>;
  readonly selfHeal: SelfHealGuard;
}): Promise<Observed> {
  const { deps, key, app, admitted } = ctx;
  const { cluster, requests, syncOptions, admission } = admitted;
  const previous = app.status ?? {};
  const source = app.spec.source;
  const namespace = app.spec.destination.namespace || app.metadata.namespace || "default";
  if (cluster.state.status === "Failed") {
    const message = `cluster "${cluster.name}" (${cluster.server}) is not reachable: ${cluster.state.message}; nothing is applied or pruned until it answers`;
    return { ok: false, reason: CONDITION_REASONS.ClusterUnreachable, message };
  }

  let revision: ResolvedRevision;
  let planned: PlannedObject<DesiredObject>[];
  let sourceType: ApplicationStatus["sourceType"];
  try {
    const rolledBack = requests.rolledBack;
    revision = await deps.revisions.resolve(
      source.repoURL,
      rolledBack ? rolledBack.revision : source.targetRevision,
      requests.lookAtGit ||
        ctx.forced ||
        mustResolveFresh({ previous, generation: app.metadata.generation, source }),
      isHelmRepositorySource(source) ? source.chart : undefined,
    );
    const { chart } = revision;
    const decryption = await decryptionKeys(deps.localResources, app);
    const renderInput = {
      // A chart from a Helm repository renders as the chart folder of its extracted archive; a
      // Git folder is cached by its content where only that can matter (contentkey.ts).
      ...(chart
        ? chartRenderSource(source, chart)
        : { commit: (await contentKeyOf(deps, source, revision.commit)) ?? revision.commit, source }),
      namespace,
      appName: app.metadata.name,
      decryption,
    };
    // At a commit already rendered (drift, health updates) no tree is extracted at all.
    let rendered = deps.renderer.cached(renderInput);
    if (!rendered) {
      const tree = chart
        ? await chartTree(deps, source.repoURL, chart)
        : await deps.source.acquireTree(source.repoURL, revision.commit);
      try {
        rendered = await deps.renderer.render({ ...renderInput, repoRoot: tree.dir });
      } finally {
        await tree.release();
      }
    }
    sourceType = rendered.type;
    const prepared = await ctx.prepare(rendered.objects, namespace, cluster.resources);
    planned = prepared.map((d) => ({ ...d.object, desired: d, ...readSyncAnnotations(d.object) }));
  } catch (error) {
    const reason = isTetherError(error) ? error.reason : CONDITION_REASONS.ComparisonFailed;
    const message = `${isTetherError(error) ? `${error.stage}: ` : ""}${errorMessage(error)}`;
    return { ok: false, reason, message };
  }
  const desired = planned.filter((p) => p.hooks.length === 0).map((p) => p.desired);

  // What is live: the desired kinds plus every kind the app had before (to find what to prune).
  const inventory = (previous.resources ?? []).flatMap((r) =>
    r.version ? [{ apiVersion: r.group ? `${r.group}/${r.version}` : r.version, kind: r.kind, r }] : [],
  );
  // A kind whose CRD this sync applies first is watched from the next reconcile on.
  const kinds = new Map<string, { apiVersion: string; kind: string }>();
  const known = planned.map((p) => p.desired).filter((d) => !d.kindPending);
  for (const k of [...known, ...inventory])
    kinds.set(`${k.apiVersion}/${k.kind}`, { apiVersion: k.apiVersion, kind: k.kind });
  try {
    await cluster.watches.track(key, [...kinds.values()]);
  } catch (error) {
    // Typically RBAC: Tether may not list/watch a kind in Git. Say so on the app, touch nothing.
    return { ok: false, reason: CONDITION_REASONS.WatchFailed, message: `watch: ${errorMessage(error)}` };
  }

  // Dry-runs in parallel (bounded): an app of thousands of objects must not pay them one by one.
  const comparisons = await mapLimit(desired, COMPARE_CONCURRENCY, async (d) => {
    const ref = { group: groupOf(d.apiVersion), kind: d.kind, namespace: d.namespace, name: d.name };
    const refused = objectNotPermitted(admission.project, admission.placement, ref);
    if (refused)
      return notPermittedComparison(d, `${NOT_PERMITTED} "${projectName(app)}": ${refused.detail}`);
    return cluster.comparer.compare({
      desired: d,
      live: d.kindPending ? undefined : cluster.watches.get(d),
      ignoreDifferences: app.spec.ignoreDifferences,
      respectIgnoreDifferences: syncOptions.respectIgnoreDifferences,
    });
  });

  const candidates: KubernetesObject[] = [...cluster.watches.ownedBy(key)];
  for (const { apiVersion, r } of inventory) {
    const live = cluster.watches.get({ apiVersion, kind: r.kind, namespace: r.namespace, name: r.name });
    if (live) candidates.push(live);
  }
  const scope = { name: projectName(app), project: admission.project, placement: admission.placement };
  return {
    ok: true,
    revision,
    sourceType,
    planned,
    input: {
      key,
      app,
      installationId: deps.installationId,
      revision: revision.commit,
      syncOptions,
      rendered: planned.map((p) => ({
        group: groupOf(p.desired.apiVersion),
        kind: p.desired.kind,
        namespace: p.desired.namespace,
        name: p.desired.name,
      })),
      comparisons,
      // Hooks a sync created are the operation's, not desired state: never pruned as leftovers.
      pruneCandidates: candidates.filter(
        (o) => o.metadata?.annotations?.[HOOK_OPERATION_ANNOTATION] === undefined,
      ),
      project: scope,
      dependencies: dependencyVerdict(key, app, deps.apps),
      policy: policyVerdict({
        rules: deps.policies?.current(),
        project: admission.project,
        projectName: scope.name,
        app,
        objects: planned.map((p) => p.desired.object),
      }),
      healPaused: ctx.selfHeal.paused(key, comparisons),
    },
  };
}

function chartTree(deps: ReconcilerDeps, repoURL: string, chart: ResolvedChart) {
  if (!deps.charts) throw new Error("this controller was started without a Helm repository source");
  return deps.charts.acquireTree(repoURL, chart);
}
