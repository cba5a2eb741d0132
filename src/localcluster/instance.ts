// The registry of local clusters: $TETHER_CACHE/run/<id>/ holds owner.json (the Node process that
// started the current or last run), pids/<component>.json, logs/, and the data (etcd, PKI, Git
// repositories). Every component carries environment markers naming its instance and run (see
// procscan.ts), so it can be found without any of these files. Two safety nets make sure no
// control-plane process outlives its owner:
//  1. a watchdog process that holds a pipe from the owner and, when that pipe closes (the owner
//     exited, even by SIGKILL), stops every process of that run: SIGTERM, then SIGKILL;
//  2. cleanupStaleInstances(), run at every start, for the case where the watchdog died too.
// A kept instance (the CLI's) survives both: only `tether local down` or `--purge` deletes it.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import { isProcessAlive, withFileLock } from "../toolchain/lock.js";
import type { PidRecord } from "./process.js";
import { signalGroup } from "./process.js";
import type { MarkedProcess } from "./procscan.js";
import { INSTANCE_OWNER_ENV, INSTANCE_ROOT_ENV, processToken, stopMarked, tokenIsAlive } from "./procscan.js";
import { waitFor } from "../lib/wait.js";

export interface InstanceDirs {
  readonly root: string;
  readonly pids: string;
  readonly logs: string;
  readonly data: string;
}

export function instanceDirs(runDir: string, id: string): InstanceDirs {
  // Absolute: the root is also the marker that finds the instance's processes.
  const root = path.resolve(runDir, id);
  return {
    root,
    pids: path.join(root, "pids"),
    logs: path.join(root, "logs"),
    data: path.join(root, "data"),
  };
}

export interface OwnerRecord {
  readonly pid: number;
  /** processToken() of the owner: tells a live owner from a recycled pid. Absent in old records. */
  readonly token?: string;
  readonly startedAt: string;
  /**
   * Keep the data when the owner stops or dies, so the next start with this id resumes it (the
   * CLI's clusters). False for test instances: they are removed once their owner is gone.
   */
  readonly keep?: boolean;
}

/** Instance ids name a folder: nothing that could climb out of the run folder or hide in it. */
const INSTANCE_ID = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

export function checkInstanceId(id: string): string {
  if (!INSTANCE_ID.test(id)) {
    throw new Error(
      `instance id "${id}" is invalid: use 1-63 lowercase letters, digits and "-", starting and ending with a letter or digit`,
    );
  }
  return id;
}

export class InstanceInUseError extends Error {
  override readonly name = "InstanceInUseError";
}

export async function writeOwner(dirs: InstanceDirs, keep = false): Promise<OwnerRecord> {
  await fs.mkdir(dirs.pids, { recursive: true });
  const owner: OwnerRecord = {
    pid: process.pid,
    token: processToken(),
    startedAt: new Date().toISOString(),
    keep,
  };
  await fs.writeFile(path.join(dirs.root, "owner.json"), JSON.stringify(owner));
  return owner;
}

export async function readOwner(root: string): Promise<OwnerRecord | undefined> {
  try {
    return JSON.parse(await fs.readFile(path.join(root, "owner.json"), "utf8")) as OwnerRecord;
  } catch {
    return undefined;
  }
}

/** True while the owner runs (and is not another program that got its pid). */
export function ownerIsAlive(owner: OwnerRecord): boolean {
  return owner.token ? tokenIsAlive(owner.token) : isProcessAlive(owner.pid);
}

/** The environment markers every component of this run carries (see procscan.ts). */
export function markerEnv(dirs: InstanceDirs, owner: OwnerRecord): Record<string, string> {
  return { [INSTANCE_ROOT_ENV]: dirs.root, [INSTANCE_OWNER_ENV]: owner.token ?? String(owner.pid) };
}

/** Stops every process of the instance at `root`, whichever run started it. */
export function stopInstanceProcesses(root: string): Promise<MarkedProcess[]> {
  return stopMarked((p) => p.root === root);
}

/**
 * Stops processes of any instance under `runDir` whose owner is gone, found by their markers: this
 * works when the watchdog died too and even when the instance folder was deleted.
 */
export function stopOrphans(runDir: string): Promise<MarkedProcess[]> {
  const prefix = path.resolve(runDir) + path.sep;
  return stopMarked((p) => p.root.startsWith(prefix) && !tokenIsAlive(p.owner));
}

async function readPidRecords(pidDir: string): Promise<PidRecord[]> {
  const names = await fs.readdir(pidDir).catch(() => [] as string[]);
  const records: PidRecord[] = [];
  for (const name of names.filter((n) => n.endsWith(".json"))) {
    try {
      records.push(JSON.parse(await fs.readFile(path.join(pidDir, name), "utf8")) as PidRecord);
    } catch {
      // A half-written pid file: its process was never confirmed started, nothing to stop.
    }
  }
  return records;
}

/** True if `pid` is alive and still runs `binary` (guards against a recycled pid). */
async function runsBinary(pid: number, binary: string): Promise<boolean> {
  if (!isProcessAlive(pid)) return false;
  try {
    return (await fs.readlink(`/proc/${pid}/exe`)).replace(/ \(deleted\)$/, "") === binary;
  } catch {
    return false;
  }
}

/** Stops every recorded process of an instance: SIGTERM, then SIGKILL after `graceMs`. */
export async function stopRecorded(pidDir: string, graceMs = 10_000): Promise<string[]> {
  const live: PidRecord[] = [];
  for (const record of await readPidRecords(pidDir)) {
    if (await runsBinary(record.pid, record.binary)) live.push(record);
  }
  for (const record of live) signalGroup(record.pid, "SIGTERM");
  const allGone = async () =>
    (await Promise.all(live.map((r) => runsBinary(r.pid, r.binary)))).every((a) => !a);
  try {
    await waitFor("recorded processes to exit", allGone, { timeoutMs: graceMs });
  } catch {
    for (const record of live) signalGroup(record.pid, "SIGKILL");
    await waitFor("recorded processes to die", allGone, { timeoutMs: 10_000 });
  }
  return live.map((r) => `${r.name} (pid ${r.pid})`);
}

function hasProcfs(): boolean {
  return existsSync("/proc/self/environ");
}

/**
 * Stops the leftover processes of every instance whose owner is gone, and removes those instances'
 * folders unless they are kept (the CLI's clusters, which the next `local up` resumes).
 */
export async function cleanupStaleInstances(runDir: string, log: (line: string) => void = () => undefined) {
  const orphans = await stopOrphans(runDir);
  if (orphans.length > 0) {
    log(
      `stopped ${orphans.length} leftover process(es): ${orphans.map((p) => `pid ${p.pid} of ${p.root}`).join(", ")}`,
    );
  }
  const cleaned: string[] = [];
  for (const id of await fs.readdir(runDir).catch(() => [] as string[])) {
    const root = path.join(runDir, id);
    const owner = await readOwner(root);
    if (owner && (owner.pid === process.pid || ownerIsAlive(owner))) continue;
    // Without procfs the pid files are the only record. With it they are not trusted: the markers
    // found everything, and a recorded pid may since belong to another instance's run of the same
    // binary (every instance shares the cached binaries).
    if (!hasProcfs()) {
      const stopped = await stopRecorded(path.join(root, "pids"));
      if (stopped.length > 0) log(`stopped leftovers of local cluster ${id}: ${stopped.join(", ")}`);
    }
    if (owner?.keep) continue;
    await fs.rm(root, { recursive: true, force: true });
    cleaned.push(id);
  }
  return cleaned;
}

// Runs as `node -e WATCHDOG root ownerToken graceMs`, in its own session (no terminal's SIGHUP or
// Ctrl-C reaches it, and it ignores them anyway). It acts only when its stdin, a pipe from the owner,
// closes: the owner has exited, however it ended (even SIGKILL). It then stops every process that
// carries this run's markers (see procscan.ts) with SIGTERM, SIGKILL after the grace period, and
// waits until none is left. It removes the folder only for an instance that is not kept and still
// names this owner (a new run may have taken the id).
const WATCHDOG = `
const fs = require("node:fs"), path = require("node:path");
const [root, token, grace] = process.argv.slice(1);
const graceMs = Number(grace), killWaitMs = 10000;
const mine = ["${INSTANCE_ROOT_ENV}=" + root, "${INSTANCE_OWNER_ENV}=" + token];
for (const s of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(s, () => {});
const marked = (pid) => {
  try {
    const env = fs.readFileSync("/proc/" + pid + "/environ", "latin1").split("\\0");
    return mine.every((m) => env.includes(m));
  } catch { return false; }
};
const running = (pid) => {
  try { const st = fs.readFileSync("/proc/" + pid + "/stat", "utf8"); return st[st.lastIndexOf(")") + 2] !== "Z"; }
  catch { return false; }
};
const ours = () => fs.readdirSync("/proc").filter((n) => /^\\d+$/.test(n)).map(Number)
  .filter((pid) => pid !== process.pid && marked(pid) && running(pid));
const signal = (pid, s) => { try { process.kill(-pid, s); } catch { try { process.kill(pid, s); } catch {} } };
process.stdin.resume();
process.stdin.on("close", () => {
  ours().forEach((pid) => signal(pid, "SIGTERM"));
  const started = Date.now();
  const tick = setInterval(() => {
    const left = ours(), waited = Date.now() - started;
    if (waited > graceMs) left.forEach((pid) => signal(pid, "SIGKILL"));
    if (left.length > 0 && waited < graceMs + killWaitMs) return;
    clearInterval(tick);
    let owner; try { owner = JSON.parse(fs.readFileSync(path.join(root, "owner.json"), "utf8")); } catch {}
    if (owner && owner.token === token && !owner.keep) fs.rmSync(root, { recursive: true, force: true });
    process.exit(left.length === 0 ? 0 : 1);
  }, 100);
});
`;

export interface ClaimedInstance {
  readonly owner: OwnerRecord;
  /** The instance's data was kept from an earlier run and is used again. */
  readonly resumed: boolean;
  /** Processes of an earlier run (its owner and watchdog both died) that were stopped first. */
  readonly leftovers: readonly MarkedProcess[];
}

/**
 * Takes an instance for this process: refuses one whose owner still runs, stops leftovers of an
 * earlier run before anything reuses or deletes their data, resumes the data (`keep` and not
 * `purge`) or clears it, records this process as the owner and starts its watchdog, all before any
 * component starts. Under a lock, so two starts of one id cannot both take it.
 */
export async function claimInstance(
  dirs: InstanceDirs,
  options: { readonly keep: boolean; readonly purge: boolean },
): Promise<ClaimedInstance> {
  const runDir = path.dirname(dirs.root);
  const lock = path.join(path.dirname(runDir), "locks", `instance-${path.basename(dirs.root)}.lock`);
  return withFileLock(lock, { timeoutMs: 60_000 }, async () => {
    const previous = await readOwner(dirs.root);
    if (previous && previous.pid !== process.pid && ownerIsAlive(previous)) {
      throw new InstanceInUseError(
        `local cluster "${path.basename(dirs.root)}" is already running (pid ${previous.pid}, ${dirs.root})`,
      );
    }
    const leftovers = await stopInstanceProcesses(dirs.root);
    const [etcdData] = await Promise.allSettled([fs.access(path.join(dirs.data, "etcd"))]);
    const resumed = options.keep && !options.purge && etcdData.status === "fulfilled";
    if (!resumed) await fs.rm(dirs.root, { recursive: true, force: true });
    const owner = await writeOwner(dirs, options.keep);
    startWatchdog(dirs, owner);
    return { owner, resumed, leftovers };
  });
}

/** How long the watchdog lets components handle SIGTERM before SIGKILL. */
export const WATCHDOG_GRACE_MS = 10_000;

/** Starts the watchdog for this run of an instance; it lives exactly as long as this process. */
export function startWatchdog(dirs: InstanceDirs, owner: OwnerRecord): number | undefined {
  const token = owner.token ?? String(owner.pid);
  const child = spawn(process.execPath, ["-e", WATCHDOG, dirs.root, token, String(WATCHDOG_GRACE_MS)], {
    detached: true,
    stdio: ["pipe", "ignore", "ignore"],
  });
  child.unref();
  // The pipe must not keep our event loop alive either: it exists only to close when we die.
  (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  return child.pid;
}
