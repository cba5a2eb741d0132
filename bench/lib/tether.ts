// One Tether installation for a benchmark, set up the way a user runs it: the local control plane
// (or TETHER_KUBECONFIG) and Git server, Tether's CRDs, a Git repository holding the demo app, the
// controller in this process, and `apps` Applications that each deploy the demo app into their own
// namespace with automated prune + self-heal. Every step registers its undo with the BenchRun.
import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { KubernetesObject, V1Deployment } from "@kubernetes/client-node";
import { PatchStrategy } from "@kubernetes/client-node";
import { parseAllDocuments } from "yaml";
import type { Controller } from "../../src/controller/controller.js";
import { startController } from "../../src/controller/controller.js";
import { errorStatus } from "../../src/kube/client.js";
import type { TypedKubeClients } from "../../src/kube/typed.js";
import { typedKubeClients } from "../../src/kube/typed.js";
import { REFRESH_ANNOTATION } from "../../src/model/contract.js";
import { ResourceClient } from "../../src/kube/resources.js";
import { ensureComponent } from "../../src/toolchain/binaries.js";
import { repoRoot } from "../../src/toolchain/components.js";
import { helloDeployment, helloService } from "../../src/localcluster/demo.js";
import { startLocalEnvironment } from "../../src/localcluster/environment.js";
import { GitWorkspace } from "../../src/localcluster/gitrepo.js";
import { waitFor } from "../../src/lib/wait.js";
import type { Application } from "../../src/model/application.js";
import { API_VERSION, GROUP, VERSION } from "../../src/model/application.js";
import type { BenchRun } from "./run.js";
import { ObjectWatch } from "./watch.js";

export const DEMO_PATH = "hello";
export const DEPLOYMENT = "hello";

export interface BenchApp {
  readonly name: string;
  /** Destination namespace: the app's Deployment is `hello` there. */
  readonly namespace: string;
}

export interface TetherBench {
  readonly clients: TypedKubeClients;
  readonly resources: ResourceClient;
  readonly controller: Controller;
  readonly repoURL: string;
  readonly gitServerUrl: string;
  readonly workspace: GitWorkspace;
  readonly appNamespace: string;
  readonly apps: readonly BenchApp[];
  readonly deployments: ObjectWatch<V1Deployment>;
  readonly applications: ObjectWatch<Application>;
  /** Controller log lines, each prefixed with ms since setup started. */
  readonly log: readonly string[];
  /** What a webhook or `kubectl annotate … tether.dev/refresh=normal` does. */
  refresh(app: BenchApp): Promise<void>;
  /** Resolves once every app is Synced + Healthy and its Deployment rolled out at `replicas`. */
  settled(replicas: number, timeoutMs?: number): Promise<void>;
}

export interface TetherBenchOptions {
  readonly run: BenchRun;
  readonly apps: number;
  readonly replicas: number;
  readonly pollIntervalMs: number;
  readonly progress: (line: string) => void;
}

const rand = () => randomBytes(3).toString("hex");

/** Installs Tether's CRDs from deploy/crds (same as test/helpers/environment.ts). */
async function installCrds(resources: ResourceClient): Promise<void> {
  const dir = path.join(repoRoot, "deploy/crds");
  for (const file of await fs.readdir(dir)) {
    for (const doc of parseAllDocuments(await fs.readFile(path.join(dir, file), "utf8"))) {
      const crd = doc.toJS() as { apiVersion: string; kind: string; metadata: { name: string } };
      await resources.apply(crd, { force: true });
      await waitFor(
        `CRD ${crd.metadata.name} Established`,
        async () => {
          const live = (await resources.read({ ...crd, name: crd.metadata.name })) as {
            status?: { conditions?: { type: string; status: string }[] };
          };
          return (
            live.status?.conditions?.some((c) => c.type === "Established" && c.status === "True") ?? false
          );
        },
        { timeoutMs: 30_000 },
      );
    }
  }
}

/** Rolled out: the controller-manager has seen the spec and every replica is updated and ready. */
export function rolledOut(d: V1Deployment, replicas: number): boolean {
  const s = d.status;
  return (
    d.spec?.replicas === replicas &&
    s?.observedGeneration === d.metadata?.generation &&
    (s?.replicas ?? 0) === replicas &&
    (s?.updatedReplicas ?? 0) === replicas &&
    (s?.readyReplicas ?? 0) === replicas
  );
}

export function syncedHealthy(app: Application | undefined, revision?: string): boolean {
  const s = app?.status;
  return (
    s?.sync?.status === "Synced" &&
    s.health?.status === "Healthy" &&
    (revision === undefined || s.sync.revision === revision)
  );
}

export async function startTetherBench(options: TetherBenchOptions): Promise<TetherBench> {
  const { run, progress } = options;
  const t0 = performance.now();
  const log: string[] = [];
  const stamp = () => `${(performance.now() - t0).toFixed(0).padStart(7)} ms`;

  progress("starting the local control plane and Git server");
  const env = await startLocalEnvironment({ log: (line) => log.push(`${stamp()} env: ${line}`) });
  run.defer("stop the local environment", () => env.stop());
  run.check();
  const clients = typedKubeClients(env.kubeconfigPath);
  const resources = new ResourceClient(clients);
  await installCrds(resources);
  run.check();

  const cacheDir = await fs.mkdtemp(path.join(os.tmpdir(), "tether-bench-cache-"));
  run.defer("remove the cache folder", () => fs.rm(cacheDir, { recursive: true, force: true }));
  const repoURL = await env.git.createRepository(`bench-${rand()}`);
  const workspace = await GitWorkspace.clone(repoURL);
  run.defer("remove the Git workspace", () => workspace.remove());
  await workspace.commitAndPush(
    {
      [`${DEMO_PATH}/deployment.yaml`]: helloDeployment(options.replicas),
      [`${DEMO_PATH}/service.yaml`]: helloService,
    },
    `hello: nginx with ${options.replicas} replicas`,
  );

  const id = rand();
  const appNamespace = `bench-apps-${id}`;
  const apps: BenchApp[] = Array.from({ length: options.apps }, (_, i) => ({
    name: `hello-${i}`,
    namespace: `bench-hello-${id}-${i}`,
  }));
  for (const name of [appNamespace, ...apps.map((a) => a.namespace)]) {
    await clients.core.createNamespace({
      body: { metadata: { name, labels: { "tether.dev/bench": "true" } } },
    });
    run.defer(`delete namespace ${name}`, () =>
      clients.core.deleteNamespace({ name }).catch((error: unknown) => {
        if (errorStatus(error) !== 404) throw error;
      }),
    );
  }
  run.check();

  progress("starting the controller");
  const controller = await startController({
    config: clients.config,
    applicationNamespace: appNamespace,
    cacheDir,
    helmBinary: await ensureComponent("helm"),
    kustomizeBinary: await ensureComponent("kustomize"),
    pollIntervalMs: options.pollIntervalMs,
    gitTimeoutMs: 10_000,
    log: (line) => log.push(`${stamp()} ${line}`),
  });
  run.defer("stop the controller", () => controller.stop());

  const deployments = await ObjectWatch.start<V1Deployment>(
    clients,
    "/apis/apps/v1/deployments",
    `metadata.name=${DEPLOYMENT}`,
  );
  run.defer("stop the Deployment watch", () => Promise.resolve(deployments.stop()));
  const applications = await ObjectWatch.start<Application>(
    clients,
    `/apis/${GROUP}/${VERSION}/namespaces/${appNamespace}/applications`,
  );
  run.defer("stop the Application watch", () => Promise.resolve(applications.stop()));

  for (const app of apps) {
    await clients.custom.createNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      plural: "applications",
      namespace: appNamespace,
      body: {
        apiVersion: API_VERSION,
        kind: "Application",
        metadata: { name: app.name, namespace: appNamespace },
        spec: {
          source: { repoURL, targetRevision: "main", path: DEMO_PATH },
          destination: { server: "https://kubernetes.default.svc", namespace: app.namespace },
          syncPolicy: { automated: { prune: true, selfHeal: true } },
        },
      },
    });
  }

  const bench: TetherBench = {
    clients,
    resources,
    controller,
    repoURL,
    gitServerUrl: env.git.url,
    workspace,
    appNamespace,
    apps,
    deployments,
    applications,
    log,
    async refresh(app) {
      const patch: KubernetesObject = {
        apiVersion: API_VERSION,
        kind: "Application",
        metadata: {
          name: app.name,
          namespace: appNamespace,
          annotations: { [REFRESH_ANNOTATION]: "normal" },
        },
      };
      await clients.objects.patch(
        patch,
        undefined,
        undefined,
        undefined,
        undefined,
        PatchStrategy.MergePatch,
      );
    },
    async settled(replicas, timeoutMs = 120_000) {
      for (const app of apps) {
        const opts = { timeoutMs, signal: run.signal };
        await deployments.until(app.namespace, DEPLOYMENT, (d) => rolledOut(d, replicas), {
          ...opts,
          what: `${app.namespace}/hello rolled out at ${replicas}`,
        });
        await applications.until(appNamespace, app.name, (a) => syncedHealthy(a), {
          ...opts,
          what: `${app.name} Synced and Healthy`,
        });
      }
    },
  };
  progress(`waiting for ${apps.length} app(s) to be Synced and Healthy`);
  await bench.settled(options.replicas);
  progress(`ready in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return bench;
}

/**
 * Waits until the controller has nothing queued and has not processed anything for `quietMs`
 * (the drift debounce plus one reconcile): the next trial then starts from a quiet controller
 * instead of riding a debounce timer left by the previous one. Polls every 10 ms; bounded.
 */
export async function controllerQuiet(
  controller: Controller,
  options: { quietMs: number; timeoutMs: number; signal: AbortSignal },
): Promise<void> {
  const deadline = performance.now() + options.timeoutMs;
  let last = controller.queue.processed;
  let since = performance.now();
  // idle() is the only public view of "nothing running"; one pending promise per poll, all
  // released when the queue next goes idle.
  let idle = false;
  while (performance.now() < deadline) {
    if (options.signal.aborted) throw new Error("interrupted");
    idle = false;
    void controller.queue.idle().then(() => (idle = true));
    await new Promise((resolve) => setTimeout(resolve, 10));
    const processed = controller.queue.processed;
    if (processed !== last || !idle) {
      last = processed;
      since = performance.now();
    } else if (performance.now() - since >= options.quietMs) return;
  }
  throw new Error(`the controller did not go quiet within ${options.timeoutMs} ms`);
}
