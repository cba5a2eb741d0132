// The ApplicationSet controller: an informer over ApplicationSets and its own work queue. A
// reconcile reads the set, computes its parameter sets (generators) and Applications (template),
// then creates, updates and deletes the Applications it owns to match; with a rolling sync it asks
// the apps of the current step to sync. A generator or template error changes no app: the
// `ErrorOccurred` condition names the generator (or field) and the error.
import type { KubernetesObject } from "@kubernetes/client-node";
import type { KubeConfig } from "../kube/connection.js";
import type { Application } from "../model/application.js";
import { API_VERSION, GROUP, VERSION } from "../model/application.js";
import type { ApplicationSet, ApplicationSetStatus } from "../model/applicationset.js";
import { APPSET_LABEL } from "../model/contract.js";
import {
  appSetLabelValue,
  desiredApplications,
  isOwnedBy,
  planApplications,
  templatePrunes,
} from "../engine/appset/applications.js";
import { ApplicationSetError } from "../engine/appset/errors.js";
import type { GeneratedParams } from "../engine/appset/generators.js";
import { generateParamSets } from "../engine/appset/generators.js";
import { planRollingSync } from "../engine/appset/rollout.js";
import type { ConditionInput } from "../engine/status/conditions.js";
import { setCondition } from "../engine/status/conditions.js";
import type { RepositoryCache } from "../engine/source/index.js";
import { CASCADE_FINALIZER, SYNC_ANNOTATION } from "../model/contract.js";
import type { KubeClients } from "../kube/client.js";
import { kubeErrorMessage, errorStatus } from "../kube/client.js";
import { Informer } from "../kube/informer.js";
import type { ApplicationClient } from "./applications.js";
import { appKeyOf } from "./applications.js";
import { GitListings, listClusters } from "./appsetinputs.js";
import type { QueueResult } from "./queue.js";
import { WorkQueue } from "./queue.js";

const PLURAL = "applicationsets";
const APPS = { group: GROUP, version: VERSION, plural: "applications" } as const;

export interface ApplicationSetControllerOptions {
  readonly config: KubeConfig;
  readonly clients: KubeClients;
  readonly apps: ApplicationClient;
  readonly source: RepositoryCache;
  /** Where cluster Secrets live. */
  readonly systemNamespace: string;
  /** Watch ApplicationSets only in this namespace; all when unset. */
  readonly namespace?: string;
  readonly pollIntervalMs: number;
  readonly clock: () => Date;
  readonly log: (line: string) => void;
  readonly workers?: number;
  /** Throws when this replica may not write now (not the leader): checked before each reconcile. */
  readonly check?: () => void;
}

/** The set an app belongs to (by its owner reference), as a queue key. */
export function ownerSetKey(app: Application): string | undefined {
  const owner = app.metadata.ownerReferences?.find((r) => r.kind === "ApplicationSet" && r.controller);
  return owner ? `${app.metadata.namespace ?? ""}/${owner.name}` : undefined;
}

export class ApplicationSetController {
  readonly queue: WorkQueue;
  private readonly informer: Informer;
  private readonly git: GitListings;
  private readonly seen = new Map<string, string>();
  /** Sets asked to look at Git now (a push): their next reconcile skips the ls-remote reuse. */
  private readonly fresh = new Set<string>();
  private enabled = true;

  constructor(private readonly options: ApplicationSetControllerOptions) {
    const ns = options.namespace;
    this.git = new GitListings(options.source, options.pollIntervalMs);
    this.queue = new WorkQueue({
      workers: options.workers ?? 2,
      handler: (key) => {
        options.check?.();
        return this.reconcile(key);
      },
      onError: (key, error) =>
        options.log(`applicationset ${key} failed (will retry): ${kubeErrorMessage(error)}`),
    });
    this.informer = new Informer({
      config: options.config,
      path: ns
        ? `/apis/${GROUP}/${VERSION}/namespaces/${ns}/${PLURAL}`
        : `/apis/${GROUP}/${VERSION}/${PLURAL}`,
      list: async () => {
        const list = (await (ns
          ? options.clients.custom.listNamespacedCustomObject({
              group: GROUP,
              version: VERSION,
              namespace: ns,
              plural: PLURAL,
            })
          : options.clients.custom.listClusterCustomObject({
              group: GROUP,
              version: VERSION,
              plural: PLURAL,
            }))) as { items: KubernetesObject[]; metadata?: { resourceVersion?: string } };
        return { items: list.items, resourceVersion: list.metadata?.resourceVersion ?? "" };
      },
      onEvent: (type, object) => {
        const key = appKeyOf(object);
        // Its own status writes change neither generation nor metadata: no reconcile for them.
        const m = object.metadata ?? {};
        const fingerprint = JSON.stringify([
          m.generation,
          m.annotations,
          m.labels,
          m.deletionTimestamp,
          m.uid,
        ]);
        if (type === "DELETED") this.seen.delete(key);
        else if (this.seen.get(key) === fingerprint) return;
        else this.seen.set(key, fingerprint);
        this.queue.add(key);
      },
      onError: (error) => options.log(`watch applicationsets: ${kubeErrorMessage(error)}`),
    });
  }

  async start(): Promise<void> {
    try {
      await this.informer.start();
    } catch (error) {
      // An installation without the ApplicationSet CRD keeps working for Applications.
      if (errorStatus(error) !== 404) throw error;
      this.enabled = false;
      this.informer.stop();
      this.options.log(`ApplicationSets disabled: the CRD applicationsets.${GROUP} is not installed`);
    }
  }

  async stop(): Promise<void> {
    this.informer.stop();
    this.queue.stop();
    await this.queue.idle();
    await this.git.releaseAll();
  }

  /** An app changed (status included): its set re-evaluates (rolling sync, resource status). */
  appObserved(app: Application | undefined): void {
    const key = app && ownerSetKey(app);
    if (this.enabled && key) this.queue.add(key);
  }

  /** Sets with a Git generator on this repository look again now; returns how many. */
  refreshRepository(matches: (repoURL: string) => boolean): number {
    let count = 0;
    for (const object of this.informer.list()) {
      const set = object as unknown as ApplicationSet;
      try {
        const text = JSON.stringify(set.spec?.generators ?? []);
        // JSON.parse of each match undoes the string escaping (a URL holding `\"` or `\u…`).
        const urls = [...text.matchAll(/"repoURL":("(?:[^"\\]|\\.)*")/g)].map(
          (m) => JSON.parse(m[1] ?? '""') as string,
        );
        if (!urls.some(matches)) continue;
        this.fresh.add(appKeyOf(set));
        this.queue.add(appKeyOf(set));
        count += 1;
      } catch (error) {
        // A set of the wrong shape (stored under an older CRD) stops no other set's refresh.
        this.options.log(`applicationset ${appKeyOf(set)}: push refresh skipped: ${kubeErrorMessage(error)}`);
      }
    }
    return count;
  }

  private get(key: string): ApplicationSet | undefined {
    const slash = key.indexOf("/");
    const object = this.informer.get(key.slice(0, slash), key.slice(slash + 1));
    return object
      ? ({ ...object, apiVersion: API_VERSION, kind: "ApplicationSet" } as unknown as ApplicationSet)
      : undefined;
  }

  async reconcile(key: string): Promise<QueueResult> {
    const set = this.get(key);
    // Deleted: the garbage collector deletes the apps through their owner references.
    if (!set || set.metadata.deletionTimestamp) return {};
    const now = this.options.clock();
    const requeue = usesPolling(set) ? { requeueAfterMs: requeueMs(set, this.options.pollIntervalMs) } : {};
    let conditions = set.status?.conditions;
    const condition = (c: ConditionInput) => (conditions = setCondition(conditions, c, now));
    const fresh = this.fresh.delete(key);

    let generated: GeneratedParams[];
    let desired: Application[];
    try {
      if (set.spec.goTemplate === true)
        throw new ApplicationSetError(
          "InvalidSpec",
          "spec.goTemplate",
          "Go templates are not supported: Tether substitutes {{parameters}} and never executes templates; set goTemplate: false",
        );
      if (set.spec.strategy?.type === "RollingSync" && !set.spec.strategy.rollingSync?.steps?.length)
        throw new ApplicationSetError(
          "InvalidSpec",
          "spec.strategy.rollingSync.steps",
          "a RollingSync needs at least one step",
        );
      generated = await generateParamSets(set.spec.generators ?? [], {
        clusters: () => listClusters(this.options.clients, this.options.systemNamespace),
        git: (repoURL, revision) => this.git.listing(repoURL, revision, fresh),
      });
      desired = desiredApplications(set, generated);
    } catch (error) {
      // Nothing is created, changed or deleted on an error: a broken generator must not look like
      // "no elements" and delete every app.
      const reason = error instanceof ApplicationSetError ? error.reason : "GeneratorError";
      condition({ type: "ErrorOccurred", status: "True", reason, message: kubeErrorMessage(error) });
      condition({ type: "ParametersGenerated", status: "False", reason, message: kubeErrorMessage(error) });
      await this.writeStatus(set, { ...set.status, conditions, observedGeneration: set.metadata.generation });
      this.options.log(`applicationset ${key}: ${kubeErrorMessage(error)}`);
      return { requeueAfterMs: this.options.pollIntervalMs };
    }
    condition({
      type: "ParametersGenerated",
      status: "True",
      reason: "ParametersGenerated",
      message: `${generated.length} parameter sets`,
    });

    const live = await this.listApps(set);
    const changes = planApplications(set, desired, live);
    const byName = new Map(live.map((a) => [a.metadata.name, a]));
    const failures = await this.applyChanges(set, changes, byName);
    if (failures.length > 0) {
      condition({
        type: "ErrorOccurred",
        status: "True",
        reason: "ApplicationWriteFailed",
        message: failures.join("; "),
      });
      condition({
        type: "ResourcesUpToDate",
        status: "False",
        reason: "ApplicationWriteFailed",
        message: failures.join("; "),
      });
    } else {
      condition({ type: "ErrorOccurred", status: "False", reason: "ApplicationSetUpToDate", message: "" });
      condition({
        type: "ResourcesUpToDate",
        status: "True",
        reason: "ApplicationSetUpToDate",
        message: `${desired.length} Applications up to date`,
      });
    }

    const status: ApplicationSetStatus = {
      ...set.status,
      observedGeneration: set.metadata.generation,
      resources: desired.map((d) => {
        const app = byName.get(d.metadata.name);
        return {
          name: d.metadata.name,
          namespace: d.metadata.namespace,
          ...(app?.status?.sync ? { status: app.status.sync.status } : {}),
          ...(app?.status?.health ? { health: app.status.health } : {}),
        };
      }),
    };
    if (set.spec.strategy?.type === "RollingSync") {
      const apps = desired.map((d) => byName.get(d.metadata.name) ?? d);
      const prunes = new Map(desired.map((d, i) => [d.metadata.name, templatePrunes(set, generated[i])]));
      const plan = planRollingSync(
        set.spec.strategy.rollingSync?.steps ?? [],
        apps.map(rolloutView),
        set.status?.applicationStatus,
        now,
      );
      for (const name of plan.sync) {
        const app = byName.get(name);
        if (!app?.metadata.resourceVersion) continue;
        await this.options.apps.patchMetadata(app, {
          annotations: { [SYNC_ANNOTATION]: prunes.get(name) ? '{"prune":true}' : "true" },
        });
        this.options.log(`applicationset ${key}: rolling sync: syncing ${name}`);
      }
      status.applicationStatus = plan.statuses;
      condition(
        plan.progressing
          ? {
              type: "RolloutProgressing",
              status: "True",
              reason: "ApplicationSetModified",
              message: "rolling sync in progress",
            }
          : {
              type: "RolloutProgressing",
              status: "False",
              reason: "ApplicationSetRolloutComplete",
              message: "every step is Synced and Healthy",
            },
      );
    } else {
      delete status.applicationStatus;
      conditions = conditions?.filter((c) => c.type !== "RolloutProgressing");
    }
    status.conditions = conditions;
    await this.writeStatus(set, status);
    return requeue;
  }

  private async listApps(set: ApplicationSet): Promise<Application[]> {
    const list = (await this.options.clients.custom.listNamespacedCustomObject({
      ...APPS,
      namespace: set.metadata.namespace ?? "",
      labelSelector: `${APPSET_LABEL}=${appSetLabelValue(set.metadata.name)}`,
    })) as { items: Application[] };
    return list.items.map((a) => ({ ...a, apiVersion: API_VERSION, kind: "Application" }));
  }

  /** Creates, updates and deletes; returns what failed (each message names the app). */
  private async applyChanges(
    set: ApplicationSet,
    changes: ReturnType<typeof planApplications>,
    /** Updated with what the writes return, so later patches carry the current resourceVersion. */
    byName: Map<string, Application>,
  ): Promise<string[]> {
    const { clients, log } = this.options;
    const namespace = set.metadata.namespace ?? "";
    const key = appKeyOf(set);
    const failures: string[] = [];
    const attempt = async (what: string, run: () => Promise<unknown>) => {
      try {
        const written = (await run()) as Application | undefined;
        if (written?.metadata?.name)
          byName.set(written.metadata.name, { ...written, apiVersion: API_VERSION, kind: "Application" });
        log(`applicationset ${key}: ${what}`);
      } catch (error) {
        failures.push(
          `${what}: ${errorStatus(error) === 409 ? "an Application of that name exists and is not owned by this set" : kubeErrorMessage(error)}`,
        );
      }
    };
    for (const app of changes.create)
      await attempt(`created Application ${app.metadata.name}`, () =>
        clients.custom.createNamespacedCustomObject({ ...APPS, namespace, body: app }),
      );
    for (const { next } of changes.update)
      await attempt(`updated Application ${next.metadata.name}`, () =>
        clients.custom.replaceNamespacedCustomObject({
          ...APPS,
          namespace,
          name: next.metadata.name,
          body: next,
        }),
      );
    for (const app of changes.delete) {
      if (!isOwnedBy(app, set) && app.metadata.ownerReferences?.some((r) => r.controller)) continue;
      await attempt(`deleted Application ${app.metadata.name}`, async () => {
        const preserve = set.spec.syncPolicy?.preserveResourcesOnDeletion === true;
        // Preserving: the app goes, its resources stay (no cascade finalizer left to act on them).
        if (preserve && app.metadata.finalizers?.includes(CASCADE_FINALIZER))
          await this.options.apps.removeFinalizer(app, CASCADE_FINALIZER);
        await clients.custom.deleteNamespacedCustomObject({ ...APPS, namespace, name: app.metadata.name });
        byName.delete(app.metadata.name);
      });
    }
    return failures;
  }

  private async writeStatus(set: ApplicationSet, status: ApplicationSetStatus): Promise<void> {
    if (JSON.stringify(set.status ?? {}) === JSON.stringify(status)) return;
    await this.options.clients.custom.replaceNamespacedCustomObjectStatus({
      group: GROUP,
      version: VERSION,
      namespace: set.metadata.namespace ?? "",
      plural: PLURAL,
      name: set.metadata.name,
      body: { ...set, status },
    });
  }
}

function rolloutView(app: Application) {
  const op = app.status?.operationState;
  return {
    name: app.metadata.name,
    labels: app.metadata.labels ?? {},
    sync: app.status?.sync?.status,
    syncRevision: app.status?.sync?.revision,
    source: `${app.spec.source.repoURL}#${app.spec.source.targetRevision ?? "HEAD"}`,
    health: app.status?.health?.status,
    observed:
      app.metadata.generation !== undefined && app.status?.observedGeneration === app.metadata.generation,
    syncRequested: app.metadata.annotations?.[SYNC_ANNOTATION] !== undefined,
    ...(op ? { operation: { phase: op.phase, revision: op.revision, message: op.message } } : {}),
  };
}

/** Sets whose inputs change outside the cluster's events (Git, cluster Secrets) are looked at again. */
function usesPolling(set: ApplicationSet): boolean {
  const text = JSON.stringify(set.spec?.generators ?? []);
  return text.includes('"git"') || text.includes('"clusters"');
}

function requeueMs(set: ApplicationSet, fallback: number): number {
  const seconds = [...JSON.stringify(set.spec.generators).matchAll(/"requeueAfterSeconds":(\d+)/g)].map((m) =>
    Number(m[1]),
  );
  return seconds.length > 0 ? Math.max(1, Math.min(...seconds)) * 1000 : fallback;
}
