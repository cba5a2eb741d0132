// Runs a real Kubernetes control plane on loopback: etcd → kube-apiserver → kube-controller-manager,
// kube-scheduler and kwok (fake nodes). Every step waits on a real readiness signal and fails
// with the component's last log lines instead of hanging.
import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { errorStatus } from "../kube/client.js";
import { typedKubeClients } from "../kube/typed.js";
import { cacheRoot } from "../toolchain/cachedir.js";
import type { ComponentName } from "../toolchain/components.js";
import { KWOK_STAGES_FILE } from "../toolchain/components.js";
import { answers200 } from "./health.js";
import type { InstanceDirs } from "./instance.js";
import {
  checkInstanceId,
  claimInstance,
  cleanupStaleInstances,
  instanceDirs,
  markerEnv,
} from "./instance.js";
import { writeKubeconfig } from "./kubeconfig.js";
import { kwokNode, nodeIsReady } from "./nodes.js";
import type { ClusterPki } from "./pki.js";
import { loadOrCreatePki } from "./pki.js";
import { claimPort, freePort } from "./ports.js";
import { ManagedProcess, signalGroup } from "./process.js";
import { waitFor } from "../lib/wait.js";
import { errorMessage } from "../lib/errormessage.js";

export type ControlPlaneBinaries = Record<Exclude<ComponentName, "helm" | "kustomize" | "registry">, string>;

export const SERVICE_CIDR = "10.96.0.0/16";
const SERVICE_IP = "10.96.0.1";
const POD_CIDR = "10.244.0.1/16";

export interface ControlPlaneOptions {
  readonly binaries: ControlPlaneBinaries;
  /**
   * Instance id under $TETHER_CACHE/run; random by default. A fixed id ("local") replaces a stale
   * instance of that id, or resumes it with `keepData`.
   */
  readonly id?: string;
  /**
   * Keep the instance's data (etcd, PKI, Git repositories) when this process stops or dies, and
   * resume it at the next start with the same id. Off for test runs: their instance is removed.
   */
  readonly keepData?: boolean;
  /** With `keepData`: delete the instance's existing data first and start an empty cluster. */
  readonly purge?: boolean;
  readonly cacheDir?: string;
  /** Fixed apiserver port; a free one by default. */
  readonly apiserverPort?: number;
  readonly nodeCount?: number;
  readonly readyTimeoutMs?: number;
  readonly log?: (line: string) => void;
  /** Fault injection for tests: point the apiserver at this etcd URL instead of ours. */
  readonly etcdServersOverride?: string;
}

export interface ControlPlane {
  readonly id: string;
  readonly dirs: InstanceDirs;
  readonly server: string;
  readonly kubeconfigPath: string;
  readonly pki: ClusterPki;
  readonly nodeNames: readonly string[];
  /** True when this start resumed an existing cluster's data (see ControlPlaneOptions.keepData). */
  readonly resumed: boolean;
  /** Stops every process (reverse start order) and removes the instance folder unless keepData. */
  stop(): Promise<void>;
  /**
   * Fault injection for tests: stops a component (SIGTERM) and starts it again with the same
   * flags and data; resolves once it answers its health check again.
   */
  restart(component: "etcd" | "kube-apiserver"): Promise<void>;
  /** Fault injection for tests: sends `signal` (e.g. SIGSTOP, SIGCONT) to a component. */
  signal(component: "etcd" | "kube-apiserver", signal: NodeJS.Signals): void;
}

export class ControlPlaneStartError extends Error {
  override readonly name = "ControlPlaneStartError";
}

/** Waits for `url`; on timeout or process exit, fails with the process's last log lines. */
async function awaitHealthy(
  proc: ManagedProcess,
  url: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
) {
  const exited = proc.exited.then(
    (info) => new ControlPlaneStartError(`${proc.name} exited (code ${info.code}, signal ${info.signal})`),
  );
  try {
    await waitFor(`${proc.name} to answer ${url}`, check, { timeoutMs, abort: exited });
  } catch (error) {
    const message = errorMessage(error);
    throw new ControlPlaneStartError(
      `${message}\n--- last lines of ${proc.logFile} ---\n${await proc.lastLogLines(25)}`,
    );
  }
}

export async function startControlPlane(options: ControlPlaneOptions): Promise<ControlPlane> {
  const log = options.log ?? (() => undefined);
  const timeoutMs = options.readyTimeoutMs ?? 120_000;
  const runDir = path.join(options.cacheDir ?? cacheRoot(), "run");
  await cleanupStaleInstances(runDir, log);
  const id = checkInstanceId(options.id ?? `cp-${process.pid}-${randomBytes(3).toString("hex")}`);
  const dirs = instanceDirs(runDir, id);
  const keep = options.keepData ?? false;
  const apiserverPort = options.apiserverPort
    ? await claimPort(options.apiserverPort, "kube-apiserver")
    : await freePort();
  const { owner, resumed, leftovers } = await claimInstance(dirs, { keep, purge: options.purge ?? false });
  if (leftovers.length > 0) log(`stopped ${leftovers.length} leftover process(es) of local cluster ${id}`);
  const env = { ...process.env, ...markerEnv(dirs, owner) };
  log(
    resumed
      ? `resuming local cluster ${id} from ${dirs.root}`
      : `creating local cluster ${id} in ${dirs.root}`,
  );

  const started: ManagedProcess[] = [];
  const stop = async () => {
    for (const proc of started.reverse()) await proc.stop();
    if (!keep) await fs.rm(dirs.root, { recursive: true, force: true });
  };
  // How each component was launched and how its health is checked, for restart().
  const specs = new Map<string, { binary: string; args: string[]; healthy?: () => Promise<void> }>();
  const launch = async (name: string, binary: string, args: string[]) => {
    const proc = await ManagedProcess.start({
      name,
      binary,
      args,
      logFile: path.join(dirs.logs, `${name}.log`),
      pidDir: dirs.pids,
      env,
    });
    started.push(proc);
    specs.set(name, { binary, args });
    return proc;
  };
  const running = (name: string) => {
    const proc = started.find((p) => p.name === name && p.running);
    if (!proc) throw new Error(`${name} is not running in this control plane`);
    return proc;
  };
  const restart = async (name: string) => {
    const spec = specs.get(name);
    if (!spec?.healthy) throw new Error(`${name} cannot be restarted`);
    const old = running(name);
    await old.stop();
    started.splice(started.indexOf(old), 1);
    await launch(name, spec.binary, spec.args);
    specs.set(name, spec);
    await spec.healthy();
  };
  const signal = (name: string, sig: NodeJS.Signals) => signalGroup(running(name).pid, sig);

  try {
    const [etcdClient, etcdPeer, kcmPort, schedulerPort, kwokPort] = await Promise.all(
      Array.from({ length: 5 }, () => freePort()),
    );
    const pki = await loadOrCreatePki(path.join(dirs.root, "pki"), SERVICE_IP);
    const server = `https://127.0.0.1:${apiserverPort}`;
    const tls = { ca: pki.ca.cert, client: pki.admin };

    log("starting etcd");
    const etcdUrl = `http://127.0.0.1:${etcdClient}`;
    const peerUrl = `http://127.0.0.1:${etcdPeer}`;
    const etcd = await launch("etcd", options.binaries.etcd, [
      "--name=tether",
      `--data-dir=${path.join(dirs.data, "etcd")}`,
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=tether=${peerUrl}`,
      "--listen-metrics-urls=",
      // A throwaway local cluster: durability is not worth the fsync latency.
      "--unsafe-no-fsync=true",
      "--log-level=warn",
    ]);
    await awaitHealthy(etcd, `${etcdUrl}/health`, answers200(`${etcdUrl}/health`), timeoutMs);
    const etcdSpec = specs.get("etcd");
    if (etcdSpec)
      etcdSpec.healthy = () =>
        awaitHealthy(running("etcd"), `${etcdUrl}/health`, answers200(`${etcdUrl}/health`), timeoutMs);

    log("starting kube-apiserver");
    const apiserver = await launch("kube-apiserver", options.binaries["kube-apiserver"], [
      `--etcd-servers=${options.etcdServersOverride ?? etcdUrl}`,
      "--bind-address=127.0.0.1",
      "--advertise-address=127.0.0.1",
      `--secure-port=${apiserverPort}`,
      `--cert-dir=${path.join(dirs.data, "apiserver-certs")}`,
      `--tls-cert-file=${pki.serving.cert}`,
      `--tls-private-key-file=${pki.serving.key}`,
      `--client-ca-file=${pki.ca.cert}`,
      "--authorization-mode=RBAC",
      `--service-account-issuer=https://kubernetes.default.svc.cluster.local`,
      `--service-account-key-file=${pki.serviceAccount.pub}`,
      `--service-account-signing-key-file=${pki.serviceAccount.key}`,
      `--service-cluster-ip-range=${SERVICE_CIDR}`,
      // No real endpoints exist for the loopback address, and Endpoints reject 127.0.0.0/8.
      "--endpoint-reconciler-type=none",
      "--allow-privileged=true",
      "--profiling=false",
      "--v=1",
    ]);
    await awaitHealthy(apiserver, `${server}/readyz`, answers200(`${server}/readyz`, tls), timeoutMs);
    const apiserverSpec = specs.get("kube-apiserver");
    if (apiserverSpec)
      apiserverSpec.healthy = () =>
        awaitHealthy(
          running("kube-apiserver"),
          `${server}/readyz`,
          answers200(`${server}/readyz`, tls),
          timeoutMs,
        );

    const kubeconfigPath = path.join(dirs.root, "kubeconfig");
    const kcmConfig = path.join(dirs.root, "kube-controller-manager.kubeconfig");
    const schedulerConfig = path.join(dirs.root, "kube-scheduler.kubeconfig");
    await Promise.all([
      writeKubeconfig(kubeconfigPath, {
        server,
        caFile: pki.ca.cert,
        client: pki.admin,
        user: "tether-admin",
      }),
      writeKubeconfig(kcmConfig, { server, caFile: pki.ca.cert, client: pki.controllerManager, user: "kcm" }),
      writeKubeconfig(schedulerConfig, {
        server,
        caFile: pki.ca.cert,
        client: pki.scheduler,
        user: "scheduler",
      }),
    ]);

    log("starting kube-controller-manager, kube-scheduler and kwok");
    const serving = [`--tls-cert-file=${pki.serving.cert}`, `--tls-private-key-file=${pki.serving.key}`];
    const kcm = await launch("kube-controller-manager", options.binaries["kube-controller-manager"], [
      `--kubeconfig=${kcmConfig}`,
      `--authentication-kubeconfig=${kcmConfig}`,
      `--authorization-kubeconfig=${kcmConfig}`,
      "--bind-address=127.0.0.1",
      `--secure-port=${kcmPort}`,
      ...serving,
      "--leader-elect=false",
      "--use-service-account-credentials=true",
      `--service-account-private-key-file=${pki.serviceAccount.key}`,
      `--root-ca-file=${pki.ca.cert}`,
      `--cluster-signing-cert-file=${pki.ca.cert}`,
      `--cluster-signing-key-file=${pki.ca.key}`,
      `--service-cluster-ip-range=${SERVICE_CIDR}`,
      "--v=1",
      // The default (20 requests/s per controller) takes ~100 s to give 1,000 new namespaces their
      // ServiceAccount and root CA ConfigMap, work that then overlaps whatever a test measures next.
      "--kube-api-qps=200",
      "--kube-api-burst=400",
    ]);
    const scheduler = await launch("kube-scheduler", options.binaries["kube-scheduler"], [
      `--kubeconfig=${schedulerConfig}`,
      `--authentication-kubeconfig=${schedulerConfig}`,
      `--authorization-kubeconfig=${schedulerConfig}`,
      "--bind-address=127.0.0.1",
      `--secure-port=${schedulerPort}`,
      ...serving,
      "--leader-elect=false",
      "--v=1",
    ]);
    const kwok = await launch("kwok", options.binaries.kwok, [
      `--kubeconfig=${kubeconfigPath}`,
      "--manage-all-nodes=false",
      "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
      `--cidr=${POD_CIDR}`,
      "--node-ip=10.244.0.1",
      `--server-address=127.0.0.1:${kwokPort}`,
      `--config=${path.join(path.dirname(options.binaries.kwok), KWOK_STAGES_FILE)}`,
      "--node-lease-duration-seconds=40",
    ]);
    const kcmHealth = `https://127.0.0.1:${kcmPort}/healthz`;
    const schedulerHealth = `https://127.0.0.1:${schedulerPort}/healthz`;
    const kwokHealth = `http://127.0.0.1:${kwokPort}/healthz`;
    await Promise.all([
      awaitHealthy(kcm, kcmHealth, answers200(kcmHealth, { ca: pki.ca.cert }), timeoutMs),
      awaitHealthy(scheduler, schedulerHealth, answers200(schedulerHealth, { ca: pki.ca.cert }), timeoutMs),
      awaitHealthy(kwok, kwokHealth, answers200(kwokHealth), timeoutMs),
    ]);

    const clients = typedKubeClients(kubeconfigPath);
    const nodeNames = Array.from({ length: options.nodeCount ?? 1 }, (_, i) => `kwok-node-${i}`);
    for (const name of nodeNames) {
      try {
        await clients.core.createNode({ body: kwokNode(name) });
      } catch (error) {
        if (errorStatus(error) !== 409) throw error; // a resumed cluster has its nodes already
      }
    }
    log(`waiting for ${nodeNames.length} kwok node(s) to be Ready`);
    for (const name of nodeNames) {
      await awaitHealthy(
        kwok,
        `node ${name} Ready`,
        async () => nodeIsReady(await clients.core.readNode({ name })),
        timeoutMs,
      );
    }
    // Pods are refused until the namespace's default ServiceAccount exists; wait so the first
    // workload does not start with an avoidable back-off.
    await awaitHealthy(
      kcm,
      "default ServiceAccount",
      async () => {
        try {
          await clients.core.readNamespacedServiceAccount({ name: "default", namespace: "default" });
          return true;
        } catch (error) {
          if (errorStatus(error) === 404) return false;
          throw error;
        }
      },
      timeoutMs,
    );
    log(`control plane ready at ${server}`);
    return { id, dirs, server, kubeconfigPath, pki, nodeNames, resumed, stop, restart, signal };
  } catch (error) {
    await stop();
    throw error;
  }
}
