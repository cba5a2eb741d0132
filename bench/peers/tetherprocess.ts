// `tether controller` as its own process for the side-by-side benchmark, so its memory and CPU
// are read from /proc exactly like Flux's controllers are; plus the /proc reading itself (Linux).
import { execFileSync } from "node:child_process";
import fs from "node:fs/promises";
import path from "node:path";
import { repoRoot } from "../../src/localcluster/components.js";
import { ManagedProcess } from "../../src/localcluster/process.js";
import { waitFor } from "../../src/localcluster/wait.js";
import type { BenchRun } from "../lib/run.js";

export interface ProcSample {
  /** performance.now() when read. */
  readonly at: number;
  readonly rssBytes: number;
  /** utime + stime in seconds. */
  readonly cpuSeconds: number;
}

let ticks: number | undefined;
function clockTicks(): number {
  ticks ??= Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  return ticks;
}

/** Memory and CPU time of one process, from /proc/<pid>/status and /proc/<pid>/stat. */
export async function sampleProcess(pid: number): Promise<ProcSample> {
  const [status, stat] = await Promise.all([
    fs.readFile(`/proc/${pid}/status`, "utf8"),
    fs.readFile(`/proc/${pid}/stat`, "utf8"),
  ]);
  const rssKib = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? Number.NaN);
  // The command name may hold spaces: count fields after its closing parenthesis (utime is 14th).
  const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const cpuSeconds = (Number(rest[11]) + Number(rest[12])) / clockTicks();
  return { at: performance.now(), rssBytes: rssKib * 1024, cpuSeconds };
}

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
    return { name: p.name, rssMiB: a.rssBytes / 2 ** 20, cpuPercent: (100 * (a.cpuSeconds - b.cpuSeconds)) / ((a.at - b.at) / 1000) }; // prettier-ignore
  });
  if (rows.length > 1) {
    rows.push({ name: "total", rssMiB: rows.reduce((s, r) => s + r.rssMiB, 0), cpuPercent: rows.reduce((s, r) => s + r.cpuPercent, 0) }); // prettier-ignore
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

/** Starts `tether controller` (via tsx, as `npm start` does) and waits for "controller started". */
export async function startTetherProcess(options: TetherProcessOptions): Promise<ManagedProcess> {
  const args = [
    "--import", "tsx", path.join(repoRoot, "src/cli/main.ts"), "controller",
    "--kubeconfig", options.kubeconfig, "--namespace", options.namespace,
    "--system-namespace", options.systemNamespace, "--cache-dir", options.cacheDir,
    "--poll-interval", options.pollInterval, "--helm", options.helm, "--kustomize", options.kustomize,
  ]; // prettier-ignore
  const p = await ManagedProcess.start({
    name: "peers-tether-controller",
    binary: process.execPath,
    args,
    cwd: repoRoot,
    logFile: path.join(options.logDir, "tether-controller.log"),
    pidDir: options.logDir,
  });
  options.run.defer("stop the Tether controller", () => p.stop());
  await waitFor("tether controller started", async () => {
    if (!p.running) throw new Error(`tether controller exited:\n${await p.lastLogLines(20)}`);
    const text = await fs.readFile(p.logFile, "utf8").catch(() => "");
    return text.includes("controller started");
  }, { timeoutMs: 120_000 }); // prettier-ignore
  return p;
}
