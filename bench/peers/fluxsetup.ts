// Flux on the benchmark's local apiserver: its CRDs (from the pinned tags), source-controller and
// kustomize-controller as local processes (kubeconfig via KUBECONFIG, every listener on loopback,
// artifact storage in a temp folder), and the objects equivalent to one Tether Application: a
// GitRepository and a Kustomization (prune: true, force: false) per app, pointing at the same Git
// smart-HTTP server.
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { KubernetesObject } from "@kubernetes/client-node";
import { PatchStrategy } from "@kubernetes/client-node";
import { parseAllDocuments } from "yaml";
import type { TypedKubeClients } from "../../src/kube/typed.js";
import type { ResourceClient } from "../../src/kube/resources.js";
import { ManagedProcess } from "../../src/localcluster/process.js";
import { freePort } from "../../src/localcluster/ports.js";
import { waitFor } from "../../src/lib/wait.js";
import type { BenchRun } from "../lib/run.js";
import type { FluxBinary } from "./fluxbuild.js";

export const SOURCE_GROUP = "source.toolkit.fluxcd.io";
export const KUSTOMIZE_GROUP = "kustomize.toolkit.fluxcd.io";
export const REQUESTED_AT = "reconcile.fluxcd.io/requestedAt";

export interface Condition {
  readonly type: string;
  readonly status: string;
  readonly reason?: string;
  readonly message?: string;
}

export interface Kustomization {
  readonly metadata?: { namespace?: string; name?: string; resourceVersion?: string; generation?: number };
  readonly status?: {
    readonly observedGeneration?: number;
    readonly lastAppliedRevision?: string;
    readonly conditions?: readonly Condition[];
  };
}

/** Ready=True for the current generation (the revision, when given, is the commit sha). */
export function kustomizationReady(k: Kustomization | undefined, sha?: string): boolean {
  const s = k?.status;
  const ready = s?.conditions?.find((c) => c.type === "Ready");
  return (
    ready?.status === "True" &&
    s?.observedGeneration === k?.metadata?.generation &&
    (sha === undefined || (s?.lastAppliedRevision ?? "").endsWith(sha))
  );
}

/** Applies every CRD of the controllers and waits until each is Established. */
export async function installFluxCrds(resources: ResourceClient, binaries: readonly FluxBinary[]) {
  for (const { crds } of binaries) {
    for (const doc of parseAllDocuments(await fs.readFile(crds, "utf8"))) {
      const crd = doc.toJS() as { apiVersion: string; kind: string; metadata: { name: string } } | null;
      if (!crd) continue;
      await resources.apply(crd, { force: true });
      await waitFor(
        `CRD ${crd.metadata.name} Established`,
        async () => {
          const live = (await resources.read({ ...crd, name: crd.metadata.name })) as
            { status?: { conditions?: Condition[] } } | undefined;
          return (
            live?.status?.conditions?.some((c) => c.type === "Established" && c.status === "True") ?? false
          );
        },
        { timeoutMs: 60_000 },
      );
    }
  }
}

export interface FluxControllers {
  readonly processes: readonly ManagedProcess[];
  stop(): Promise<void>;
}

/** Starts source-controller and kustomize-controller; resolves once both answer /readyz. */
export async function startFluxControllers(options: {
  readonly run: BenchRun;
  readonly kubeconfig: string;
  readonly source: FluxBinary;
  readonly kustomize: FluxBinary;
  readonly logDir: string;
}): Promise<FluxControllers> {
  const { run, kubeconfig, logDir } = options;
  const storage = await fs.mkdtemp(path.join(os.tmpdir(), "tether-peers-flux-storage-"));
  run.defer("remove Flux's artifact storage", () => fs.rm(storage, { recursive: true, force: true }));
  const storagePort = await freePort();
  const env = { ...process.env, KUBECONFIG: kubeconfig, RUNTIME_NAMESPACE: "flux-system" };
  const common = async () => {
    const metrics = await freePort();
    const health = await freePort();
    return {
      health,
      args: [
        `--metrics-addr=127.0.0.1:${metrics}`,
        `--health-addr=127.0.0.1:${health}`,
        "--watch-all-namespaces=true",
        "--enable-leader-election=false",
        "--log-level=info",
      ],
    };
  };
  const processes: ManagedProcess[] = [];
  const stop = async () => {
    for (const p of [...processes].reverse()) await p.stop();
  };
  run.defer("stop Flux's controllers", stop);
  const started: { p: ManagedProcess; health: number }[] = [];
  const src = await common();
  const storageArgs = [
    `--storage-path=${storage}`,
    `--storage-addr=127.0.0.1:${storagePort}`,
    `--storage-adv-addr=127.0.0.1:${storagePort}`,
  ];
  for (const [binary, spec] of [
    [options.source, { ...src, args: [...src.args, ...storageArgs] }],
    [options.kustomize, await common()],
  ] as const) {
    const p = await ManagedProcess.start({
      name: `peers-${binary.name}`,
      binary: binary.binary,
      args: spec.args,
      logFile: path.join(logDir, `${binary.name}.log`),
      pidDir: logDir,
      env,
    });
    processes.push(p);
    started.push({ p, health: spec.health });
  }
  for (const { p, health } of started) {
    await waitFor(
      `${p.name} ready`,
      async () => {
        if (!p.running) throw new Error(`${p.name} exited:\n${await p.lastLogLines(20)}`);
        return fetch(`http://127.0.0.1:${health}/readyz`).then(
          (r) => r.ok,
          () => false,
        );
      },
      { timeoutMs: 120_000 },
    );
  }
  return { processes, stop };
}

export interface FluxAppSpec {
  /** Namespace holding the GitRepository and Kustomization. */
  readonly namespace: string;
  readonly name: string;
  readonly repoURL: string;
  readonly path: string;
  readonly targetNamespace: string;
  /** Go duration for both objects, e.g. "1m", "10s". */
  readonly interval: string;
}

/** Creates the GitRepository + Kustomization pair equivalent to one Tether Application. */
export async function createFluxApp(clients: TypedKubeClients, app: FluxAppSpec): Promise<void> {
  await clients.custom.createNamespacedCustomObject({
    group: SOURCE_GROUP,
    version: "v1",
    plural: "gitrepositories",
    namespace: app.namespace,
    body: {
      apiVersion: `${SOURCE_GROUP}/v1`,
      kind: "GitRepository",
      metadata: { name: app.name, namespace: app.namespace },
      spec: { url: app.repoURL, ref: { branch: "main" }, interval: app.interval, timeout: "60s" },
    },
  });
  await clients.custom.createNamespacedCustomObject({
    group: KUSTOMIZE_GROUP,
    version: "v1",
    plural: "kustomizations",
    namespace: app.namespace,
    body: {
      apiVersion: `${KUSTOMIZE_GROUP}/v1`,
      kind: "Kustomization",
      metadata: { name: app.name, namespace: app.namespace },
      spec: {
        sourceRef: { kind: "GitRepository", name: app.name },
        path: `./${app.path}`,
        targetNamespace: app.targetNamespace,
        interval: app.interval,
        prune: true,
        force: false,
        wait: false,
        timeout: "5m",
      },
    },
  });
}

/** What a notification-controller Receiver does on a push webhook: ask for a reconcile now. */
export async function requestGitRepositoryReconcile(
  clients: TypedKubeClients,
  namespace: string,
  name: string,
) {
  const annotations = { [REQUESTED_AT]: new Date().toISOString() };
  const patch: KubernetesObject = {
    apiVersion: `${SOURCE_GROUP}/v1`,
    kind: "GitRepository",
    metadata: { name, namespace, annotations },
  };
  await clients.objects.patch(patch, undefined, undefined, undefined, undefined, PatchStrategy.MergePatch);
}
