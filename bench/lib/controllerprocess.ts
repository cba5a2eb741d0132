// `tether controller` as a separate process for the fleet benchmarks, so its memory and CPU are
// its own and readable from /proc (RSS from /proc/<pid>/status, CPU ticks from /proc/<pid>/stat),
// and its Prometheus metrics are scraped over loopback. Linux only (/proc).
import type { ChildProcess } from "node:child_process";
import { execFileSync, spawn } from "node:child_process";
import { createWriteStream, readFileSync } from "node:fs";
import fs from "node:fs/promises";
import http from "node:http";
import path from "node:path";
import { parse } from "yaml";
import { repoRoot } from "../../src/toolchain/components.js";

export interface ProcSample {
  /** performance.now() when read. */
  readonly at: number;
  readonly rssBytes: number;
  /** Peak RSS so far (VmHWM). */
  readonly peakRssBytes: number;
  /** utime + stime, in seconds. */
  readonly cpuSeconds: number;
}

let ticks: number | undefined;
function clockTicks(): number {
  ticks ??= Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  return ticks;
}

/** One reading of a process's memory and CPU time from /proc. */
export async function sampleProcess(pid: number): Promise<ProcSample> {
  const [status, stat] = await Promise.all([
    fs.readFile(`/proc/${pid}/status`, "utf8"),
    fs.readFile(`/proc/${pid}/stat`, "utf8"),
  ]);
  const kib = (field: string) =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN) * 1024;
  // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
  const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const cpuSeconds = (Number(rest[11]) + Number(rest[12])) / clockTicks();
  return { at: performance.now(), rssBytes: kib("VmRSS"), peakRssBytes: kib("VmHWM"), cpuSeconds };
}

/** NODE_OPTIONS of the controller container in deploy/deployment.yaml, split into flags. */
export function deployedNodeOptions(): string[] {
  const manifest = parse(readFileSync(path.join(repoRoot, "deploy", "deployment.yaml"), "utf8")) as {
    spec?: {
      template?: { spec?: { containers?: { name?: string; env?: { name: string; value?: string }[] }[] } };
    };
  };
  const container = manifest.spec?.template?.spec?.containers?.find((c) => c.name === "controller");
  const value = container?.env?.find((e) => e.name === "NODE_OPTIONS")?.value ?? "";
  return value.split(" ").filter(Boolean);
}

/**
 * The controller's Node flags: those of deploy/deployment.yaml, so it runs as deployed, then
 * TETHER_BENCH_NODE_ARGS for the controller only (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof").
 */
export function controllerNodeFlags(): string[] {
  return [
    ...deployedNodeOptions(),
    ...(process.env["TETHER_BENCH_NODE_ARGS"] ?? "").split(" ").filter(Boolean),
  ];
}

/** How the controller runs, for the benchmarks' output. */
export function runtimeLine(runtime: "dist" | "tsx"): string {
  const flags = controllerNodeFlags();
  return `controller runtime: ${runtime === "dist" ? "compiled (dist/)" : "tsx from source (+~95 MiB for the transpiler)"}, Node ${process.version}, flags: ${flags.join(" ") || "none"}`;
}

export interface ControllerProcessOptions {
  readonly kubeconfig: string;
  readonly namespace: string;
  readonly systemNamespace: string;
  readonly cacheDir: string;
  readonly pollInterval: string;
  readonly workers?: number;
  readonly helm: string;
  readonly kustomize: string;
  readonly metricsPort: number;
  /** "dist": the compiled CLI (what the image runs); "tsx": from source (~95 MiB more RSS for the transpiler). */
  readonly runtime: "dist" | "tsx";
  /** More `tether controller` flags (the HA benchmark: --replica-id, --lease-duration). */
  readonly extraArgs?: readonly string[];
  /** Also append the controller's log to this file (a long run's log outlives the bench's output). */
  readonly logFile?: string;
}

export interface BenchControllerProcess {
  readonly pid: number;
  /** performance.now() when spawned. */
  readonly spawnedAt: number;
  /** Resolves with performance.now() when the controller logged "controller started" (informers filled). */
  readonly started: Promise<number>;
  readonly metricsUrl: string;
  log(): string;
  sample(): Promise<ProcSample>;
  /** GET /metrics from the controller (Prometheus text). */
  metrics(): Promise<string>;
  running(): boolean;
  /** How it ended ("exit code 1", "signal SIGKILL"), or undefined while it runs. */
  ended(): string | undefined;
  stop(): Promise<void>;
  /** SIGKILL: what a crashed or evicted replica leaves (no Lease released). */
  kill(): Promise<void>;
}

export function startControllerProcess(options: ControllerProcessOptions): BenchControllerProcess {
  const argv = [
    ...controllerNodeFlags(),
    ...(options.runtime === "dist" ? ["dist/cli/main.js"] : ["--import", "tsx", "src/cli/main.ts"]),
    "controller",
    "--kubeconfig",
    options.kubeconfig,
    "--namespace",
    options.namespace,
    "--system-namespace",
    options.systemNamespace,
    "--cache-dir",
    options.cacheDir,
    "--poll-interval",
    options.pollInterval,
    "--workers",
    String(options.workers ?? 4),
    "--helm",
    options.helm,
    "--kustomize",
    options.kustomize,
    "--metrics-port",
    String(options.metricsPort),
    "--metrics-host",
    "127.0.0.1",
    ...(options.extraArgs ?? []),
  ];
  const spawnedAt = performance.now();
  const child: ChildProcess = spawn(process.execPath, argv, {
    cwd: repoRoot,
    stdio: ["ignore", "ignore", "pipe"],
  });
  let text = "";
  let onStarted: (at: number) => void = () => undefined;
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const started = new Promise<number>((resolve, reject) => {
    onStarted = resolve;
    void exited.then((code) =>
      reject(new Error(`the controller exited (${code}) before it started:\n${text.slice(-4000)}`)),
    );
  });
  started.catch(() => undefined);
  const logFile = options.logFile ? createWriteStream(options.logFile, { flags: "a" }) : undefined;
  child.stderr?.on("data", (chunk: Buffer) => {
    logFile?.write(chunk);
    text += chunk.toString("utf8");
    if (text.includes("controller started")) onStarted(performance.now());
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error("could not start the controller process");
  const metricsUrl = `http://127.0.0.1:${options.metricsPort}/metrics`;
  return {
    pid,
    spawnedAt,
    started,
    metricsUrl,
    log: () => text,
    sample: () => sampleProcess(pid),
    // A new connection per scrape, bounded in time. fetch's pooled keep-alive connection races the
    // server's idle timeout when the bench's own event loop is busy (a webhook storm): the socket is
    // reused just as the controller closes it, and the scrape fails with "other side closed".
    metrics: () =>
      new Promise<string>((resolve, reject) => {
        const request = http.get(metricsUrl, { agent: false, timeout: 30_000 }, (response) => {
          let body = "";
          response.setEncoding("utf8");
          response.on("data", (chunk: string) => (body += chunk));
          response.on("end", () =>
            response.statusCode === 200
              ? resolve(body)
              : reject(new Error(`GET ${metricsUrl}: ${response.statusCode}`)),
          );
          response.on("error", reject);
        });
        request.on("timeout", () => request.destroy(new Error(`GET ${metricsUrl}: no answer in 30 s`)));
        request.on("error", reject);
      }),
    running: () => child.exitCode === null && child.signalCode === null,
    ended: () =>
      child.signalCode !== null
        ? `signal ${child.signalCode}`
        : child.exitCode !== null
          ? `exit code ${child.exitCode}`
          : undefined,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    },
  };
}

/** Sum of a Prometheus counter/gauge over the series whose labels include `labels`. */
export function metricSum(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const wanted = Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`));
    if (!wanted) continue;
    const value = Number(line.slice(line.lastIndexOf(" ") + 1));
    if (Number.isFinite(value)) sum += value;
  }
  return sum;
}
