// Several `tether controller` processes sharing one Application namespace, for the sharding and
// leader tests: a Git server, an app, system and target namespace of the test's own, and replicas
// started with the same flags (the Lease duration of the test, a cache folder each). `stop` kills
// every replica (resuming a frozen one first) and removes everything the fixture made.
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { ensureComponent } from "../../src/toolchain/binaries.js";
import { GitWorkspace } from "../../src/localcluster/gitrepo.js";
import type { GitServer } from "../../src/localcluster/gitserver.js";
import { startGitServer } from "../../src/localcluster/gitserver.js";
import type { Application } from "../../src/model/application.js";
import { APP_GROUP } from "./app.js";
import type { ControllerProcess } from "./controllerprocess.js";
import { runController } from "./controllerprocess.js";
import { clients, installCrds, testEnv, uniqueName } from "./environment.js";

export interface ReplicaOptions {
  /** Extra flags, e.g. ["--shard-key", "cluster"]. */
  readonly args?: readonly string[];
  /** TETHER_DEBUG=1: the claim and membership lines some tests read. */
  readonly debug?: boolean;
}

export interface ReplicaFixture {
  readonly tmp: string;
  readonly git: GitServer;
  readonly appNs: string;
  readonly systemNs: string;
  /** Where the apps deploy. */
  readonly target: string;
  /** Running replicas by id (a test may stop one and delete it here). */
  readonly replicas: Map<string, ControllerProcess>;
  start(id: string, options?: ReplicaOptions): ControllerProcess;
  /** A new repository on the fixture's Git server and a workspace of it. */
  repository(name: string): Promise<{ url: string; ws: GitWorkspace }>;
  apps(): Promise<Application[]>;
  stop(): Promise<void>;
}

export async function startReplicaFixture(
  prefix: string,
  options: { leaseMs: number; pollInterval?: string },
): Promise<ReplicaFixture> {
  await installCrds();
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), `tether-${prefix}-`));
  const git = await startGitServer({ root: path.join(tmp, "git") });
  const [appNs, systemNs, target] = ["apps", "system", "target"].map((n) => uniqueName(`${prefix}-${n}`)) as [
    string,
    string,
    string,
  ];
  for (const name of [appNs, target]) await clients().core.createNamespace({ body: { metadata: { name } } });
  const helm = await ensureComponent("helm");
  const kustomize = await ensureComponent("kustomize");
  const replicas = new Map<string, ControllerProcess>();
  const workspaces: GitWorkspace[] = [];
  return {
    tmp,
    git,
    appNs,
    systemNs,
    target,
    replicas,
    start(id, replica = {}) {
      const args = [
        "--kubeconfig",
        testEnv.kubeconfig,
        "--namespace",
        appNs,
        "--system-namespace",
        systemNs,
        "--cache-dir",
        path.join(tmp, `cache-${id}`),
        "--poll-interval",
        options.pollInterval ?? "5s",
        "--helm",
        helm,
        "--kustomize",
        kustomize,
        "--replica-id",
        id,
        "--lease-duration",
        `${options.leaseMs / 1000}s`,
        ...(replica.args ?? []),
      ];
      const env = replica.debug ? { ...process.env, TETHER_DEBUG: "1" } : undefined;
      const c = runController(args, env ? { env } : {});
      replicas.set(id, c);
      return c;
    },
    async repository(name) {
      const url = await git.createRepository(name);
      const ws = await GitWorkspace.clone(url);
      workspaces.push(ws);
      return { url, ws };
    },
    async apps() {
      const list = (await clients().custom.listNamespacedCustomObject({
        ...APP_GROUP,
        namespace: appNs,
      })) as {
        items: Application[];
      };
      return list.items;
    },
    async stop() {
      for (const c of replicas.values()) {
        c.signal("SIGCONT");
        await c.kill();
      }
      await git.close();
      for (const ws of workspaces) await ws.remove();
      for (const name of [appNs, systemNs, target])
        await clients()
          .core.deleteNamespace({ name })
          .catch(() => undefined);
      await fs.rm(tmp, { recursive: true, force: true });
    },
  };
}
