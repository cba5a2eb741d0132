// Finds the local control plane's processes without trusting any file Tether wrote: every
// component is started with two environment markers, and /proc/<pid>/environ (fixed at exec, and
// readable only by the same user) says who it belongs to even after the instance folder, its pid
// files or the owner are gone. A recycled pid carries someone else's environment, so it never matches.
//
//   TETHER_INSTANCE_ROOT   the instance folder ($TETHER_CACHE/run/<id>): "which cluster"
//   TETHER_INSTANCE_OWNER  "<pid>-<start time>" of the `local up` that started it: "which run"
//
// Linux only (procfs); elsewhere the scans find nothing and the pid files remain the only record.
import { readFileSync } from "node:fs";
import fs from "node:fs/promises";
import { isProcessAlive } from "../toolchain/lock.js";
import { waitFor } from "../lib/wait.js";

export const INSTANCE_ROOT_ENV = "TETHER_INSTANCE_ROOT";
export const INSTANCE_OWNER_ENV = "TETHER_INSTANCE_OWNER";

/** Field 22 of /proc/<pid>/stat (start time in clock ticks since boot), or undefined. */
export function processStartTicks(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // "pid (comm) state ppid …": comm may hold spaces and parentheses, so split after the last ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return fields[19]; // field 22 overall; fields[0] is field 3 (state)
  } catch {
    return undefined;
  }
}

/** A process identity that a recycled pid cannot forge: "<pid>-<start ticks>". */
export function processToken(pid = process.pid): string {
  return `${pid}-${processStartTicks(pid) ?? "?"}`;
}

/** True while the process named by `token` (see processToken) still runs. */
export function tokenIsAlive(token: string): boolean {
  const pid = Number.parseInt(token, 10);
  if (!Number.isInteger(pid) || pid <= 0 || !isProcessAlive(pid)) return false;
  const ticks = processStartTicks(pid);
  // Without procfs we cannot tell a recycled pid apart; trust liveness rather than kill blindly.
  return ticks === undefined || token === `${pid}-${ticks}`;
}

export interface MarkedProcess {
  readonly pid: number;
  readonly root: string;
  readonly owner: string;
}

/** Reads the markers of one process, or undefined if it has none (or is gone, or not ours). */
export async function readMarkers(pid: number): Promise<MarkedProcess | undefined> {
  let environ: string;
  try {
    environ = await fs.readFile(`/proc/${pid}/environ`, "latin1");
  } catch {
    return undefined;
  }
  let root: string | undefined;
  let owner: string | undefined;
  for (const entry of environ.split("\0")) {
    if (entry.startsWith(`${INSTANCE_ROOT_ENV}=`)) root = entry.slice(INSTANCE_ROOT_ENV.length + 1);
    else if (entry.startsWith(`${INSTANCE_OWNER_ENV}=`)) owner = entry.slice(INSTANCE_OWNER_ENV.length + 1);
  }
  return root !== undefined && owner !== undefined ? { pid, root, owner } : undefined;
}

/** Every live process (zombies excluded) carrying markers that satisfy `match`, except this one. */
export async function findMarked(match: (p: MarkedProcess) => boolean): Promise<MarkedProcess[]> {
  const names = await fs.readdir("/proc").catch(() => [] as string[]);
  const found: MarkedProcess[] = [];
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (pid === process.pid) continue;
    const marked = await readMarkers(pid);
    if (marked && match(marked) && isProcessAlive(pid)) found.push(marked);
  }
  return found;
}

/** Signals a process's group if it leads one (our components do), else the process itself. */
function signalMarked(pid: number, signal: NodeJS.Signals): void {
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, signal);
      return;
    } catch {
      // ESRCH: not a group leader (try the pid) or already gone; EPERM: not ours.
    }
  }
}

export interface StopMarkedOptions {
  /** How long SIGTERM may take before SIGKILL. */
  readonly graceMs?: number;
  /** How long to wait after SIGKILL before giving up (a process stuck in the kernel). */
  readonly killWaitMs?: number;
}

/**
 * Stops every process that `match` selects: SIGTERM, SIGKILL after the grace period, and waits until
 * none is left. Rescans before every signal, so a pid that exited and was reused by another
 * program in between is never signalled. Returns what was found at first.
 */
export async function stopMarked(
  match: (p: MarkedProcess) => boolean,
  options: StopMarkedOptions = {},
): Promise<MarkedProcess[]> {
  const first = await findMarked(match);
  if (first.length === 0) return first;
  for (const p of first) signalMarked(p.pid, "SIGTERM");
  const poll = { timeoutMs: options.graceMs ?? 10_000, maxIntervalMs: 200 };
  const noneLeft = async () => (await findMarked(match)).length === 0;
  try {
    await waitFor("processes to exit after SIGTERM", noneLeft, poll);
  } catch {
    const killAll = async () => {
      const left = await findMarked(match);
      for (const p of left) signalMarked(p.pid, "SIGKILL");
      return left.length === 0;
    };
    const killPoll = { timeoutMs: options.killWaitMs ?? 10_000, maxIntervalMs: 200 };
    await waitFor(`processes ${first.map((p) => p.pid).join(", ")} to exit after SIGKILL`, killAll, killPoll);
  }
  return first;
}
