// `tether local up|down|status|build`.
import fs from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { ensureComponents } from "../toolchain/binaries.js";
import { ALL_COMPONENTS } from "../toolchain/components.js";
import { cacheRoot } from "../toolchain/cachedir.js";
import { startLocalEnvironment } from "../localcluster/environment.js";
import type { ControlPlane } from "../localcluster/controlplane.js";
import type { OwnerRecord } from "../localcluster/instance.js";
import {
  checkInstanceId,
  instanceDirs,
  ownerIsAlive,
  readOwner,
  stopInstanceProcesses,
} from "../localcluster/instance.js";
import { probe } from "../localcluster/health.js";
import { claimPort } from "../localcluster/ports.js";
import { waitFor } from "../lib/wait.js";
import { kubeClients, loadKubeConfig } from "../kube/client.js";
import { DEMO_NAMESPACE, SYSTEM_NAMESPACE } from "../localcluster/demo.js";
import type { Product } from "../localcluster/product.js";
import { productCacheDir, startProduct } from "../localcluster/product.js";
import type { Application } from "../model/application.js";
import { UsageError } from "./errors.js";
import { shutdownSignal } from "./signals.js";
import { errorMessage } from "../lib/errormessage.js";

/** The CLI's cluster; `--instance` or TETHER_LOCAL_INSTANCE names another (tests, a second cluster). */
const DEFAULT_INSTANCE = "local";
const stamp = () => new Date().toISOString().slice(11, 19);
const log = (line: string) => process.stderr.write(`[${stamp()}] ${line}\n`);

interface LocalInfo {
  readonly pid: number;
  readonly kubeconfig: string;
  readonly gitUrl: string;
  readonly server?: string;
}

function instanceId(value: string | undefined): string {
  const id = value ?? process.env["TETHER_LOCAL_INSTANCE"] ?? DEFAULT_INSTANCE;
  try {
    return checkInstanceId(id);
  } catch (error) {
    throw new UsageError(`--instance: ${(error as Error).message}`);
  }
}

function instanceRoot(id: string): string {
  return instanceDirs(path.join(cacheRoot(), "run"), id).root;
}

function infoFile(id: string): string {
  return path.join(instanceRoot(id), "local.json");
}

/** The owner of a running instance, or undefined if none runs. */
async function runningOwner(id: string): Promise<OwnerRecord | undefined> {
  const owner = await readOwner(instanceRoot(id));
  return owner && ownerIsAlive(owner) ? owner : undefined;
}

/** What the last run of the instance wrote, whether or not it still runs. */
async function readLastInfo(id: string): Promise<LocalInfo | undefined> {
  try {
    return JSON.parse(await fs.readFile(infoFile(id), "utf8")) as LocalInfo;
  } catch {
    return undefined;
  }
}

async function readInfo(id: string): Promise<LocalInfo | undefined> {
  return (await runningOwner(id)) ? readLastInfo(id) : undefined;
}

/** The port of a URL the last run wrote, or undefined. */
function lastPort(url: string | undefined): number | undefined {
  if (!url) return undefined;
  try {
    const port = Number(new URL(url).port);
    return port > 0 ? port : undefined;
  } catch {
    return undefined;
  }
}

/** `port` if it can be bound now, else undefined (a free one is picked). */
async function freeOr(port: number | undefined): Promise<number | undefined> {
  if (port === undefined) return undefined;
  return claimPort(port, "kube-apiserver").catch(() => undefined);
}

function portOption(value: string | undefined, name: string): number | undefined {
  if (value === undefined || value === "") return undefined;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new Error(`${name}: "${value}" is not a port number`);
  return port;
}

async function up(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      nodes: { type: "string", default: "1" },
      port: { type: "string" },
      "git-port": { type: "string" },
      // Only the control plane and Git server: no CRDs, controller or demo.
      bare: { type: "boolean", default: false },
      instance: { type: "string" },
      // Delete the kept cluster (etcd, Git repositories) and start an empty one.
      purge: { type: "boolean", default: false },
    },
  });
  const id = instanceId(values.instance);
  const running = await runningOwner(id);
  if (running)
    throw new Error(
      `local cluster "${id}" is already running (pid ${running.pid}); see \`tether local status\``,
    );
  const nodeCount = Number(values.nodes);
  if (!Number.isInteger(nodeCount) || nodeCount < 1)
    throw new Error(`--nodes: "${values.nodes}" is not a positive integer`);
  const started = performance.now();
  // A resumed cluster keeps its ports unless told otherwise: its Applications name the Git server
  // by URL (port included), and kubeconfigs copied elsewhere name the apiserver.
  const last = values.purge ? undefined : await readLastInfo(id);
  const apiserverPort = portOption(values.port ?? process.env["TETHER_APISERVER_PORT"], "--port");
  const gitPort = portOption(values["git-port"] ?? process.env["TETHER_GIT_PORT"], "--git-port");
  const lastGitPort = gitPort === undefined ? lastPort(last?.gitUrl) : undefined;
  if (lastGitPort !== undefined) {
    const purpose = `the Git server (the kept cluster's apps use ${last?.gitUrl ?? ""}; pass --git-port to choose another)`;
    await claimPort(lastGitPort, purpose);
  }
  const lastApiserverPort = apiserverPort === undefined ? lastPort(last?.server) : undefined;
  const environment = await startLocalEnvironment({
    id,
    keepData: true,
    purge: values.purge,
    apiserverPort: apiserverPort ?? (await freeOr(lastApiserverPort)),
    gitPort: gitPort ?? lastGitPort,
    nodeCount,
    log,
  }).catch(async (error: unknown) => {
    // A kept cluster that no longer starts (corrupt data, a newer Kubernetes) must not trap the user.
    const [kept] = await Promise.allSettled([fs.access(path.join(instanceRoot(id), "data", "etcd"))]);
    if (kept.status === "rejected" || values.purge) throw error;
    const flag = id === DEFAULT_INSTANCE ? "" : ` --instance ${id}`;
    const message = errorMessage(error);
    throw new Error(
      `${message}\n(the kept cluster is in ${instanceRoot(id)}: \`tether local up${flag} --purge\` starts an empty one)`,
      { cause: error },
    );
  });
  const info: LocalInfo = {
    pid: process.pid,
    kubeconfig: environment.kubeconfigPath,
    gitUrl: environment.git.url,
    server: environment.controlPlane?.server,
  };
  if (environment.controlPlane) await fs.writeFile(infoFile(id), JSON.stringify(info));
  let product: Product | undefined;
  try {
    if (!values.bare) {
      const cacheDir = environment.controlPlane
        ? path.join(environment.controlPlane.dirs.root, "tether-cache")
        : productCacheDir();
      product = await startProduct(environment, { log, cacheDir });
      await waitForDemo(environment.kubeconfigPath).catch((error: Error) =>
        log(`demo app: ${error.message}`),
      );
    }
  } catch (error) {
    await environment.stop();
    throw error;
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  process.stdout.write(
    [
      "",
      `Tether is up (${seconds} s).`,
      `  kubeconfig:  ${environment.kubeconfigPath}`,
      `  Git server:  ${environment.git.url}/<repository>.git  (repositories in ${environment.gitRoot})`,
      ...(product ? apiInstructions(product) : []),
      "",
      "In another terminal:",
      `  export KUBECONFIG=${environment.kubeconfigPath}`,
      "  kubectl get nodes",
      ...(product ? demoInstructions(product.demoRepoUrl) : []),
      "",
      ...(environment.controlPlane ? stateInstructions(id, environment.controlPlane) : []),
      "",
      "Press Ctrl-C to stop everything.",
      "",
    ].join("\n"),
  );
  await shutdownSignal(log);
  log("stopping");
  await product?.stop();
  await environment.stop();
  log("stopped");
  return 0;
}

function stateInstructions(id: string, controlPlane: ControlPlane): string[] {
  const flag = id === DEFAULT_INSTANCE ? "" : ` --instance ${id}`;
  return [
    "",
    `${controlPlane.resumed ? "Resumed" : "Created"} local cluster "${id}"; its state (etcd, Git repositories) is kept in`,
    `  ${controlPlane.dirs.root}`,
    `Stopping (Ctrl-C) or a crash keeps it: the next \`tether local up${flag}\` resumes it.`,
    `\`tether local down${flag}\` stops it and deletes it; \`tether local up${flag} --purge\` starts empty.`,
  ];
}

function apiInstructions(product: Product): string[] {
  const password =
    product.adminPassword ?? `<changed; Secret ${SYSTEM_NAMESPACE}/tether-initial-admin was deleted>`;
  const login = JSON.stringify({ username: "admin", password: product.adminPassword ?? "<password>" });
  return [
    `  API:         ${product.apiUrl}  (user admin, password ${password})`,
    "",
    "The API (log in, then list the applications):",
    `  TOKEN=$(curl -s ${product.apiUrl}/api/v1/session -H 'content-type: application/json' -d '${login}' | sed -E 's/.*"token":"([^"]+)".*/\\1/')`,
    `  curl -s -H "Authorization: Bearer $TOKEN" ${product.apiUrl}/api/v1/applications`,
  ];
}

/** Waits until the demo app is Synced and Healthy, so the instructions are true when printed. */
async function waitForDemo(kubeconfig: string): Promise<void> {
  const { custom } = kubeClients(loadKubeConfig(kubeconfig));
  await waitFor(
    "the demo Application to be Synced and Healthy",
    async () => {
      const app = (await custom.getNamespacedCustomObject({
        group: "tether.dev",
        version: "v1alpha1",
        plural: "applications",
        namespace: SYSTEM_NAMESPACE,
        name: "hello",
      })) as Application;
      return app.status?.sync?.status === "Synced" && app.status.health?.status === "Healthy";
    },
    { timeoutMs: 120_000 },
  );
}

function demoInstructions(repoUrl: string): string[] {
  return [
    "",
    `The demo app is Synced and Healthy: Application ${SYSTEM_NAMESPACE}/hello keeps the nginx Deployment`,
    `and Service "hello" in namespace ${DEMO_NAMESPACE} as its Git repository says (2 replicas).`,
    "  kubectl get applications -A",
    `  kubectl -n ${DEMO_NAMESPACE} get deployment,pods`,
    "",
    "Change Git, and the cluster follows (every push refreshes the app at once):",
    `  git clone ${repoUrl} tether-demo && cd tether-demo`,
    "  sed -i 's/replicas: 2/replicas: 5/' hello/deployment.yaml",
    '  git commit -am "scale hello to 5" && git push          # → 5 pods',
    "",
    "Drift is corrected within a second (self-heal):",
    `  kubectl -n ${DEMO_NAMESPACE} scale deployment hello --replicas=1   # → back to 5`,
    "",
    "Roll back with Git:",
    "  git revert --no-edit HEAD && git push                   # → back to 2",
    "  kubectl describe application -n tether-system hello    # history, conditions, events",
  ];
}

/**
 * Stops the instance's `local up` (SIGTERM; it stops its components in order), stops anything of the
 * instance still running (a crashed run whose watchdog died too), then deletes its state unless --keep.
 */
async function down(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { instance: { type: "string" }, keep: { type: "boolean", default: false } },
  });
  const id = instanceId(values.instance);
  const root = instanceRoot(id);
  const owner = await runningOwner(id);
  if (owner) {
    process.kill(owner.pid, "SIGTERM");
    const gone = () => !ownerIsAlive(owner);
    try {
      await waitFor(`pid ${owner.pid} to stop`, gone, { timeoutMs: 60_000 });
    } catch {
      // A stop that hangs: its watchdog (and the sweep below) stops the components.
      log(`pid ${owner.pid} did not stop within 60 s: killing it`);
      process.kill(owner.pid, "SIGKILL");
      await waitFor(`pid ${owner.pid} to die`, gone, { timeoutMs: 10_000 });
    }
    process.stdout.write(`stopped local cluster "${id}" (pid ${owner.pid})\n`);
  }
  const leftovers = await stopInstanceProcesses(root);
  if (leftovers.length > 0) {
    process.stdout.write(`stopped ${leftovers.length} leftover process(es) of local cluster "${id}"\n`);
  }
  const [present] = await Promise.allSettled([fs.access(root)]);
  if (values.keep || present.status === "rejected") {
    if (!owner && leftovers.length === 0) process.stdout.write(`local cluster "${id}" is not running\n`);
    if (values.keep && present.status === "fulfilled") process.stdout.write(`kept its state in ${root}\n`);
    return 0;
  }
  await fs.rm(root, { recursive: true, force: true });
  process.stdout.write(`deleted local cluster "${id}" (${root})\n`);
  return 0;
}

async function status(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { instance: { type: "string" } } });
  const id = instanceId(values.instance);
  const info = await readInfo(id);
  if (!info) {
    const [kept] = await Promise.allSettled([fs.access(path.join(instanceRoot(id), "data", "etcd"))]);
    const resume = kept.status === "fulfilled" ? `; its state is kept in ${instanceRoot(id)}` : "";
    const start =
      id === DEFAULT_INSTANCE ? "`npm start` or `tether local up`" : `\`tether local up --instance ${id}\``;
    process.stdout.write(`not running${resume} (start it with ${start})\n`);
    return 1;
  }
  let ready = "unknown";
  if (info.server) {
    const ca = path.join(path.dirname(info.kubeconfig), "pki", "ca.crt");
    const pki = path.join(path.dirname(info.kubeconfig), "pki");
    const client = { cert: path.join(pki, "admin.crt"), key: path.join(pki, "admin.key") };
    ready = await probe(`${info.server}/readyz`, { ca, client }).then(
      (r) => (r.status === 200 ? "ready" : `not ready (HTTP ${r.status})`),
      (error: Error) => `unreachable (${error.message})`,
    );
  }
  process.stdout.write(
    [
      `running (pid ${info.pid}); apiserver ${info.server ?? "external"}: ${ready}`,
      `  export KUBECONFIG=${info.kubeconfig}`,
      `  Git server: ${info.gitUrl}`,
      "",
    ].join("\n"),
  );
  return ready === "ready" ? 0 : 1;
}

async function build(): Promise<number> {
  const paths = await ensureComponents(ALL_COMPONENTS, { log });
  for (const [name, file] of Object.entries(paths)) process.stdout.write(`${name}\t${file}\n`);
  return 0;
}

export async function localCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  switch (sub) {
    case "up":
      return up(rest);
    case "down":
      return down(rest);
    case "status":
      return status(rest);
    case "build":
      return build();
    default:
      throw new UsageError(`unknown subcommand "local ${sub ?? ""}"`);
  }
}
