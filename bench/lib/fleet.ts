// A fleet of Applications for the scale benchmarks: the local control plane (or TETHER_KUBECONFIG),
// a Git server and repository holding ConfigMaps, one destination namespace per app, and
// `tether controller` as a separate process (bench/lib/controllerprocess.ts) so its RSS and CPU
// are its own. Applications are created before the controller starts, so "initial sync" is
// measured from the moment the controller has listed them. Every step registers its undo.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs, promisify } from "node:util";
import type { KubernetesObject } from "@kubernetes/client-node";
import { ensureInstallationId } from "../../src/controller/controller.js";
import { errorStatus } from "../../src/kube/client.js";
import type { TypedKubeClients } from "../../src/kube/typed.js";
import { typedKubeClients } from "../../src/kube/typed.js";
import { ResourceClient } from "../../src/kube/resources.js";
import { ensureComponent } from "../../src/toolchain/binaries.js";
import { repoRoot } from "../../src/toolchain/components.js";
import type { LocalEnvironment } from "../../src/localcluster/environment.js";
import { startLocalEnvironment } from "../../src/localcluster/environment.js";
import { GitWorkspace } from "../../src/localcluster/gitrepo.js";
import { freePort } from "../../src/localcluster/ports.js";
import { installCrds } from "../../src/localcluster/product.js";
import { waitFor } from "../../src/lib/wait.js";
import type { Application } from "../../src/model/application.js";
import { API_VERSION, GROUP, VERSION } from "../../src/model/application.js";
import type { BenchControllerProcess } from "./controllerprocess.js";
import { startControllerProcess } from "./controllerprocess.js";
import type { BenchRun } from "./run.js";
import { ObjectWatch } from "./watch.js";
import { mapLimit } from "../../src/engine/concurrency.js";

export interface FleetArgs {
  readonly quick: boolean;
  /** How the controller process runs: compiled (default) or from source (`--tsx`, the quick default). */
  readonly runtime: "dist" | "tsx";
  readonly verbose: boolean;
  /** Named numeric options (`--apps 1000`), defaulted from `defaults` or `quickDefaults`. */
  readonly n: Record<string, number>;
}

/** `--quick`, `--verbose` and integer options named in `defaults` (quick values under `--quick`). */
export function fleetArgs(
  defaults: Record<string, number>,
  quickDefaults: Record<string, number>,
): FleetArgs {
  const options: Record<string, { type: "string" } | { type: "boolean"; default: boolean }> = {
    quick: { type: "boolean", default: false },
    verbose: { type: "boolean", default: false },
    tsx: { type: "boolean", default: false },
    dist: { type: "boolean", default: false },
  };
  for (const name of Object.keys(defaults)) options[name] = { type: "string" };
  const { values } = parseArgs({ options });
  const quick = values["quick"] === true;
  const n: Record<string, number> = {};
  for (const [name, full] of Object.entries(defaults)) {
    const raw = values[name];
    const value = typeof raw === "string" ? Number(raw) : quick ? (quickDefaults[name] ?? full) : full;
    if (!Number.isInteger(value) || value < 0 || value > 100_000)
      throw new Error(`--${name} must be an integer 0..100000, got ${String(raw)}`);
    n[name] = value;
  }
  const runtime = values["dist"] === true ? "dist" : values["tsx"] === true || quick ? "tsx" : "dist";
  return { quick, runtime, verbose: values["verbose"] === true, n };
}

export interface FleetApp {
  readonly name: string;
  /** Destination namespace. */
  readonly namespace: string;
  /** Path in the repository. */
  readonly path: string;
}

export interface Fleet {
  readonly env: LocalEnvironment;
  readonly clients: TypedKubeClients;
  readonly resources: ResourceClient;
  readonly repoURL: string;
  /** The server's bare repository (for ref updates without a push). */
  readonly barePath: string;
  readonly workspace: GitWorkspace;
  readonly appNamespace: string;
  readonly systemNamespace: string;
  readonly installationId: string;
  readonly apps: readonly FleetApp[];
  readonly applications: ObjectWatch<Application>;
  /** Commit of the first push. */
  readonly initialCommit: string;
  /** Creates `count` namespaces named `<prefix>-<i>` (deleted at the end). */
  namespaces(prefix: string, count: number): Promise<string[]>;
  createApplications(): Promise<void>;
  startController(options?: {
    pollInterval?: string;
    workers?: number;
    logFile?: string;
  }): BenchControllerProcess;
  /**
   * Resolves once every app passes `test`, with the arrival time (performance.now()) of the
   * event that made the last one pass. Event-driven: re-checks on each Application event.
   */
  waitAll(what: string, test: (app: Application) => boolean, timeoutMs: number): Promise<number>;
  /** How many apps pass `test` now. */
  count(test: (app: Application) => boolean): number;
}

export interface FleetOptions {
  readonly run: BenchRun;
  readonly apps: number;
  /** Files per app path, one ConfigMap each. */
  readonly objectsPerApp: number;
  /** "shared": every app renders the same path; "own": app i renders apps/app-i (a monorepo). */
  readonly layout: "shared" | "own";
  readonly runtime: "dist" | "tsx";
  readonly progress: (line: string) => void;
}

const rand = () => randomBytes(3).toString("hex");
const PAYLOAD = "x".repeat(200);

/** One ConfigMap manifest (no namespace: it goes to the app's destination). */
export function configMapManifest(name: string, generation: number): string {
  return `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  labels:\n    bench: fleet\ndata:\n  generation: "${generation}"\n  payload: "${PAYLOAD}"\n`;
}

export function appFiles(dir: string, objects: number, generation: number): Record<string, string> {
  const files: Record<string, string> = {};
  for (let j = 0; j < objects; j++) files[`${dir}/cm-${j}.yaml`] = configMapManifest(`cm-${j}`, generation);
  return files;
}

export { mapLimit };

export const synced = (revision?: string) => (app: Application) =>
  app.status?.sync?.status === "Synced" && (revision === undefined || app.status.sync.revision === revision);

export async function startFleet(options: FleetOptions): Promise<Fleet> {
  const { run, progress } = options;
  if (options.runtime === "dist") {
    progress("compiling the controller (npm run build → dist/), as the image runs it");
    await promisify(execFile)(
      process.execPath,
      [path.join(repoRoot, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json"],
      { cwd: repoRoot },
    );
  }
  progress("starting the local control plane and Git server (or using TETHER_KUBECONFIG)");
  const env = await startLocalEnvironment({});
  run.defer("stop the local environment", () => env.stop());
  run.check();
  const clients = typedKubeClients(env.kubeconfigPath);
  const resources = new ResourceClient(clients);
  await installCrds(resources);

  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), "tether-fleet-"));
  run.defer("remove the temporary folder", () => fs.rm(tmp, { recursive: true, force: true }));
  const repoName = `fleet-${rand()}`;
  const repoURL = await env.git.createRepository(repoName);
  const barePath = path.join(env.gitRoot, `${repoName}.git`);
  const workspace = await GitWorkspace.clone(repoURL);
  run.defer("remove the Git workspace", () => workspace.remove());

  const id = rand();
  const apps: FleetApp[] = Array.from({ length: options.apps }, (_, i) => ({
    name: `app-${i}`,
    namespace: `fleet-${id}-${i}`,
    path: options.layout === "shared" ? "objects" : `apps/app-${i}`,
  }));
  const dirs = [...new Set(apps.map((a) => a.path))];
  const files = Object.assign({}, ...dirs.map((d) => appFiles(d, options.objectsPerApp, 0))) as Record<
    string,
    string
  >;
  progress(`committing ${Object.keys(files).length} manifest file(s)`);
  const initialCommit = await workspace.commitAndPush(files, "fleet: initial objects");

  const created: string[] = [];
  run.defer("delete the namespaces", () =>
    mapLimit(created, 16, (name) =>
      clients.core.deleteNamespace({ name }).catch((error: unknown) => {
        if (errorStatus(error) !== 404) throw error;
      }),
    ),
  );
  const namespaces = async (prefix: string, count: number) => {
    const names = Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
    await mapLimit(names, 16, async (name) => {
      await clients.core.createNamespace({
        body: { metadata: { name, labels: { "tether.dev/bench": "true" } } },
      });
      created.push(name);
    });
    await settled(names);
    return names;
  };
  // kube-controller-manager gives each new namespace a ServiceAccount and a ConfigMap (two POSTs);
  // wait for that to be over, so its catching-up is not counted in what is measured next.
  const settled = (names: readonly string[]) =>
    waitFor(
      `kube-controller-manager to set up ${names.length} namespace(s)`,
      async () => {
        const wanted = new Set(names);
        const accounts = await clients.core.listServiceAccountForAllNamespaces({
          fieldSelector: "metadata.name=default",
        });
        const roots = await clients.core.listConfigMapForAllNamespaces({
          fieldSelector: "metadata.name=kube-root-ca.crt",
        });
        const count = (items: readonly KubernetesObject[]) =>
          items.filter((o) => wanted.has(o.metadata?.namespace ?? "")).length;
        return count(accounts.items) === wanted.size && count(roots.items) === wanted.size;
      },
      { timeoutMs: 300_000, intervalMs: 500 },
    );
  const appNamespace = `fleet-apps-${id}`;
  const systemNamespace = `fleet-system-${id}`;
  progress(`creating ${apps.length + 2} namespace(s)`);
  for (const name of [appNamespace, systemNamespace]) {
    await clients.core.createNamespace({
      body: { metadata: { name, labels: { "tether.dev/bench": "true" } } },
    });
    created.push(name);
  }
  await namespaces(`fleet-${id}`, apps.length);
  run.check();
  const installationId = await ensureInstallationId(clients, systemNamespace);

  // Right after the CRDs are installed the apiserver may still answer 429 "storage is (re)initializing".
  const applications = await waitFor(
    "the Application collection to be served",
    () =>
      ObjectWatch.start<Application>(
        clients,
        `/apis/${GROUP}/${VERSION}/namespaces/${appNamespace}/applications`,
      ).catch((error: unknown) => {
        if (errorStatus(error) === 429) return undefined;
        throw error;
      }),
    { timeoutMs: 30_000 },
  );
  run.defer("stop the Application watch", () => Promise.resolve(applications.stop()));
  const helm = await ensureComponent("helm");
  const kustomize = await ensureComponent("kustomize");
  const metricsPort = await freePort();

  const fleet: Fleet = {
    env,
    clients,
    resources,
    repoURL,
    barePath,
    workspace,
    appNamespace,
    systemNamespace,
    installationId,
    apps,
    applications,
    initialCommit,
    namespaces,
    async createApplications() {
      await mapLimit(apps, 8, async (app) => {
        const body: KubernetesObject & { spec: unknown } = {
          apiVersion: API_VERSION,
          kind: "Application",
          metadata: { name: app.name, namespace: appNamespace },
          spec: {
            source: { repoURL, targetRevision: "main", path: app.path },
            destination: { server: "https://kubernetes.default.svc", namespace: app.namespace },
            syncPolicy: { automated: { prune: true, selfHeal: true } },
          },
        };
        await clients.custom.createNamespacedCustomObject({
          group: GROUP,
          version: VERSION,
          plural: "applications",
          namespace: appNamespace,
          body,
        });
      });
      run.defer("delete the Applications", () =>
        clients.custom
          .deleteCollectionNamespacedCustomObject({
            group: GROUP,
            version: VERSION,
            plural: "applications",
            namespace: appNamespace,
          })
          .catch(() => undefined),
      );
    },
    startController(opts = {}) {
      const controller = startControllerProcess({
        kubeconfig: env.kubeconfigPath,
        namespace: appNamespace,
        systemNamespace,
        cacheDir: path.join(tmp, "cache"),
        pollInterval: opts.pollInterval ?? "60s",
        workers: opts.workers,
        helm,
        kustomize,
        metricsPort,
        runtime: options.runtime,
        ...(opts.logFile ? { logFile: opts.logFile } : {}),
      });
      run.defer("stop the controller", () => controller.stop());
      return controller;
    },
    async waitAll(what, test, timeoutMs) {
      const deadline = performance.now() + timeoutMs;
      for (;;) {
        let last = 0;
        let missing = 0;
        for (const app of apps) {
          const seen = applications.observed(appNamespace, app.name);
          if (!seen || !test(seen.object)) missing += 1;
          else last = Math.max(last, seen.at);
        }
        if (missing === 0) return last;
        const left = deadline - performance.now();
        if (left <= 0 || run.interrupted)
          throw new Error(
            `${what}: ${missing} of ${apps.length} app(s) still not there after ${timeoutMs} ms`,
          );
        await applications.changed(Math.min(left, 1_000));
      }
    },
    count(test) {
      return apps.filter((app) => {
        const a = applications.get(appNamespace, app.name);
        return a !== undefined && test(a);
      }).length;
    },
  };
  return fleet;
}
