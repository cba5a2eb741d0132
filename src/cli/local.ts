// `tether local up|down|status|build`.
import fs from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { ensureComponents } from "../localcluster/binaries.js";
import { ALL_COMPONENTS } from "../localcluster/components.js";
import { cacheRoot } from "../localcluster/cachedir.js";
import { startLocalEnvironment } from "../localcluster/environment.js";
import { instanceDirs, readOwner } from "../localcluster/instance.js";
import { isProcessAlive } from "../localcluster/lock.js";
import { probe } from "../localcluster/health.js";
import { waitFor } from "../localcluster/wait.js";
import { kubeClients, loadKubeConfig } from "../kube/client.js";
import { DEMO_NAMESPACE, SYSTEM_NAMESPACE } from "../localcluster/demo.js";
import type { Product } from "../localcluster/product.js";
import { productCacheDir, startProduct } from "../localcluster/product.js";
import type { Application } from "../model/application.js";
import { UsageError } from "./errors.js";
import { shutdownSignal } from "./signals.js";

const LOCAL_ID = "local";
const stamp = () => new Date().toISOString().slice(11, 19);
const log = (line: string) => process.stderr.write(`[${stamp()}] ${line}\n`);

interface LocalInfo {
  readonly pid: number;
  readonly kubeconfig: string;
  readonly gitUrl: string;
  readonly server?: string;
}

function infoFile(): string {
  return path.join(instanceDirs(path.join(cacheRoot(), "run"), LOCAL_ID).root, "local.json");
}

async function readInfo(): Promise<LocalInfo | undefined> {
  try {
    const info = JSON.parse(await fs.readFile(infoFile(), "utf8")) as LocalInfo;
    return isProcessAlive(info.pid) ? info : undefined;
  } catch {
    return undefined;
  }
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
    },
  });
  const running = await readInfo();
  if (running)
    throw new Error(
      `a local environment is already running (pid ${running.pid}); see \`tether local status\``,
    );
  const nodeCount = Number(values.nodes);
  if (!Number.isInteger(nodeCount) || nodeCount < 1)
    throw new Error(`--nodes: "${values.nodes}" is not a positive integer`);
  const started = performance.now();
  const environment = await startLocalEnvironment({
    id: LOCAL_ID,
    apiserverPort: portOption(values.port ?? process.env["TETHER_APISERVER_PORT"], "--port"),
    gitPort: portOption(values["git-port"] ?? process.env["TETHER_GIT_PORT"], "--git-port"),
    nodeCount,
    log,
  });
  const info: LocalInfo = {
    pid: process.pid,
    kubeconfig: environment.kubeconfigPath,
    gitUrl: environment.git.url,
    server: environment.controlPlane?.server,
  };
  if (environment.controlPlane) await fs.writeFile(infoFile(), JSON.stringify(info));
  let product: Product | undefined;
  try {
    if (!values.bare) {
      const cacheDir = environment.controlPlane ? path.join(environment.controlPlane.dirs.root, "tether-cache") : productCacheDir(); // prettier-ignore
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

function apiInstructions(product: Product): string[] {
  const password =
    product.adminPassword ??
    `<changed; Secret ${SYSTEM_NAMESPACE}/tether-initial-admin-password was deleted>`;
  const login = JSON.stringify({ username: "admin", password: product.adminPassword ?? "<password>" });
  return [
    `  API:         ${product.apiUrl}  (user admin, password ${password})`,
    "",
    "The API (log in, then list the applications):",
    `  TOKEN=$(curl -s ${product.apiUrl}/api/v1/session -d '${login}' | sed -E 's/.*"token":"([^"]+)".*/\\1/')`,
    `  curl -s -H "Authorization: Bearer $TOKEN" ${product.apiUrl}/api/v1/applications`,
  ];
}

/** Waits until the demo app is Synced and Healthy, so the instructions are true when printed. */
async function waitForDemo(kubeconfig: string): Promise<void> {
  const { custom } = kubeClients(loadKubeConfig(kubeconfig));
  await waitFor("the demo Application to be Synced and Healthy", async () => {
    const app = (await custom.getNamespacedCustomObject({ group: "tether.dev", version: "v1alpha1", plural: "applications", namespace: SYSTEM_NAMESPACE, name: "hello" })) as Application; // prettier-ignore
    return app.status?.sync?.status === "Synced" && app.status.health?.status === "Healthy";
  }, { timeoutMs: 120_000 }); // prettier-ignore
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

async function down(): Promise<number> {
  const root = instanceDirs(path.join(cacheRoot(), "run"), LOCAL_ID).root;
  const owner = await readOwner(root);
  if (!owner || !isProcessAlive(owner.pid)) {
    process.stdout.write("no local environment is running\n");
    return 0;
  }
  process.kill(owner.pid, "SIGTERM");
  await waitFor(`pid ${owner.pid} to stop`, () => !isProcessAlive(owner.pid), { timeoutMs: 60_000 });
  process.stdout.write(`stopped the local environment (pid ${owner.pid})\n`);
  return 0;
}

async function status(): Promise<number> {
  const info = await readInfo();
  if (!info) {
    process.stdout.write("not running (start it with `npm start` or `tether local up`)\n");
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
      return down();
    case "status":
      return status();
    case "build":
      return build();
    default:
      throw new UsageError(`unknown subcommand "local ${sub ?? ""}"`);
  }
}
