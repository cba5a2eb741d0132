// One controller test file's world: its own Git server and repository, its own Application
// namespace watched by its own controller, destination namespaces it creates, and helpers to read
// and poke Applications the way a user would (create, annotate, patch the spec, delete).
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { PatchStrategy } from "@kubernetes/client-node";
import type { Controller, ControllerOptions } from "../../src/controller/controller.js";
import { startController } from "../../src/controller/controller.js";
import { errorStatus } from "../../src/kube/client.js";
import { ensureComponent } from "../../src/toolchain/binaries.js";
import { GitWorkspace } from "../../src/localcluster/gitrepo.js";
import type { GitServer } from "../../src/localcluster/gitserver.js";
import { startGitServer } from "../../src/localcluster/gitserver.js";
import { waitFor } from "../../src/lib/wait.js";
import type { Application, ApplicationSpec, Condition } from "../../src/model/application.js";
import { clients, installCrds, uniqueName } from "./environment.js";

export const APP_GROUP = { group: "tether.dev", version: "v1alpha1", plural: "applications" } as const;
export const IN_CLUSTER = "https://kubernetes.default.svc";

export function configMap(name: string, data: Record<string, string>): string {
  const lines = Object.entries(data).map(([k, v]) => `  ${k}: ${JSON.stringify(v)}`);
  return `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n${lines.join("\n")}\n`;
}

/** A Deployment whose pods never need to become ready for the tests that use it. */
export function deployment(name: string, replicas: number): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
spec:
  replicas: ${replicas}
  selector:
    matchLabels:
      app: ${name}
  template:
    metadata:
      labels:
        app: ${name}
    spec:
      containers:
        - name: nginx
          image: nginx:1.27-alpine
`;
}

export function service(name: string): string {
  return `apiVersion: v1
kind: Service
metadata:
  name: ${name}
spec:
  selector:
    app: ${name}
  ports:
    - port: 80
      targetPort: 80
`;
}

export const condition = (app: Application, type: string): Condition | undefined =>
  app.status?.conditions?.find((c) => c.type === type);

/** Resolves to true when reading the object answers 404. */
export async function isGone(read: () => Promise<unknown>): Promise<boolean> {
  try {
    await read();
    return false;
  } catch (error) {
    if (errorStatus(error) === 404) return true;
    throw error;
  }
}

export interface ControllerFixture {
  readonly appNs: string;
  /** The controller's own namespace (installation id, ConfigMap tether-config). */
  readonly systemNamespace: string;
  readonly git: GitServer;
  readonly controller: Controller;
  readonly lines: string[];
  /** Creates a repository with these files on `main` and returns its URL and a workspace. */
  repository(name: string, files: Record<string, string>): Promise<{ url: string; ws: GitWorkspace }>;
  /** A fresh namespace, deleted at the end. */
  namespace(prefix: string): Promise<string>;
  /** A namespace name that is deleted at the end if something created it. */
  reserveNamespace(prefix: string): string;
  createApp(name: string, spec: ApplicationSpec, finalizers?: string[]): Promise<Application>;
  readApp(name: string): Promise<Application>;
  /** Merge patch of the Application (metadata and/or spec), as `kubectl patch --type merge`. */
  patchApp(name: string, patch: Record<string, unknown>): Promise<void>;
  annotate(name: string, annotations: Record<string, string | null>): Promise<void>;
  deleteApp(name: string): Promise<void>;
  /** Asks for a refresh and waits until a reconcile has handled it (the request annotation is gone). */
  refresh(name: string): Promise<Application>;
  /** Waits until `check` holds for the app; on timeout the error shows its status and the log. */
  waitApp(
    name: string,
    what: string,
    check: (app: Application) => boolean,
    timeoutMs?: number,
  ): Promise<Application>;
  stop(): Promise<void>;
}

/** `options` are passed on to startController (metrics registry, notification settings). */
export async function startControllerFixture(
  prefix: string,
  options: Partial<ControllerOptions> = {},
): Promise<ControllerFixture> {
  await installCrds();
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), `tether-${prefix}-`));
  const gitRoot = path.join(tmp, "git");
  const cacheDir = path.join(tmp, "cache");
  await fs.mkdir(gitRoot);
  await fs.mkdir(cacheDir);
  const git = await startGitServer({ root: gitRoot });
  const workspaces: GitWorkspace[] = [];
  const namespaces: string[] = [];
  const lines: string[] = [];
  const reserveNamespace = (p: string) => {
    const name = uniqueName(p);
    namespaces.push(name);
    return name;
  };
  const namespace = async (p: string) => {
    const name = reserveNamespace(p);
    await clients().core.createNamespace({
      body: { metadata: { name, labels: { "tether.dev/test": "true" } } },
    });
    return name;
  };
  const appNs = await namespace(`${prefix}-apps`);
  // Its own system namespace: its own installation id, so no other file's controller shares its objects.
  const systemNamespace = reserveNamespace(`${prefix}-system`);
  const controller = await startController({
    config: clients().config,
    applicationNamespace: appNs,
    systemNamespace,
    cacheDir,
    helmBinary: await ensureComponent("helm"),
    kustomizeBinary: await ensureComponent("kustomize"),
    pollIntervalMs: 3_000,
    gitTimeoutMs: 5_000,
    log: (line) => lines.push(`${new Date().toISOString().slice(11, 23)} ${line}`),
    ...options,
  });
  const readApp = async (name: string) =>
    (await clients().custom.getNamespacedCustomObject({
      ...APP_GROUP,
      namespace: appNs,
      name,
    })) as Application;
  const patchApp = async (name: string, patch: Record<string, unknown>) => {
    const metadata = {
      ...(patch["metadata"] as Record<string, unknown> | undefined),
      name,
      namespace: appNs,
    };
    await clients().objects.patch(
      { apiVersion: "tether.dev/v1alpha1", kind: "Application", ...patch, metadata },
      undefined,
      undefined,
      undefined,
      undefined,
      PatchStrategy.MergePatch,
    );
  };
  const waitApp: ControllerFixture["waitApp"] = async (name, what, check, timeoutMs = 30_000) =>
    waitFor(
      `${name}: ${what}`,
      async () => {
        const app = await readApp(name);
        return check(app) ? app : undefined;
      },
      { timeoutMs },
    ).catch(async (error: Error) => {
      const status = await readApp(name).then(
        (a) => JSON.stringify(a.status, null, 1),
        (e: Error) => e.message,
      );
      throw new Error(`${error.message}\nstatus: ${status}\nlog:\n${lines.join("\n")}`);
    });
  return {
    appNs,
    systemNamespace,
    git,
    controller,
    lines,
    namespace,
    reserveNamespace,
    async repository(name, files) {
      const url = await git.createRepository(name);
      const ws = await GitWorkspace.clone(url);
      workspaces.push(ws);
      await ws.commitAndPush(files, `${name}: initial commit`);
      return { url, ws };
    },
    async createApp(name, spec, finalizers) {
      return (await clients().custom.createNamespacedCustomObject({
        ...APP_GROUP,
        namespace: appNs,
        body: {
          apiVersion: "tether.dev/v1alpha1",
          kind: "Application",
          metadata: { name, namespace: appNs, ...(finalizers ? { finalizers } : {}) },
          spec,
        },
      })) as Application;
    },
    readApp,
    patchApp,
    annotate: (name, annotations) => patchApp(name, { metadata: { annotations } }),
    async deleteApp(name) {
      await clients().custom.deleteNamespacedCustomObject({ ...APP_GROUP, namespace: appNs, name });
    },
    async refresh(name) {
      await patchApp(name, { metadata: { annotations: { "tether.dev/refresh": "normal" } } });
      // Removed by the reconcile that saw it, after that reconcile wrote status.
      return waitApp(
        name,
        "refresh handled",
        (a) => !(a.metadata.annotations && "tether.dev/refresh" in a.metadata.annotations),
      );
    },
    waitApp,
    async stop() {
      await controller.stop();
      await git.close();
      for (const ws of workspaces) await ws.remove();
      // Apps first, with their finalizers dropped, so namespace deletion never hangs on them.
      const list = (await clients().custom.listNamespacedCustomObject({
        ...APP_GROUP,
        namespace: appNs,
      })) as { items: Application[] };
      for (const app of list.items) {
        if (app.metadata.finalizers?.length)
          await patchApp(app.metadata.name, { metadata: { finalizers: null } }).catch(() => undefined);
      }
      for (const name of namespaces)
        await clients()
          .core.deleteNamespace({ name })
          .catch(() => undefined);
      await fs.rm(tmp, { recursive: true, force: true });
      if (process.env["TETHER_TEST_VERBOSE"]) process.stderr.write(lines.join("\n") + "\n");
    },
  };
}
