// The controller process: Application informer → work queue → reconcile, plus the shared watches
// on managed kinds that turn drift into a reconcile within a debounce window, and the AppProject
// informer and dependsOn notifier that re-evaluate the apps a project or a dependency change affects.
import { randomBytes } from "node:crypto";
import type { KubeConfig } from "../kube/connection.js";
import { Registry } from "prom-client";
import { type ControllerMetrics, registerControllerMetrics } from "./metrics.js";
import {
  type RenderPlacement,
  type RenderService,
  startRenderService,
} from "../engine/render/remote/index.js";
import {
  type SecretLike,
  type GitRunner,
  type HelmRepositoryOptions,
  createHelmRepositoryCache,
  createRepositoryCache,
} from "../engine/source/index.js";
import { SECRET_TYPE_LABEL } from "../model/contract.js";
import { tryCanonicalRepoUrl } from "../engine/source/url.js";
import { systemGit } from "../engine/source/mirror.js";
import { type KubeClients, errorStatus, kubeClients } from "../kube/client.js";
import { ResourceClient } from "../kube/resources.js";
import type { Application } from "../model/application.js";
import { ApplicationClient } from "./applications.js";
import { ApplicationSetController } from "./appsets.js";
import { ClusterRegistry } from "./clusters.js";
import { Comparer } from "./compare.js";
import { DependentsNotifier } from "./dependents.js";
import { HealthConfig } from "./healthconfig.js";
import { type ImageAutomationOptions, ImageAutomation } from "./images/controller.js";
import { kubeEventRecorder, observedRecorder } from "./events.js";
import {
  type Sender,
  DeliveryQueue,
  httpSender,
  notificationConfigSource,
  Notifier,
} from "./notifications/index.js";
import { projectName } from "./policy.js";
import { PolicyRules } from "./policygate.js";
import { ProjectStore } from "./projects.js";
import { LeadingDebounce, WorkQueue } from "./queue.js";
import { Reconciler } from "./reconcile.js";
import { RevisionResolver } from "./revisions.js";
import { ManagedWatches } from "./watches.js";
import { type ShardingOptions, Sharding } from "./sharding/shard.js";
import { FencedError } from "./sharding/fence.js";
import { LeaderElection } from "./sharding/election.js";
import type { JsonObject } from "../engine/diff/index.js";
import { errorMessage } from "../lib/errormessage.js";
import { refKey } from "../model/ref.js";

/** Events on an app's objects within this window after the first are coalesced into one reconcile. */
export const DRIFT_DEBOUNCE_MS = 100;
const INSTALLATION_CONFIGMAP = "tether-installation";

export interface ControllerOptions {
  readonly config: KubeConfig;
  /** Where Tether keeps its own state (installation id, repository Secrets). */
  readonly systemNamespace?: string;
  /** Watch Applications only in this namespace; all namespaces when unset. */
  readonly applicationNamespace?: string;
  readonly cacheDir: string;
  readonly helmBinary: string;
  readonly kustomizeBinary: string;
  /**
   * Where uncached renders run: by default a child `tether renderer` without credentials; in a pod
   * the renderer container's socket (docs/security.md, "The renderer holds no credentials").
   */
  readonly rendering?: RenderPlacement;
  readonly pollIntervalMs?: number;
  readonly workers?: number;
  readonly gitTimeoutMs?: number;
  /**
   * Charts from Helm repositories: size limits of index.yaml (64 MiB) and of an archive (32 MiB),
   * bounds on an archive's content, the HTTP timeout (default gitTimeoutMs, else 60 s).
   */
  readonly helmRepositories?: Pick<
    HelmRepositoryOptions,
    "maxIndexBytes" | "maxArchiveBytes" | "extractLimits" | "timeoutMs"
  >;
  /** How often every cluster's connection is checked (/version + /readyz); default 30 s. */
  readonly clusterCheckIntervalMs?: number;
  readonly log?: (line: string) => void;
  /** Where controller metrics are registered (the API server's, in local mode); a private one by default. */
  readonly registry?: Registry;
  /** Notification delivery: the sender (HTTP POST by default) and tuning, mostly for tests. */
  readonly notifications?: {
    readonly send?: Sender;
    /** How long the tether-notifications ConfigMap is cached (default 10 s; 0 reads it per transition). */
    readonly configTtlMs?: number;
    readonly queueLimit?: number;
    readonly baseBackoffMs?: number;
    readonly maxBackoffMs?: number;
  };
  /**
   * Several replicas sharing the apps (docs/architecture.md, "Sharding and fencing"): each holds a
   * member Lease, reconciles the apps rendezvous hashing assigns it and applies only under the
   * app's claim. Unset: this process reconciles every app (one in-process replica, tests).
   */
  readonly sharding?: ShardingOptions;
  /** Image update automation (ImageRepository, ImagePolicy, ImageUpdateAutomation); on by default. */
  readonly images?: { readonly enabled?: boolean } & Partial<
    Pick<ImageAutomationOptions, "beforePush" | "registryTimeoutMs">
  >;
}

export interface Controller {
  readonly installationId: string;
  /** Where Tether keeps its state and the AppProjects. */
  readonly systemNamespace: string;
  readonly queue: WorkQueue;
  readonly watches: ManagedWatches;
  readonly comparer: Comparer;
  /** In-cluster plus the clusters of cluster Secrets: each with its clients, watches and last check. */
  readonly clusters: ClusterRegistry;
  /** The user's health rules (ConfigMap tether-config), reloaded on change. */
  readonly health: HealthConfig;
  /** Policy-gate rules (built-in pack, ConfigMap tether-policies, Policy objects), reloaded on change. */
  readonly policies: PolicyRules;
  readonly registry: Registry;
  readonly metrics: ControllerMetrics;
  readonly notifier: Notifier;
  /** The image automation loops, when enabled and their CRDs are installed. */
  readonly images?: ImageAutomation;
  /** Lease-based sharding, when on. */
  readonly sharding?: Sharding;
  /** The leader Lease the singletons run under, when sharding is on. */
  readonly election?: LeaderElection;
  /** Where renders run (the child renderer's pid, for tests). */
  readonly rendering: RenderService;
  /** Refreshes now every app whose source is `repoURL` (push webhooks); returns how many. */
  refreshRepository(repoURL: string): number;
  /** Refreshes these apps (`namespace/name`) now: Git is asked again, whatever the poll interval. */
  refreshApps(keys: readonly string[]): void;
  /** Every Application in the controller's cache. */
  applications(): Application[];
  /** What a sync would make this object (the last dry-run, normalized, Secrets masked): a diff's desired side. */
  desiredOf(ref: { group: string; kind: string; namespace?: string; name: string }): JsonObject | undefined;
  stop(): Promise<void>;
}

/** The installation id, created once and kept in a ConfigMap so restarts keep ownership. */
export async function ensureInstallationId(clients: KubeClients, namespace: string): Promise<string> {
  // Read first: a locked-down installation whose namespace exists needs no right to create one.
  try {
    const existing = await clients.core.readNamespacedConfigMap({ name: INSTALLATION_CONFIGMAP, namespace });
    const id = existing.data?.["id"];
    if (id) return id;
  } catch (error) {
    if (errorStatus(error) !== 404) throw error;
  }
  try {
    await clients.core.readNamespace({ name: namespace });
  } catch (error) {
    if (errorStatus(error) !== 404) throw error;
    await clients.core.createNamespace({ body: { metadata: { name: namespace } } }).catch((e: unknown) => {
      if (errorStatus(e) !== 409) throw e;
    });
  }
  const id = `tether-${randomBytes(5).toString("hex")}`;
  try {
    await clients.core.createNamespacedConfigMap({
      namespace,
      body: { metadata: { name: INSTALLATION_CONFIGMAP }, data: { id } },
    });
    return id;
  } catch (error) {
    // Another replica created it first: use theirs.
    if (errorStatus(error) !== 409) throw error;
    const winner = await clients.core.readNamespacedConfigMap({ name: INSTALLATION_CONFIGMAP, namespace });
    return winner.data?.["id"] ?? id;
  }
}

function repositorySecrets(clients: KubeClients, namespace: string): () => Promise<readonly SecretLike[]> {
  let cached: { at: number; value: readonly SecretLike[] } | undefined;
  return async () => {
    if (cached && Date.now() - cached.at < 5_000) return cached.value;
    const list = await clients.core.listNamespacedSecret({ namespace, labelSelector: SECRET_TYPE_LABEL });
    cached = { at: Date.now(), value: list.items };
    return cached.value;
  };
}

/** The git CLI, timing the network calls (ls-remote, fetch) into the histogram. */
function timedGit(metrics: ControllerMetrics): GitRunner {
  const timed = async <T>(args: readonly string[], run: () => Promise<T>): Promise<T> => {
    const operation = args[0];
    if (operation !== "ls-remote" && operation !== "fetch") return run();
    const end = metrics.gitFetchDuration.startTimer({ operation });
    try {
      const result = await run();
      end({ result: "ok" });
      return result;
    } catch (error) {
      end({ result: "error" });
      throw error;
    }
  };
  return {
    text: (args, options) => timed(args, () => systemGit.text(args, options)),
    buffer: (args, options) => timed(args, () => systemGit.buffer(args, options)),
  };
}

const SYNC_RESULT: Readonly<Record<string, string>> = {
  SyncSucceeded: "succeeded",
  SyncFailed: "failed",
  DriftCorrected: "drift-corrected",
};

/**
 * Runs `visit` for each app key, containing what one app's malformed spec throws (an object stored
 * under an older, looser CRD can hold anything): it is logged with the app's name and the loop goes
 * on, so one app can never stop the others or end the process. The reconcile reports the spec on
 * the app itself.
 */
export function eachApp(
  keys: Iterable<string>,
  what: string,
  log: (line: string) => void,
  visit: (key: string) => void,
): void {
  for (const key of keys) {
    try {
      visit(key);
    } catch (error) {
      log(`${what}: application ${key} skipped: ${errorMessage(error)}`);
    }
  }
}

export async function startController(options: ControllerOptions): Promise<Controller> {
  const log = options.log ?? (() => undefined);
  const debug = process.env["TETHER_DEBUG"] === "1";
  const clients = kubeClients(options.config);
  const systemNamespace = options.systemNamespace ?? "tether-system";
  const installationId = await ensureInstallationId(clients, systemNamespace);
  const resources = new ResourceClient(clients);
  const pollIntervalMs = options.pollIntervalMs ?? 60_000;
  const registry = options.registry ?? new Registry();
  // The queue and the store are created below; the samplers run only at scrape time.
  const metrics = registerControllerMetrics(registry, {
    queueDepth: () => workQueue.depth,
    listApps: () => apps.list(),
  });
  const rendering = await startRenderService(options.rendering ?? "child", {
    helmBinary: options.helmBinary,
    kustomizeBinary: options.kustomizeBinary,
    log,
  });
  const renderer = rendering.renderer;
  const source = createRepositoryCache({
    git: timedGit(metrics),
    cacheDir: options.cacheDir,
    timeoutMs: options.gitTimeoutMs,
    credentials: repositorySecrets(clients, systemNamespace),
    // A child renderer reads trees from its workspace, the one folder of the controller it can reach.
    treesDir: rendering.treesDir,
  });
  // Charts from Helm repositories: fetched and verified here, extracted where Git trees go, so the
  // renderer (which holds no credentials and reaches no network) reads them like a chart in Git.
  const charts = createHelmRepositoryCache({
    cacheDir: options.cacheDir,
    treesDir: rendering.treesDir,
    timeoutMs: options.gitTimeoutMs,
    ...options.helmRepositories,
  });
  const comparer = new Comparer(resources);
  const clock = () => new Date();
  const notifySettings = options.notifications ?? {};
  const notificationSource = notificationConfigSource({
    core: clients.core,
    namespace: systemNamespace,
    ttlMs: notifySettings.configTtlMs ?? 10_000,
    log,
  });
  const notifier = new Notifier({
    source: notificationSource,
    queue: new DeliveryQueue({
      send: notifySettings.send ?? httpSender,
      limit: notifySettings.queueLimit,
      baseBackoffMs: notifySettings.baseBackoffMs,
      maxBackoffMs: notifySettings.maxBackoffMs,
      log,
      redact: (text) => notificationSource.redact(text),
      onResult: (target, result) => metrics.notificationDeliveries.inc({ target, result }),
    }),
    current: (key) => apps.get(key),
    clock,
    log,
  });
  // Every Event also feeds the notifications and the sync counter: one source of truth.
  const events = observedRecorder(
    kubeEventRecorder(clients.core, log, clock),
    [
      (app, type, reason, message) => notifier.observe(app, type, reason, message),
      (app, _type, reason) => {
        const result = SYNC_RESULT[reason];
        if (result)
          metrics.syncTotal.inc({ namespace: app.metadata.namespace ?? "", name: app.metadata.name, result });
      },
    ],
    log,
  );

  // The queue's handler and the watches' callback run only after start, when every const is set.
  const workQueue: WorkQueue = new WorkQueue({
    workers: options.workers ?? 4,
    handler: async (key) => {
      if (sharding) {
        const gate = await sharding.gate(key);
        if (!gate.run) {
          if (debug) log(`not reconciling ${key}: ${gate.why}`);
          return { requeueAfterMs: gate.requeueAfterMs };
        }
      }
      // Timed from after the claim: the logged span is the reconcile alone (the sharding tests
      // compare the spans of two replicas, which a claim write inside one would blur).
      const started = performance.now();
      const end = metrics.reconcileDuration.startTimer();
      notifier.begin(key);
      try {
        const result = await reconciler.reconcile(key);
        end({ result: "ok" });
        const ms = performance.now() - started;
        if (debug || ms > 10_000)
          log(`reconciled ${key} in ${ms.toFixed(0)} ms; next in ${result.requeueAfterMs ?? "-"} ms`);
        return result;
      } catch (error) {
        end({ result: "error" });
        // Fenced mid-reconcile (its Lease lapsed or its claim went with the old epoch): not a failure
        // of the app, and no Event either; the gate decides again once the Lease is renewed.
        if (sharding && error instanceof FencedError) {
          if (debug) log(`not reconciling ${key}: ${error.message}`);
          return { requeueAfterMs: sharding.membership.renewEveryMs };
        }
        throw error;
      } finally {
        // Only queues: the reconcile's worker is free before any config read or delivery.
        notifier.end(key);
      }
    },
    onError: (key, error) => {
      const why = errorMessage(error);
      log(`reconcile ${key} failed (will retry): ${why}`);
      // Seen on the app too, not only in the log: a failure nothing else reports (a spec of a shape
      // no check foresaw) is a Warning Event on that app; the others go on.
      const app = apps.get(key);
      if (app?.metadata?.name)
        eachApp([key], "reconcile failure event", log, () =>
          events.record(app, "Warning", "ReconcileFailed", why.slice(0, 1024)),
        );
    },
  });
  // Leading and trailing: the first event of a quiet app is acted on at once (drift is corrected
  // without waiting); further events within the window collapse into one run after it.
  const debounce = new LeadingDebounce(DRIFT_DEBOUNCE_MS, (app, delayMs) => workQueue.addAfter(app, delayMs));
  const watchesOf = (config: KubeConfig, clusterResources: ResourceClient, cluster: string) =>
    new ManagedWatches({
      config,
      resources: clusterResources,
      installationId,
      onAppObjectEvent: (app) => debounce.event(app),
      onError: (kind, error) =>
        log(`watch ${kind}${cluster ? ` on cluster ${cluster}` : ""}: ${String(error)}`),
    });
  const watches = watchesOf(options.config, resources, "");
  const localServers = [options.config.getCurrentCluster()?.server ?? ""].filter(Boolean);
  // A cluster added, changed, removed or with a new status: its apps are judged again now.
  const clusters: ClusterRegistry = new ClusterRegistry({
    local: { config: options.config, resources, watches, comparer, servers: localServers },
    clients,
    namespace: systemNamespace,
    makeWatches: (config, clusterResources) =>
      watchesOf(config, clusterResources, config.getCurrentCluster()?.server ?? ""),
    onClusterChanged: (cluster) => {
      eachApp(apps.keys(), "cluster change", log, (key) => {
        const app = apps.get(key);
        if (!app) return;
        const found = clusters.lookup(app.spec?.destination);
        const d = app.spec?.destination;
        const names = found.ok
          ? found.cluster.server === cluster.server
          : d?.server?.replace(/\/+$/, "") === cluster.server || d?.name === cluster.name;
        if (names) workQueue.add(key);
      });
    },
    checkIntervalMs: options.clusterCheckIntervalMs,
    clock,
    log,
  });
  const apps: ApplicationClient = new ApplicationClient(clients, {
    config: options.config,
    namespace: options.applicationNamespace,
    onChange: (key) => workQueue.add(key),
    onObserved: (key, app) => {
      eachApp([key], "dependsOn index", log, () => dependents.observed(key, app));
      eachApp([key], "applicationset owner", log, () => appsets?.appObserved(app ?? apps.get(key)));
    },
    onError: (error) => log(`watch applications: ${String(error)}`),
  });
  const dependents = new DependentsNotifier((key) => workQueue.add(key));
  // A project changed: its apps are judged again now (a tightened rule stops the next sync).
  const projects = new ProjectStore(clients, {
    config: options.config,
    namespace: systemNamespace,
    onChange: (name) => {
      eachApp(apps.keys(), `project ${name} changed`, log, (key) => {
        const app = apps.get(key);
        if (app && projectName(app) === name) workQueue.add(key);
      });
    },
    onError: (error) => log(`watch appprojects: ${String(error)}`),
  });
  // A change of the health rules re-evaluates at once the apps holding resources of the kinds concerned.
  const health = new HealthConfig({
    namespace: systemNamespace,
    log,
    onChange: (kinds) => {
      eachApp(apps.keys(), "health rules changed", log, (key) => {
        const resources = apps.get(key)?.status?.resources ?? [];
        if (kinds === "*" || resources.some((r) => kinds.has(`${r.group}/${r.kind}`))) workQueue.add(key);
      });
    },
  });
  await health.start(options.config, clients);
  async function startImageAutomation(): Promise<ImageAutomation | undefined> {
    const automation = new ImageAutomation({
      config: options.config,
      clients,
      namespace: options.applicationNamespace,
      gitCredentials: repositorySecrets(clients, systemNamespace),
      clock,
      log,
      gitTimeoutMs: options.gitTimeoutMs,
      registryTimeoutMs: options.images?.registryTimeoutMs,
      // The leader pushes; a replica that lost the leader Lease mid-run commits but never pushes.
      beforePush: async (automation, attempt) => {
        election?.check();
        await options.images?.beforePush?.(automation, attempt);
      },
    });
    try {
      await automation.start();
      return automation;
    } catch (error) {
      await automation.stop();
      // An upgrade that has not applied the new CRDs yet: Applications work, images wait.
      if (errorStatus(error) !== 404) throw error;
      log("image automation is off: its CRDs (imagerepositories.tether.dev, …) are not installed");
      return undefined;
    }
  }
  // A change of the policy rules judges again at once every app whose project has a policy.
  const policies = new PolicyRules({
    namespace: systemNamespace,
    log,
    onChange: () => {
      eachApp(apps.keys(), "policy rules changed", log, (key) => {
        const app = apps.get(key);
        if (app && projects.get(projectName(app))?.spec?.policy) workQueue.add(key);
      });
    },
  });
  await policies.start(options.config, clients);
  const sharding = options.sharding
    ? new Sharding(
        {
          config: options.config,
          clients,
          namespace: systemNamespace,
          apps: () => apps,
          enqueue: (key) => workQueue.add(key),
          released: (key) => clusters.releaseElsewhere(key),
          registry,
          log,
        },
        { ...options.sharding, logWrites: debug },
      )
    : undefined;
  const reconciler = new Reconciler({
    apps,
    projects,
    localResources: resources,
    clusterFor: (app) => clusters.lookup(app.spec?.destination),
    releaseApp: (key, keep) => clusters.releaseElsewhere(key, keep),
    knownClusters: () => clusters.known(),
    revisions: new RevisionResolver(source, pollIntervalMs, Date.now, charts),
    source,
    charts,
    renderer,
    events,
    installationId,
    clock,
    pollIntervalMs,
    localServers,
    log,
    health,
    policies,
    fence: sharding
      ? { resources: (r, key) => sharding.fencedResources(r, key), check: (key) => sharding.check(key) }
      : undefined,
  });
  // The singletons (ApplicationSet generation, image automation) run on one replica at a time: the
  // holder of the leader Lease when sharding is on, else here. Notifications need no leader: they
  // are sent by the replica that reconciles (claims) the app.
  let appsets: ApplicationSetController | undefined;
  let images: ImageAutomation | undefined;
  const startSingletons = async () => {
    const next = new ApplicationSetController({
      config: options.config,
      clients,
      apps,
      source,
      systemNamespace,
      namespace: options.applicationNamespace,
      pollIntervalMs,
      clock,
      log,
      check: election?.check,
    });
    appsets = next;
    images = options.images?.enabled === false ? undefined : await startImageAutomation();
    await next.start();
    // Apps seen before it started: their sets look again (rolling sync, resource status).
    eachApp(apps.keys(), "applicationset owner", log, (key) => next.appObserved(apps.get(key)));
  };
  const stopSingletons = async () => {
    const [set, automation] = [appsets, images];
    appsets = undefined;
    images = undefined;
    await set?.stop();
    await automation?.stop();
  };
  const election = sharding
    ? new LeaderElection({
        clients,
        namespace: systemNamespace,
        replicaId: sharding.replicaId,
        durationMs: sharding.durationMs,
        fenceAfterMs: sharding.durationMs - sharding.marginMs,
        onStartedLeading: startSingletons,
        onStoppedLeading: stopSingletons,
        log,
      })
    : undefined;
  await projects.ensureDefault();
  // Projects first: no app is judged against a project cache that is not filled yet.
  await projects.start();
  // Clusters before apps: no app is judged against a registry that does not know its cluster yet.
  await clusters.start();
  // The member Lease just before the apps: once others see it they release apps to this replica,
  // which claims them only after its caches are filled (a Lease written first left released apps
  // unowned for the whole start-up on a loaded machine). Apps are claimed only under a written
  // Lease all the same: the gate treats a replica without one as fenced.
  await sharding?.start();
  await apps.start();
  if (election) await election.start();
  else await startSingletons();
  log(`controller started (installation ${installationId}, poll ${pollIntervalMs / 1000} s)`);
  const refreshApps = (keys: readonly string[]) => {
    eachApp(keys, "refresh", log, (key) => {
      if (!apps.get(key)) return;
      reconciler.requestRefresh(key);
      workQueue.add(key);
    });
  };
  return {
    installationId,
    systemNamespace,
    queue: workQueue,
    watches,
    comparer,
    clusters,
    health,
    policies,
    registry,
    metrics,
    notifier,
    get images() {
      return images;
    },
    sharding,
    election,
    rendering,
    desiredOf(ref) {
      return comparer.predicted(refKey(ref));
    },
    refreshApps,
    applications() {
      return apps.list();
    },
    refreshRepository(repoURL: string) {
      // Compared in the one canonical form (the mirror's key); an app whose repoURL Tether refuses
      // (a space, dot segments, not a string) matches no push and stops no other app's refresh.
      const wanted = tryCanonicalRepoUrl(repoURL);
      if (wanted === undefined) {
        log(
          `refresh of repository ${JSON.stringify(String(repoURL).slice(0, 200))} ignored: not a repository URL Tether accepts`,
        );
        return 0;
      }
      const sameRepository = (url: unknown) => tryCanonicalRepoUrl(url) === wanted;
      const keys: string[] = [];
      eachApp(apps.keys(), "push refresh", log, (key) => {
        if (sameRepository(apps.get(key)?.spec?.source?.repoURL)) keys.push(key);
      });
      refreshApps(keys);
      return keys.length + (appsets?.refreshRepository(sameRepository) ?? 0);
    },
    async stop() {
      apps.stop();
      // The singletons stop first; then the leader Lease is released for the next replica.
      if (election) await election.stop();
      else await stopSingletons();
      projects.stop();
      health.stop();
      policies.stop();
      workQueue.stop();
      await workQueue.idle();
      // After the last reconcile ended: the Lease is released only once nothing is applied here.
      await sharding?.stop();
      clusters.stop();
      watches.stop();
      // Trees kept for the next app at their commit are of no use to a stopped controller.
      await source.releaseIdleTrees().catch((error: unknown) => log(`removing idle trees: ${String(error)}`));
      await charts
        .releaseIdleTrees()
        .catch((error: unknown) => log(`removing idle chart trees: ${String(error)}`));
      await rendering.stop();
      // Never waits on a notification target: what is queued or in flight is dropped.
      notifier.stop();
    },
  };
}
