// Reconcile one Application, keyed by `namespace/name`. Level-triggered and idempotent: it reads
// the app, Git and the cluster as they are now and converges; running it twice changes nothing
// the first run did not. Everything a later run needs is in the app's status.
import type { KubernetesObject } from "@kubernetes/client-node";
import { mapLimit } from "../engine/concurrency.js";
import { isTetherError } from "../engine/errors.js";
import {
  NOT_PERMITTED,
  pruneCandidates,
  refusedDeletions,
  reportedDecisions,
} from "../engine/prune/candidates.js";
import { trackedApp } from "../engine/prune/ownership.js";
import { groupOf, type UnstructuredObject, objectKey } from "../model/ref.js";
import type { RenderedObject, Renderer } from "../engine/render/index.js";
import type { ResolvedRevision } from "../engine/source/index.js";
import { ITEM_MESSAGE_BYTES, fitRevisionInfo, fitStatus, truncateText } from "../engine/status/budget.js";
import { findCondition, removeCondition, setCondition, statusesEqual } from "../engine/status/conditions.js";
import { parseSyncOptions } from "../engine/status/syncoptions.js";
import { decideSync } from "../engine/status/syncdecision.js";
import { isSelected } from "../engine/status/syncrequest.js";
import { readRequests } from "../engine/status/requests.js";
import { fromOperationResult, recordOperation } from "../engine/status/operation.js";
import { retryWaitMs } from "../engine/status/retry.js";
import { isSkipped, readSyncAnnotations } from "../engine/apply/hooks.js";
import { HOOK_OPERATION_ANNOTATION } from "../model/contract.js";
import { planSteps } from "../engine/apply/waves.js";
import { builtinHealth } from "../engine/health/index.js";
import { validateIgnoreDifferences } from "../engine/diff/index.js";
import type { Application, ApplicationStatus, OperationState } from "../model/application.js";
import { validateApplication, type KnownCluster } from "../engine/validate.js";
import { objectNotPermitted } from "../engine/policy/project.js";
import type { ResourceClient } from "../kube/resources.js";
import { appKeyOf, type ApplicationClient } from "./applications.js";
import { kubeErrorMessage, errorStatus } from "../kube/client.js";
import type { ClusterLookup, ClusterTarget } from "./clusters.js";
import { notPermittedComparison, type ObjectComparison } from "./compare.js";
import { decryptionKeys } from "./decryption.js";
import { prepareDesired, type DesiredObject } from "./desired.js";
import type { EventRecorder } from "./events.js";
import { finalizeApplication } from "./finalize.js";
import { type HealthSource, healthCheckCondition } from "./healthconfig.js";
import type { QueueResult } from "./queue.js";
import { type RevisionResolver, mustResolveFresh } from "./revisions.js";
import { SelfHealGuard } from "./selfheal.js";
import { type ChangeSetEntry, PRUNE_OFF } from "./sync.js";
import { advanceOperation, operationId, type PlannedObject } from "./operation.js";
import { resourceStatuses } from "./resourcestatus.js";
import { admitToProject, policyGate, projectName } from "./policy.js";
import { checkPolicies, type PolicyRules } from "./policygate.js";
import type { ProjectLookup } from "./projects.js";
import { errorMessage } from "../lib/errormessage.js";

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
  readonly source: {
    acquireTree(repoURL: string, commit: string): Promise<{ dir: string; release(): void | Promise<void> }>;
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

const PROGRESSING_RECHECK_MS = 5_000;
/** Condition: the last status write was refused (the status shown is older than the app's state). */
export const STATUS_WRITE_FAILED = "StatusWriteFailed";
/** Condition: objects carrying this app's marks that its project refuses (kept, never deleted). */
export const DELETION_NOT_PERMITTED = "DeletionNotPermitted";
const OPERATION_RECHECK_MS = 2_000;
const COMPARE_CONCURRENCY = 16;

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
   * A periodic re-check for an app stopped early (invalid spec, unknown cluster, not admitted by its
   * project): a fix arrives as an event, but a level-triggered loop does not bet on never missing one.
   * Cheap: these paths fetch nothing.
   */
  private resync(): number {
    return jitter(this.deps.pollIntervalMs);
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
    this.preparedOf.set(key, { rendered, namespace, resources, desired });
    return desired;
  }

  private fencedClient(resources: ResourceClient, key: string): ResourceClient {
    return this.deps.fence ? this.deps.fence.resources(resources, key) : resources;
  }

  /** A lookup whose cluster writes are fenced (finalizing deletes objects too). */
  private fencedLookup(lookup: ClusterLookup, key: string): ClusterLookup {
    if (!lookup.ok) return lookup;
    return {
      ok: true,
      cluster: { ...lookup.cluster, resources: this.fencedClient(lookup.cluster.resources, key) },
    };
  }

  /** The next reconcile of `key` bypasses the revision cache, like the refresh annotation. */
  requestRefresh(key: string): void {
    this.forcedRefresh.add(key);
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
    // The app as this reconcile last wrote it: every write is guarded by its resourceVersion.
    let current = app;
    const now = deps.clock();
    const previous: ApplicationStatus = app.status ?? {};
    let status: ApplicationStatus = {
      ...previous,
      reconciledAt: now.toISOString(),
      observedGeneration: app.metadata.generation,
      // Set only by a refused write (see writeStatus below): the next write that succeeds clears it.
      conditions: removeCondition(previous.conditions, STATUS_WRITE_FAILED),
    };

    const { options: syncOptions, errors: optionErrors } = parseSyncOptions(app.spec?.syncPolicy);
    const invalid = [
      ...validateApplication(app, { localServers: deps.localServers, clusters: deps.knownClusters() }),
      ...optionErrors,
    ];
    try {
      validateIgnoreDifferences(app.spec?.ignoreDifferences);
    } catch (error) {
      invalid.push(errorMessage(error));
    }
    if (invalid.length > 0) {
      status.conditions = setCondition(
        status.conditions,
        { type: "InvalidSpec", status: "True", reason: "InvalidSpec", message: invalid.join("; ") },
        now,
      );
      status.sync = { ...status.sync, status: "Unknown" };
      return this.finish(current, previous, status, { requeueAfterMs: this.resync() }, []);
    }
    status.conditions = removeCondition(status.conditions, "InvalidSpec");

    // The destination cluster: its clients, watches and comparer are all this reconcile uses. One
    // that is registered but does not answer stops here, like a failed source: nothing is applied
    // or pruned on any cluster, and the condition names the cluster.
    const target = deps.clusterFor(app);
    if (!target.ok) {
      status.conditions = setCondition(
        status.conditions,
        { type: "InvalidSpec", status: "True", reason: "InvalidSpec", message: target.message },
        now,
      );
      status.sync = { ...status.sync, status: "Unknown" };
      return this.finish(current, previous, status, { requeueAfterMs: this.resync() }, []);
    }
    const cluster = target.cluster;
    deps.releaseApp(key, cluster);

    // ── Policy gate, step 1 of 2 (src/controller/policy.ts): the project must exist and allow this
    // app's namespace, repository and destination before anything is fetched for it.
    const record = (reason: string, text: string) => deps.events.record(app, "Warning", reason, text);
    // The project judges the destination with both its server and name filled in (one may be unset).
    const placed = {
      ...app,
      spec: {
        ...app.spec,
        destination: { ...app.spec.destination, server: cluster.server, name: cluster.name },
      },
    };
    const admission = admitToProject({
      app: placed,
      projects: deps.projects,
      localServers: deps.localServers,
      conditions: status.conditions,
      now,
      record,
    });
    status.conditions = admission.conditions;
    if (!admission.ok) {
      status.sync = { ...status.sync, status: "Unknown" };
      return this.finish(current, previous, status, { requeueAfterMs: this.resync() }, []);
    }

    const requests = readRequests({
      annotations: app.metadata.annotations ?? {},
      previous,
      generation: app.metadata.generation,
      conditions: status.conditions,
      now,
    });
    status.conditions = requests.conditions;
    status.rollback = requests.rolledBack;
    const { rolledBack, syncRequested, selection, handled: requestAnnotations } = requests;
    const forced = this.forcedRefresh.delete(key);
    const source = app.spec.source;
    const namespace = app.spec.destination.namespace || app.metadata.namespace || "default";
    if (cluster.state.status === "Failed") {
      const text = `cluster "${cluster.name}" (${cluster.server}) is not reachable: ${cluster.state.message}; nothing is applied or pruned until it answers`;
      return this.comparisonFailed({
        app,
        current,
        previous,
        status,
        now,
        reason: "ClusterUnreachable",
        text,
        requestAnnotations,
      });
    }

    // Source and render. Any failure stops here: nothing is applied and nothing is pruned.
    let revision: ResolvedRevision;
    let desired: DesiredObject[];
    let planned: PlannedObject[];
    let sourceType;
    try {
      revision = await deps.revisions.resolve(
        source.repoURL,
        rolledBack ? rolledBack.revision : source.targetRevision,
        requests.lookAtGit ||
          forced ||
          mustResolveFresh({ previous, generation: app.metadata.generation, source }),
      );
      const decryption = await decryptionKeys(deps.localResources, app);
      const renderInput = {
        commit: revision.commit,
        source,
        namespace,
        appName: app.metadata.name,
        decryption,
      };
      // At a commit already rendered (drift, health updates) no tree is extracted at all.
      let rendered = deps.renderer.cached(renderInput);
      if (!rendered) {
        const tree = await deps.source.acquireTree(source.repoURL, revision.commit);
        try {
          rendered = await deps.renderer.render({ ...renderInput, repoRoot: tree.dir });
        } finally {
          await tree.release();
        }
      }
      sourceType = rendered.type;
      const prepared = await this.prepared(key, rendered.objects, namespace, cluster.resources);
      planned = prepared.map((d) => ({ ...d.object, desired: d, ...readSyncAnnotations(d.object) }));
      desired = planned.filter((p) => p.hooks.length === 0).map((p) => p.desired);
    } catch (error) {
      const reason = isTetherError(error) ? error.reason : "ComparisonFailed";
      const text = `${isTetherError(error) ? `${error.stage}: ` : ""}${errorMessage(error)}`;
      return this.comparisonFailed({ app, current, previous, status, now, reason, text, requestAnnotations });
    }

    // What is live: the desired kinds plus every kind the app had before (to find what to prune).
    const inventoryKinds = (previous.resources ?? [])
      .map((r) => ({
        apiVersion: r.version ? (r.group ? `${r.group}/${r.version}` : r.version) : "",
        kind: r.kind,
      }))
      .filter((k) => k.apiVersion);
    const kinds = new Map<string, { apiVersion: string; kind: string }>();
    for (const k of [
      ...planned.map((p) => ({ apiVersion: p.desired.apiVersion, kind: p.desired.kind })),
      ...inventoryKinds,
    ])
      kinds.set(`${k.apiVersion}/${k.kind}`, k);
    try {
      await cluster.watches.track(key, [...kinds.values()]);
    } catch (error) {
      // Typically RBAC: Tether may not list/watch a kind in Git. Say so on the app, touch nothing.
      const text = `watch: ${errorMessage(error)}`;
      return this.comparisonFailed({
        app,
        current,
        previous,
        status,
        now,
        reason: "WatchFailed",
        text,
        requestAnnotations,
      });
    }

    // Dry-runs in parallel (bounded): an app of thousands of objects must not pay them one by one.
    let comparisons: ObjectComparison[] = await mapLimit(desired, COMPARE_CONCURRENCY, async (d) => {
      const ref = { group: groupOf(d.apiVersion), kind: d.kind, namespace: d.namespace, name: d.name };
      const refused = objectNotPermitted(admission.project, admission.placement, ref);
      if (refused) {
        return notPermittedComparison(d, `${NOT_PERMITTED} "${projectName(app)}": ${refused.detail}`);
      }
      const live = cluster.watches.get(d);
      return cluster.comparer.compare({
        desired: d,
        live,
        ignoreDifferences: app.spec.ignoreDifferences,
        respectIgnoreDifferences: syncOptions.respectIgnoreDifferences,
      });
    });

    const candidates = [...cluster.watches.ownedBy(key)];
    for (const r of previous.resources ?? []) {
      const apiVersion = r.group ? `${r.group}/${r.version ?? ""}` : (r.version ?? "");
      if (!r.version) continue;
      const live = cluster.watches.get({ apiVersion, kind: r.kind, namespace: r.namespace, name: r.name });
      if (live) candidates.push(live);
    }
    // Hooks a sync created are the operation's, not desired state: never pruned as leftovers.
    const notHooks = candidates.filter(
      (o) => o.metadata?.annotations?.[HOOK_OPERATION_ANNOTATION] === undefined,
    );
    const decisions = pruneCandidates({
      app: key,
      installationId: deps.installationId,
      desired: desired.map((d) => d.object),
      live: notHooks,
      project: { name: projectName(app), project: admission.project, placement: admission.placement },
    });
    // Marked objects outside the project are kept: say so once (a forged mark is an attack signal).
    const refused = refusedDeletions(decisions);
    if (refused) {
      status.conditions = setCondition(
        status.conditions,
        { type: DELETION_NOT_PERMITTED, status: "True", reason: "NotPermittedByProject", message: refused },
        now,
      );
      if (findCondition(previous.conditions, DELETION_NOT_PERMITTED)?.message !== refused)
        deps.events.record(app, "Warning", DELETION_NOT_PERMITTED, refused);
    } else {
      status.conditions = removeCondition(status.conditions, DELETION_NOT_PERMITTED);
    }
    const automated = app.spec.syncPolicy?.automated;
    const emptyRenderGuard = desired.length === 0 && !automated?.allowEmpty;

    const compareErrors = comparisons.filter((c) => c.error).map((c) => c.error as string);
    if (compareErrors.length > 0) {
      status.conditions = setCondition(
        status.conditions,
        {
          type: "ComparisonError",
          status: "True",
          reason: "DryRunFailed",
          message: compareErrors.join("; "),
        },
        now,
      );
    } else {
      status.conditions = removeCondition(status.conditions, "ComparisonError");
    }

    // An object another app of this installation owns (its tracking annotation names that app) is
    // not this app's to change or adopt silently: report it (Argo CD's SharedResourceWarning).
    const claimedBy = (c: ObjectComparison): string | undefined => {
      const owner = c.live ? trackedApp(c.live) : undefined;
      return owner !== undefined && owner !== key ? owner : undefined;
    };
    const shared = comparisons.flatMap((c) => {
      const owner = claimedBy(c);
      const d = c.desired;
      return owner
        ? [`${d.kind} ${d.namespace ? `${d.namespace}/` : ""}${d.name} is managed by application ${owner}`]
        : [];
    });
    if (shared.length > 0) {
      status.conditions = setCondition(
        status.conditions,
        {
          type: "SharedResourceWarning",
          status: "True",
          reason: "SharedResource",
          message: shared.join("; "),
        },
        now,
      );
      if (!previous.conditions?.some((c) => c.type === "SharedResourceWarning"))
        deps.events.record(app, "Warning", "SharedResourceWarning", shared.join("; "));
    } else {
      status.conditions = removeCondition(status.conditions, "SharedResourceWarning");
    }
    const outOfSync = () =>
      comparisons.filter((c) => c.result.status === "OutOfSync" || claimedBy(c) !== undefined);
    const pruneNeeded = decisions.filter((d) => d.action === "delete");
    let syncStatus: "Synced" | "OutOfSync" =
      outOfSync().length > 0 || pruneNeeded.length > 0 ? "OutOfSync" : "Synced";

    // ── Policy gate, step 2 of 2 (src/controller/policy.ts): rendered kinds, sync windows and
    // dependsOn. A closed gate takes the sync out of the decision: nothing is applied or pruned.
    // Hooks too: a hook is created (and a same-named live object deleted by BeforeHookCreation)
    // exactly where it says, so it must lie inside the project like every other object.
    const projectGate = policyGate({
      key,
      app,
      admission,
      desired: planned.map((p) => p.desired),
      apps: deps.apps,
      manualRequested: syncRequested,
      conditions: status.conditions,
      now,
      record,
    });
    status.conditions = projectGate.conditions;

    // ── Policy gate, rules (src/controller/policygate.ts): every rendered object (hooks too), as it
    // would be applied, against the project's spec.policy. Under deny a violation or a broken rule
    // takes the sync out of the decision (nothing applied or pruned) and records it as Failed.
    const gate = checkPolicies({
      gate: projectGate,
      rules: deps.policies?.current(),
      project: admission.project,
      projectName: projectName(app),
      app,
      objects: planned.map((p) => p.desired.object),
      requested: syncRequested,
      outOfSync: syncStatus === "OutOfSync",
      revision: revision.commit,
      previous,
      status,
      now,
      record,
    });
    status = gate.status;

    // Decide whether to sync now.
    // An operation still running (waiting on a wave's health or a hook, or cut short by a restart)
    // continues at its revision; a newer revision supersedes it and a new operation starts over.
    const running = previous.operationState?.phase === "Running" ? previous.operationState : undefined;
    const continuing = running?.revision === revision.commit ? running : undefined;
    const superseded = running && !continuing ? running : undefined;
    const decision = gate.permit(
      decideSync({
        policy: app.spec.syncPolicy,
        requested: syncRequested,
        outOfSync: syncStatus === "OutOfSync",
        revision: revision.commit,
        lastOperation: previous.operationState,
        now,
      }),
    );
    const initiatedBy =
      continuing?.initiatedBy ?? decision.initiatedBy ?? gate.allow(superseded?.initiatedBy);
    const retryCount = continuing?.retryCount ?? decision.retryCount;
    const retryLimit = app.spec.syncPolicy?.retry?.limit ?? 0;
    const chosen = continuing ? continuing.request?.resources : selection;

    let toApply = (syncOptions.applyOutOfSyncOnly ? outOfSync() : comparisons).filter(
      (c) =>
        !c.error &&
        claimedBy(c) === undefined &&
        isSelected(chosen, {
          group: groupOf(c.desired.apiVersion),
          kind: c.desired.kind,
          namespace: c.desired.namespace,
          name: c.desired.name,
        }),
    );
    if (decision.selfHeal) {
      // Self-heal of drift at an already-synced revision: guard against another writer fighting us.
      const { allowed, blocked } = this.selfHeal.filter(key, toApply);
      toApply = allowed;
      if (blocked.length > 0) {
        const text = blocked
          .map((b) => `${b.what} keeps changing (last by ${b.manager}); self-heal paused for it`)
          .join("; ");
        status.conditions = setCondition(
          status.conditions,
          { type: "SelfHealBackoff", status: "True", reason: "FieldManagerConflict", message: text },
          now,
        );
        if (!previous.conditions?.some((c) => c.type === "SelfHealBackoff"))
          deps.events.record(app, "Warning", "SelfHealBackoff", text);
      }
    } else {
      status.conditions = removeCondition(status.conditions, "SelfHealBackoff");
    }
    // An empty render with objects to prune looks exactly like a broken render: prune nothing, say why.
    const emptyRenderBlocked = emptyRenderGuard && pruneNeeded.length > 0;
    if (initiatedBy && emptyRenderBlocked) {
      status.conditions = setCondition(
        status.conditions,
        {
          type: "SyncError",
          status: "True",
          reason: "EmptyRender",
          message: `the render is empty: refusing to prune ${pruneNeeded.length} object(s) (set spec.syncPolicy.automated.allowEmpty=true to allow)`,
        },
        now,
      );
    } else if (status.conditions?.find((c) => c.type === "SyncError")?.reason === "EmptyRender") {
      status.conditions = removeCondition(status.conditions, "SyncError");
    }

    // Commit author and message as status keeps them (capped: Git's text can be any size).
    const revisionInfo = fitRevisionInfo({
      revision: revision.commit,
      author: revision.author,
      date: revision.date,
      message: revision.message,
    });
    let results: ChangeSetEntry[] = [];
    let operationRunning = false;
    /** This reconcile recorded SyncSucceeded or DriftCorrected: "now Synced" is already said. */
    let syncAnnounced = false;
    const startsNew =
      !continuing &&
      initiatedBy !== undefined &&
      (toApply.length > 0 ||
        (pruneNeeded.length > 0 && !emptyRenderBlocked) ||
        syncRequested ||
        superseded !== undefined);
    if (continuing || startsNew) {
      let op: OperationState;
      if (continuing) {
        op = { ...continuing, id: continuing.id ?? operationId(continuing.revision, continuing.startedAt) };
      } else {
        const startedAt = now.toISOString();
        op = {
          phase: "Running",
          id: operationId(revision.commit, startedAt),
          revision: revision.commit,
          startedAt,
          initiatedBy: initiatedBy ?? "auto",
          retryCount,
          request:
            requests.prune !== undefined || selection
              ? { prune: requests.prune, resources: selection?.map((r) => ({ ...r })) }
              : undefined,
        };
        if (superseded)
          deps.events.record(
            app,
            "Normal",
            "SyncSuperseded",
            `sync of ${superseded.revision.slice(0, 7)} stopped (${superseded.step ?? "running"}): ${revision.commit.slice(0, 7)} is newer`,
          );
        // Record the intent first: a crash mid-sync leaves a Running operation that the next reconcile resumes.
        status.operationState = op;
        current = await this.writeStatus(current, status);
      }
      // Automatic syncs prune per the policy; a manual sync prunes when it asks to (like Argo CD's
      // sync dialog), defaulting to the policy; a rollback follows the policy.
      const allowPrune = op.request?.prune ?? automated?.prune ?? false;
      const live = new Map(comparisons.map((c) => [c.desired.key, c.live]));
      const progress = await advanceOperation(
        {
          resources: this.fencedClient(cluster.resources, key),
          liveOf: (d) => cluster.watches.get(d),
          health: (o) => (deps.health?.evaluate ?? builtinHealth)(o as UnstructuredObject).health,
          persist: async (o) => {
            status = { ...status, operationState: o };
            current = await this.writeStatus(current, status);
          },
        },
        {
          op,
          plan: planSteps({
            resources: planned.filter((p) => p.hooks.length === 0),
            hooks: planned.filter((p) => p.hooks.length > 0),
            pruneLast: syncOptions.pruneLast,
          }),
          // The comparison's object: with RespectIgnoreDifferences it keeps the live value of ignored fields.
          toApply: new Map(toApply.map((c) => [c.desired.key, c.desired])),
          exists: (d) => live.get(d.key) !== undefined,
          prune: (emptyRenderGuard ? decisions.filter((d) => d.action === "keep") : decisions).filter((d) =>
            isSelected(op.request?.resources, {
              group: groupOf(d.object.apiVersion),
              kind: d.object.kind ?? "",
              namespace: d.object.metadata?.namespace,
              name: d.object.metadata?.name ?? "",
            }),
          ),
          pruneBlocked: allowPrune ? undefined : PRUNE_OFF,
          options: syncOptions,
          createNamespace: syncOptions.createNamespace ? namespace : undefined,
        },
      );
      results = [...progress.entries];
      const failures = results.filter((r) => r.action === "failed");
      if (progress.outcome === "Running") {
        operationRunning = true;
        status.operationState = { ...progress.op, message: progress.message };
        // SyncStarted only for a sync that waits (hooks, waves, health): one that ends in the
        // reconcile that started it says everything in its SyncSucceeded or SyncFailed Event, and
        // in a sync storm every Event is a request the syncs wait behind.
        if (!continuing)
          deps.events.record(
            app,
            "Normal",
            "SyncStarted",
            `sync of ${revision.commit.slice(0, 7)} started (${op.initiatedBy})`,
          );
      } else {
        const outcome = recordOperation({
          status,
          previous,
          results: (progress.op.results ?? []).map(fromOperationResult),
          source,
          initiatedBy: op.initiatedBy,
          retryCount,
          startedAt: op.startedAt,
          finishedAt: deps.clock(),
          keepSyncError: emptyRenderBlocked,
          failure: progress.outcome === "Failed" ? progress.message : undefined,
          carried: { id: op.id, hooks: progress.op.hooks },
          revision: revisionInfo,
        });
        status = outcome.status;
        if (outcome.phase === "Failed") {
          deps.events.record(app, "Warning", "SyncFailed", outcome.summary);
        } else {
          const healed = decision.selfHeal && !continuing;
          syncAnnounced = true;
          deps.events.record(
            app,
            "Normal",
            healed ? "DriftCorrected" : "SyncSucceeded",
            `${healed ? "drift corrected" : "synced"} at ${revision.commit.slice(0, 7)}: ${outcome.summary}`,
          );
          if (healed) for (const c of toApply) this.selfHeal.record(key, c);
        }
      }
      // The apply results are the new live objects: compare status follows from them.
      const applied = new Map(
        results
          .filter((r) => r.applied)
          .map((r) => [objectKey(r.applied as KubernetesObject), r.applied as KubernetesObject]),
      );
      comparisons = comparisons.map((c, i) => {
        const after = applied.get(c.desired.key);
        const manifest = desired[i];
        if (after && manifest)
          cluster.comparer.recordApplied({
            desired: manifest,
            live: after,
            ignoreDifferences: app.spec.ignoreDifferences,
            respectIgnoreDifferences: syncOptions.respectIgnoreDifferences,
          });
        return after
          ? { ...c, live: after, result: { ...c.result, status: "Synced", created: false, fields: [] } }
          : c;
      });
      const stillPrunable = results.some(
        (r) => r.action === "kept" && r.message?.startsWith("requires pruning"),
      );
      syncStatus =
        outOfSync().length > 0 || stillPrunable || emptyRenderBlocked || failures.length > 0
          ? "OutOfSync"
          : "Synced";
    }

    const { resources, health, healthErrors } = resourceStatuses({
      comparisons,
      decisions: reportedDecisions(decisions),
      results,
      claimedBy,
      health: deps.health?.evaluate,
    });
    status.conditions = healthCheckCondition(
      status.conditions,
      [...(deps.health?.errors ?? []), ...healthErrors],
      now,
    );

    status = {
      ...status,
      sync: { status: syncStatus, revision: revision.commit, comparedTo: source },
      health,
      resources,
      sourceType,
      revisionInfo,
    };
    this.recordTransitions(app, previous, status, syncAnnounced);
    // A failed sync with retries left is looked at again when its backoff (from its finish) is over.
    const failedOp =
      status.operationState?.phase === "Failed" && (status.operationState.retryCount ?? 0) < retryLimit
        ? status.operationState
        : undefined;
    const retryAfter = failedOp
      ? Math.max(retryWaitMs(failedOp, app.spec.syncPolicy?.retry?.backoff, deps.clock()), 1)
      : undefined;
    // A running operation is woken by watch events on the objects it waits for; the requeue is a backstop.
    const requeueAfterMs = operationRunning
      ? OPERATION_RECHECK_MS
      : (retryAfter ??
        (health.status === "Progressing" ? PROGRESSING_RECHECK_MS : jitter(deps.pollIntervalMs)));
    return this.finish(
      current,
      previous,
      status,
      { requeueAfterMs: gate.requeueAfter(requeueAfterMs) },
      gate.handled(requestAnnotations),
    );
  }

  private recordTransitions(
    app: Application,
    previous: ApplicationStatus,
    next: ApplicationStatus,
    syncAnnounced: boolean,
  ): void {
    // After a successful sync, "sync status → Synced" repeats the SyncSucceeded Event just recorded.
    const repeated = syncAnnounced && next.sync?.status === "Synced";
    if (previous.sync?.status !== next.sync?.status && next.sync?.status && !repeated) {
      this.deps.events.record(
        app,
        next.sync.status === "OutOfSync" ? "Warning" : "Normal",
        next.sync.status,
        `sync status ${previous.sync?.status ?? "none"} → ${next.sync.status}`,
      );
    }
    // An app's first health assessment is news only when it is not Healthy (Progressing, Degraded…).
    const firstAndHealthy = previous.health?.status === undefined && next.health?.status === "Healthy";
    if (previous.health?.status !== next.health?.status && next.health?.status && !firstAndHealthy) {
      const bad = next.health.status === "Degraded" || next.health.status === "Missing";
      this.deps.events.record(
        app,
        bad ? "Warning" : "Normal",
        `Health${next.health.status}`,
        `health ${previous.health?.status ?? "none"} → ${next.health.status}${next.health.message ? `: ${next.health.message}` : ""}`,
      );
    }
  }

  /** Source, render or watch failed: say so on the app and change nothing in the cluster. */
  private comparisonFailed(input: {
    app: Application;
    current: Application;
    previous: ApplicationStatus;
    status: ApplicationStatus;
    now: Date;
    reason: string;
    text: string;
    requestAnnotations: readonly string[];
  }): Promise<QueueResult> {
    const { app, previous, now, reason, text } = input;
    const status = {
      ...input.status,
      conditions: setCondition(
        input.status.conditions,
        { type: "ComparisonError", status: "True", reason, message: text },
        now,
      ),
    };
    if (previous.conditions?.find((c) => c.type === "ComparisonError")?.message !== text) {
      this.deps.events.record(app, "Warning", "ComparisonError", text);
    }
    const retryMs = Math.min(this.deps.pollIntervalMs, 15_000);
    return this.finish(
      input.current,
      previous,
      status,
      { requeueAfterMs: retryMs },
      input.requestAnnotations,
    );
  }

  /**
   * Every status write of a reconcile. The status is fitted first (engine/status/budget.ts). A
   * write the apiserver refuses for another reason than a conflict (too large, an admission policy,
   * a validation error) would otherwise fail silently on every retry while the app shows an old
   * state: it becomes a StatusWriteFailed condition, written in a small second write (the stored
   * status plus that condition), and a Warning Event; the error is rethrown, so the queue retries
   * with its exponential backoff rather than at once.
   */
  private async writeStatus(app: Application, status: ApplicationStatus): Promise<Application> {
    this.deps.fence?.check(appKeyOf(app));
    try {
      return await this.deps.apps.writeStatus(app, fitStatus(status));
    } catch (error) {
      if (errorStatus(error) === 409) throw error;
      const code = errorStatus(error);
      const text = truncateText(
        `status could not be written${code ? ` (HTTP ${code})` : ""}: ${kubeErrorMessage(error)}`,
        ITEM_MESSAGE_BYTES,
      );
      const stored = app.status ?? {};
      if (findCondition(stored.conditions, STATUS_WRITE_FAILED)?.message !== text)
        this.deps.events.record(app, "Warning", STATUS_WRITE_FAILED, text);
      const conditions = setCondition(
        stored.conditions,
        { type: STATUS_WRITE_FAILED, status: "True", reason: "WriteRejected", message: text },
        this.deps.clock(),
      );
      await this.deps.apps.writeStatus(app, fitStatus({ ...stored, conditions })).catch((second: unknown) => {
        this.deps.log(
          `${appKeyOf(app)}: the StatusWriteFailed condition could not be written either: ${errorMessage(second)}`,
        );
      });
      throw new Error(`${appKeyOf(app)}: ${text}`, { cause: error });
    }
  }

  /**
   * Writes the status if it changed, then removes the request annotations this reconcile handled.
   * Both writes carry the resourceVersion of the app as this reconcile last wrote it: if the user
   * changed anything since (even re-setting the same request annotation), the write conflicts and
   * the queue runs the reconcile again, so a request is never swallowed.
   */
  private async finish(
    app: Application,
    previous: ApplicationStatus,
    status: ApplicationStatus,
    result: QueueResult,
    handledRequests: readonly string[],
  ): Promise<QueueResult> {
    let current = app;
    // A quiet reconcile writes nothing; one that answers a user's request (refresh, sync) records
    // reconciledAt even when nothing else changed, so they can see it was looked at.
    // Compared as it would be written (texts capped, within the budget): a status that only fits
    // when trimmed must not look changed on every reconcile.
    const fitted = statusesEqual(previous, status) ? status : fitStatus(status);
    if (!statusesEqual(previous, fitted) || handledRequests.length > 0)
      current = await this.writeStatus(current, fitted);
    if (handledRequests.length > 0) await this.deps.apps.removeAnnotations(current, handledRequests);
    return result;
  }
}
