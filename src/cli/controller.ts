// `tether controller`: runs the reconcile loop in the foreground until SIGINT/SIGTERM, then stops
// cleanly (exit 0). In-cluster it uses its ServiceAccount (no --kubeconfig); next to a cluster it
// uses a kubeconfig. Every log line goes to stderr with an ISO timestamp, one line per event.
import { shutdownSignal } from "./signals.js";
import http from "node:http";
import type { AddressInfo } from "node:net";
import fs from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { Registry } from "prom-client";
import { registerProcessMetrics } from "../controller/metrics.js";
import os from "node:os";
import { startController } from "../controller/controller.js";
import type { ShardingOptions } from "../controller/sharding/shard.js";
import { replicaIdError, toReplicaId } from "../controller/sharding/members.js";
import { cacheRoot } from "../toolchain/cachedir.js";
import { commandKubeConfig } from "./kubeconfig.js";
import { UsageError } from "./errors.js";
import { durationFlag, namespaceName } from "./flags.js";
import { timestampedLog } from "./log.js";
import type { ExplicitBinary } from "./toolbinaries.js";
import { explicitBinary, toolBinary } from "./toolbinaries.js";
import { errorMessage } from "../lib/errormessage.js";

export type { ExplicitBinary } from "./toolbinaries.js";
export { resolveBinary } from "./toolbinaries.js";

export const CONTROLLER_USAGE = `Usage: tether controller [flags]

Flags:
  --kubeconfig FILE        kubeconfig to use (default: $KUBECONFIG, ~/.kube/config, or in-cluster)
  --namespace NS           watch Applications in this namespace only (default: all namespaces)
  --system-namespace NS    Tether's own namespace: installation id, repository Secrets (default: tether-system)
  --cache-dir DIR          Git mirrors and render cache (default: $TETHER_CACHE/controller)
  --poll-interval DUR      how often Git is polled, e.g. 60s, 5m, 1500ms (default: 60s)
  --workers N              applications reconciled in parallel (default: 4)
  --helm PATH              helm binary (default: $TETHER_HELM, else built into the local cache)
  --kustomize PATH         kustomize binary (default: $TETHER_KUSTOMIZE, else built into the local cache)
  --metrics-port PORT      serve Prometheus metrics on http://HOST:PORT/metrics (default: off)
  --metrics-host HOST      address the metrics server listens on (default: 0.0.0.0)
  --renderer-socket PATH   render through \`tether renderer --socket PATH\` (in a pod: the renderer
                           container); default: a child renderer without credentials (uid nobody as root)
  --sharding on|off        share the apps with the other replicas through Leases (default: on; one
                           replica holds every app); off: reconcile every app, take no claims
  --shard-key app|cluster  spread apps one by one, or keep all apps of a destination cluster together (default: app)
  --lease-duration DUR     member Lease duration: a replica that cannot renew stops applying before it
                           ends, and its apps move after it (default: 15s)
  --replica-id ID          this replica's member id (default: $POD_NAME, else hostname-pid)
`;

export interface ControllerFlags {
  readonly kubeconfig?: string;
  readonly namespace?: string;
  readonly systemNamespace: string;
  readonly cacheDir: string;
  readonly pollIntervalMs: number;
  readonly workers: number;
  /** An explicit binary and where it came from (a flag or an environment variable), for messages. */
  readonly helm?: ExplicitBinary;
  readonly kustomize?: ExplicitBinary;
  /** Serve /metrics on this port; off when unset. */
  readonly metricsPort?: number;
  readonly metricsHost: string;
  /** A running `tether renderer`'s socket; unset: the controller starts its own child renderer. */
  readonly rendererSocket?: string;
  /** Lease-based sharding; undefined with --sharding off. */
  readonly sharding?: ShardingOptions;
}

const log = timestampedLog;

function positiveInteger(flag: string, value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1)
    throw new UsageError(`${flag}: "${value}" is not a positive integer`);
  return n;
}

function port(flag: string, value: string): number {
  const n = positiveInteger(flag, value);
  if (n > 65535) throw new UsageError(`${flag}: "${value}" is not a port number`);
  return n;
}

export interface MetricsServer {
  readonly url: string;
  close(): Promise<void>;
}

/** GET /metrics from `registry` (the standalone controller's; in local mode the API server serves it). */
export async function startMetricsServer(
  registry: Registry,
  port: number,
  host: string,
): Promise<MetricsServer> {
  const server = http.createServer((req, res) => {
    if (req.method !== "GET" || (req.url ?? "").split("?")[0] !== "/metrics") {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { "content-type": registry.contentType }).end(text),
      (error: unknown) => res.writeHead(500, { "content-type": "text/plain" }).end(`${String(error)}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) =>
      reject(
        error.code === "EADDRINUSE" ? new Error(`--metrics-port: ${host}:${port} is already in use`) : error,
      ),
    );
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export function parseControllerFlags(args: readonly string[], env: NodeJS.ProcessEnv): ControllerFlags {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...args],
      strict: true,
      allowPositionals: false,
      options: {
        kubeconfig: { type: "string" },
        namespace: { type: "string" },
        "system-namespace": { type: "string", default: "tether-system" },
        "cache-dir": { type: "string" },
        "poll-interval": { type: "string", default: "60s" },
        workers: { type: "string", default: "4" },
        helm: { type: "string" },
        kustomize: { type: "string" },
        "metrics-port": { type: "string" },
        "metrics-host": { type: "string", default: "0.0.0.0" },
        "renderer-socket": { type: "string" },
        sharding: { type: "string", default: "on" },
        "shard-key": { type: "string", default: "app" },
        "lease-duration": { type: "string", default: "15s" },
        "replica-id": { type: "string" },
      },
    }));
  } catch (error) {
    // node:util's messages name the flag ("Unknown option '--foo'", "Option '--workers <value>' argument missing").
    throw new UsageError(`controller: ${errorMessage(error)}`);
  }
  for (const flag of [
    "kubeconfig",
    "cache-dir",
    "helm",
    "kustomize",
    "metrics-host",
    "renderer-socket",
  ] as const) {
    if (values[flag] === "") throw new UsageError(`--${flag}: must not be empty`);
  }
  return {
    sharding: shardingFlags(values, env),
    kubeconfig: values.kubeconfig,
    namespace: namespaceName("--namespace", values.namespace),
    systemNamespace: namespaceName("--system-namespace", values["system-namespace"]) ?? "tether-system",
    cacheDir: path.resolve(values["cache-dir"] ?? path.join(cacheRoot(env), "controller")),
    pollIntervalMs: durationFlag("--poll-interval", values["poll-interval"], 1_000),
    workers: positiveInteger("--workers", values.workers),
    helm: explicitBinary("--helm", values.helm, "TETHER_HELM", env),
    kustomize: explicitBinary("--kustomize", values.kustomize, "TETHER_KUSTOMIZE", env),
    metricsPort:
      values["metrics-port"] === undefined ? undefined : port("--metrics-port", values["metrics-port"]),
    metricsHost: values["metrics-host"],
    rendererSocket:
      values["renderer-socket"] === undefined ? undefined : path.resolve(values["renderer-socket"]),
  };
}

function shardingFlags(
  values: { sharding: string; "shard-key": string; "lease-duration": string; "replica-id"?: string },
  env: NodeJS.ProcessEnv,
): ShardingOptions | undefined {
  if (values.sharding !== "on" && values.sharding !== "off")
    throw new UsageError(`--sharding: "${values.sharding}" is not on or off`);
  const keyMode = values["shard-key"];
  if (keyMode !== "app" && keyMode !== "cluster")
    throw new UsageError(`--shard-key: "${keyMode}" is not app or cluster`);
  const leaseDurationMs = durationFlag("--lease-duration", values["lease-duration"], 1_000);
  if (leaseDurationMs % 1000 !== 0)
    throw new UsageError(
      `--lease-duration: "${values["lease-duration"]}" must be whole seconds (a Lease counts seconds)`,
    );
  const explicit = values["replica-id"];
  const replicaId = explicit ?? toReplicaId(env["POD_NAME"] || `${os.hostname()}-${process.pid}`);
  const invalid = replicaIdError(replicaId);
  if (invalid) throw new UsageError(`--replica-id: ${invalid}`);
  if (values.sharding === "off") return undefined;
  return { replicaId, keyMode, leaseDurationMs };
}

export async function controllerCommand(args: readonly string[]): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    process.stdout.write(CONTROLLER_USAGE);
    return 0;
  }
  const env = process.env;
  const flags = parseControllerFlags(args, env);
  // Listen before anything slow: a SIGTERM during startup must still end in a clean stop.
  const signal = shutdownSignal(log);
  const config = commandKubeConfig(flags.kubeconfig);
  // Checked after the cheap ones: without a path this may build the tools with Go (first run only).
  // With a renderer socket the tools run in the renderer: their names only enter the render cache key.
  const helmBinary = flags.rendererSocket
    ? (flags.helm?.value ?? "helm")
    : await toolBinary("helm", flags.helm, env);
  const kustomizeBinary = flags.rendererSocket
    ? (flags.kustomize?.value ?? "kustomize")
    : await toolBinary("kustomize", flags.kustomize, env);
  await fs.mkdir(flags.cacheDir, { recursive: true });
  log(
    `starting: server ${config.getCurrentCluster()?.server ?? "?"}, applications in ${flags.namespace ?? "all namespaces"}, ` +
      `system namespace ${flags.systemNamespace}, cache ${flags.cacheDir}, helm ${helmBinary}, kustomize ${kustomizeBinary}, ` +
      `renderer ${flags.rendererSocket ?? "child process"}`,
  );
  const registry = new Registry();
  registerProcessMetrics(registry);
  const controller = await startController({
    config,
    registry,
    systemNamespace: flags.systemNamespace,
    applicationNamespace: flags.namespace,
    cacheDir: flags.cacheDir,
    helmBinary,
    kustomizeBinary,
    rendering: flags.rendererSocket ? { socket: flags.rendererSocket } : "child",
    pollIntervalMs: flags.pollIntervalMs,
    workers: flags.workers,
    sharding: flags.sharding,
    log,
  });
  let metrics: MetricsServer | undefined;
  if (flags.metricsPort !== undefined) {
    try {
      metrics = await startMetricsServer(registry, flags.metricsPort, flags.metricsHost);
    } catch (error) {
      await controller.stop();
      throw error;
    }
    log(`metrics on ${metrics.url}/metrics`);
  }
  const received = await signal;
  log(`${received}: stopping (waiting for running reconciles)`);
  await metrics?.close();
  await controller.stop();
  log("stopped");
  return 0;
}
