// `tether controller` as its own process for the side-by-side benchmark, so its memory and CPU
// are read from /proc exactly like Flux's controllers are (with bench/lib's /proc reader; Linux).
import fs from "node:fs/promises";
import path from "node:path";
import { repoRoot } from "../../src/toolchain/components.js";
import { ManagedProcess } from "../../src/localcluster/process.js";
import { waitFor } from "../../src/lib/wait.js";
import type { ProcSample } from "../lib/controllerprocess.js";
import { sampleProcess } from "../lib/controllerprocess.js";
import type { BenchRun } from "../lib/run.js";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { controllerNodeFlags } from "../lib/controllerprocess.js";

export interface SteadyState {
  /** Per process, then the total. */
  readonly rows: readonly { name: string; rssMiB: number; cpuPercent: number }[];
  readonly seconds: number;
}

/** RSS at the end and CPU (% of one core) over `seconds` of the given processes. */
export async function steadyState(
  processes: readonly { name: string; pid: number }[],
  seconds: number,
  signal: AbortSignal,
): Promise<SteadyState> {
  const before = await Promise.all(processes.map((p) => sampleProcess(p.pid)));
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, seconds * 1000);
    signal.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
  });
  const after = await Promise.all(processes.map((p) => sampleProcess(p.pid)));
  const rows = processes.map((p, i) => {
    const a = after[i] as ProcSample;
    const b = before[i] as ProcSample;
    return {
      name: p.name,
      rssMiB: a.rssBytes / 2 ** 20,
      cpuPercent: (100 * (a.cpuSeconds - b.cpuSeconds)) / ((a.at - b.at) / 1000),
    };
  });
  if (rows.length > 1) {
    rows.push({
      name: "total",
      rssMiB: rows.reduce((s, r) => s + r.rssMiB, 0),
      cpuPercent: rows.reduce((s, r) => s + r.cpuPercent, 0),
    });
  }
  return { rows, seconds };
}

export interface TetherProcessOptions {
  readonly run: BenchRun;
  readonly kubeconfig: string;
  readonly namespace: string;
  readonly systemNamespace: string;
  readonly cacheDir: string;
  readonly pollInterval: string;
  readonly helm: string;
  readonly kustomize: string;
  readonly logDir: string;
}

/**
 * Starts `tether controller` as the image runs it — compiled (`dist/`, built here) with the Node
 * flags of deploy/deployment.yaml — and waits for "controller started". Flux runs as compiled Go.
 */
export async function startTetherProcess(options: TetherProcessOptions): Promise<ManagedProcess> {
  await promisify(execFile)(
    process.execPath,
    [path.join(repoRoot, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json"],
    { cwd: repoRoot },
  );
  const args = [
    ...controllerNodeFlags(),
    path.join(repoRoot, "dist/cli/main.js"),
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
    "--helm",
    options.helm,
    "--kustomize",
    options.kustomize,
  ];
  const p = await ManagedProcess.start({
    name: "peers-tether-controller",
    binary: process.execPath,
    args,
    cwd: repoRoot,
    logFile: path.join(options.logDir, "tether-controller.log"),
    pidDir: options.logDir,
  });
  options.run.defer("stop the Tether controller", () => p.stop());
  await waitFor(
    "tether controller started",
    async () => {
      if (!p.running) throw new Error(`tether controller exited:\n${await p.lastLogLines(20)}`);
      const text = await fs.readFile(p.logFile, "utf8").catch(() => "");
      return text.includes("controller started");
    },
    { timeoutMs: 120_000 },
  );
  return p;
}
