// `npm start`: the whole product on one machine — local control plane, Git server, Tether's CRDs,
// the demo repository and Application, and the controller, with every push to the local Git
// server refreshing the apps that use it at once (what a forge's webhook does in production), and
// the HTTP API on 127.0.0.1 (port TETHER_API_PORT, default 8080) with authentication on.
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Registry } from "prom-client";
import { registerProcessMetrics } from "../controller/metrics.js";
import { parseAllDocuments } from "yaml";
import type { RunningServer } from "../api/serve.js";
import { startServer } from "../api/serve.js";
import type { Controller } from "../controller/controller.js";
import { startController } from "../controller/controller.js";
import { git } from "../engine/source/gitcli.js";
import { kubeClients, loadKubeConfig } from "../kube/client.js";
import { ResourceClient } from "../kube/resources.js";
import { ensureComponents } from "../toolchain/binaries.js";
import { repoRoot } from "../toolchain/components.js";
import { DEMO_REPOSITORY, SYSTEM_NAMESPACE, demoApplication, helloDeployment, helloService } from "./demo.js";
import type { LocalEnvironment } from "./environment.js";
import type { GitServer } from "./gitserver.js";
import { GitWorkspace } from "./gitrepo.js";
import { waitFor } from "../lib/wait.js";
import { errorMessage } from "../lib/errormessage.js";

export interface Product {
  readonly controller: Controller;
  readonly demoRepoUrl: string;
  /** The API server, e.g. http://127.0.0.1:8080 (auth on: log in as admin). */
  readonly apiUrl: string;
  /**
   * The initial admin password, while Secret tether-initial-admin exists (as Argo CD:
   * it stays readable there until deleted; undefined once the operator has deleted it).
   */
  readonly adminPassword: string | undefined;
  stop(): Promise<void>;
}

export const DEFAULT_API_PORT = 8080;

/** TETHER_API_PORT, or 8080. */
export function apiPort(value = process.env["TETHER_API_PORT"]): number {
  if (value === undefined || value === "") return DEFAULT_API_PORT;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`TETHER_API_PORT: "${value}" is not a port number`);
  }
  return port;
}

/** Applies every CRD in deploy/crds and waits until each is Established. */
/**
 * Every push to the local Git server refreshes the apps (and ApplicationSets) of that repository, as
 * a forge's webhook would. Runs in the Git server's request handling: whatever it throws is logged
 * here, never left to end the process (issue 17: one app's bad repoURL once ended controller, API
 * and Git server alike). Returns the unsubscribe function.
 */
export function refreshOnPush(
  server: Pick<GitServer, "onPush" | "repositoryUrl">,
  controller: Pick<Controller, "refreshRepository">,
  log: (line: string) => void,
): () => void {
  return server.onPush((repository) => {
    try {
      const count = controller.refreshRepository(server.repositoryUrl(repository));
      if (count > 0) log(`push to ${repository}.git: refreshing ${count} application(s)`);
    } catch (error) {
      log(`push to ${repository}.git: refresh failed: ${errorMessage(error)}`);
    }
  });
}

export async function installCrds(resources: ResourceClient): Promise<void> {
  const dir = path.join(repoRoot, "deploy/crds");
  for (const file of (await fs.readdir(dir)).sort()) {
    for (const doc of parseAllDocuments(await fs.readFile(path.join(dir, file), "utf8"))) {
      const crd = doc.toJS() as { apiVersion: string; kind: string; metadata: { name: string } };
      await resources.apply(crd, { force: true });
      await waitFor(
        `CRD ${crd.metadata.name} to be Established`,
        async () => {
          const live = (await resources.read({ ...crd, name: crd.metadata.name })) as
            { status?: { conditions?: { type: string; status: string }[] } } | undefined;
          return (
            live?.status?.conditions?.some((c) => c.type === "Established" && c.status === "True") ?? false
          );
        },
        { timeoutMs: 30_000 },
      );
    }
  }
}

export async function startProduct(
  environment: LocalEnvironment,
  options: { log: (line: string) => void; cacheDir: string },
): Promise<Product> {
  const config = loadKubeConfig(environment.kubeconfigPath);
  const clients = kubeClients(config);
  const resources = new ResourceClient(clients);
  await installCrds(resources);

  const bare = path.join(environment.gitRoot, `${DEMO_REPOSITORY}.git`);
  const demoRepoUrl = environment.git.repositoryUrl(DEMO_REPOSITORY);
  const exists = await fs.access(bare).then(
    () => true,
    () => false,
  );
  if (!exists) {
    await git(["init", "--quiet", "--bare", "--initial-branch=main", bare]);
    const ws = await GitWorkspace.clone(demoRepoUrl);
    await ws.commitAndPush(
      { "hello/deployment.yaml": helloDeployment(2), "hello/service.yaml": helloService },
      "hello: nginx with 2 replicas",
    );
    await ws.remove();
  }

  const binaries = await ensureComponents(["helm", "kustomize"], { log: options.log });
  // One registry for the process: the API's /metrics shows the controller's metrics too.
  const registry = new Registry();
  registerProcessMetrics(registry);
  const controller = await startController({
    config,
    registry,
    systemNamespace: SYSTEM_NAMESPACE,
    cacheDir: options.cacheDir,
    helmBinary: binaries.helm,
    kustomizeBinary: binaries.kustomize,
    pollIntervalMs: 60_000,
    log: options.log,
  });
  const unsubscribe = refreshOnPush(environment.git, controller, options.log);
  // Created once: a resumed cluster keeps the demo app as the user left it.
  const demo = demoApplication(demoRepoUrl);
  if (!(await resources.read({ ...demo, name: demo.metadata.name, namespace: demo.metadata.namespace }))) {
    await resources.apply(demo, { force: true });
  }

  let api: RunningServer;
  let adminPassword: string | undefined;
  try {
    const port = apiPort();
    // The same serving path as `tether server`, plus what only a controller in this process gives.
    api = await startServer({
      clients,
      systemNamespace: SYSTEM_NAMESPACE,
      host: "127.0.0.1",
      port,
      registry,
      log: options.log,
      inProcess: {
        desired: (ref) => controller.desiredOf(ref),
        controller: {
          applications: () => controller.applications(),
          refresh: (keys) => controller.refreshApps(keys),
        },
      },
    }).catch((error: unknown) => {
      const code = (error as { cause?: { code?: unknown } } | null)?.cause?.code;
      throw new Error(
        code === "EADDRINUSE"
          ? `the API port ${port} on 127.0.0.1 is already in use: stop what uses it or set TETHER_API_PORT to a free port`
          : `starting the API server on 127.0.0.1:${port}: ${errorMessage(error)}`,
        { cause: error },
      );
    });
    // Local up is one user's machine: the password is printed for them (`tether server` never does).
    adminPassword = await api.auth.initialAdminPassword();
  } catch (error) {
    unsubscribe();
    await controller.stop();
    throw error;
  }
  options.log(`API server listening on ${api.url}`);
  return {
    controller,
    demoRepoUrl,
    apiUrl: api.url,
    adminPassword,
    async stop() {
      await api.close();
      unsubscribe();
      await controller.stop();
    },
  };
}

/** Where the controller keeps mirrors and trees for `npm start`. */
export function productCacheDir(): string {
  return path.join(os.tmpdir(), `tether-local-${process.pid}`);
}
