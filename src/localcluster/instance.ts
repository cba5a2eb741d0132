// The registry of running local clusters: $TETHER_CACHE/run/<id>/ holds owner.json (the Node
// process that started it), pids/<component>.json, logs/, and the data. Two safety nets make
// sure no etcd or apiserver outlives its owner:
//  1. a watchdog process that holds a pipe from the owner and stops every recorded pid when that
//     pipe closes (the owner exited, even by SIGKILL);
//  2. cleanupStaleInstances(), run at every start, for the case where the watchdog died too.
import { spawn } from "node:child_process";
import fs from "node:fs/promises";
import path from "node:path";
import { isProcessAlive } from "./lock.js";
import type { PidRecord } from "./process.js";
import { signalGroup } from "./process.js";
import { waitFor } from "./wait.js";

export interface InstanceDirs {
  readonly root: string;
  readonly pids: string;
  readonly logs: string;
  readonly data: string;
}

export function instanceDirs(runDir: string, id: string): InstanceDirs {
  const root = path.join(runDir, id);
  return {
    root,
    pids: path.join(root, "pids"),
    logs: path.join(root, "logs"),
    data: path.join(root, "data"),
  };
}

interface OwnerRecord {
  readonly pid: number;
  readonly startedAt: string;
}

export async function writeOwner(dirs: InstanceDirs): Promise<void> {
  await fs.mkdir(dirs.pids, { recursive: true });
  const owner: OwnerRecord = { pid: process.pid, startedAt: new Date().toISOString() };
  await fs.writeFile(path.join(dirs.root, "owner.json"), JSON.stringify(owner));
}

export async function readOwner(root: string): Promise<OwnerRecord | undefined> {
  try {
    return JSON.parse(await fs.readFile(path.join(root, "owner.json"), "utf8")) as OwnerRecord;
  } catch {
    return undefined;
  }
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

/** Removes instances whose owner is gone, stopping their leftover processes first. */
export async function cleanupStaleInstances(runDir: string, log: (line: string) => void = () => undefined) {
  const cleaned: string[] = [];
  for (const id of await fs.readdir(runDir).catch(() => [] as string[])) {
    const root = path.join(runDir, id);
    const owner = await readOwner(root);
    if (owner && owner.pid !== process.pid && isProcessAlive(owner.pid)) continue;
    if (owner?.pid === process.pid) continue;
    const stopped = await stopRecorded(path.join(root, "pids"));
    if (stopped.length > 0) log(`stopped leftovers of local cluster ${id}: ${stopped.join(", ")}`);
    await fs.rm(root, { recursive: true, force: true });
    cleaned.push(id);
  }
  return cleaned;
}

// Runs as `node -e WATCHDOG pidDir rootDir ownerPid`. It ignores SIGINT/SIGTERM sent to the terminal's
// process group and acts only when its stdin (a pipe from the owner) closes.
const WATCHDOG = `
const fs = require("node:fs"), path = require("node:path");
const [pidDir, rootDir, ownerPid] = process.argv.slice(1);
process.on("SIGINT", () => {}); process.on("SIGTERM", () => {});
process.stdin.resume();
process.stdin.on("close", () => {
  const recs = [];
  for (const f of fs.existsSync(pidDir) ? fs.readdirSync(pidDir) : []) {
    try { recs.push(JSON.parse(fs.readFileSync(path.join(pidDir, f), "utf8"))); } catch {}
  }
  const alive = (r) => { try { return fs.readlinkSync("/proc/" + r.pid + "/exe").replace(/ \\(deleted\\)$/, "") === r.binary; } catch { return false; } };
  const sig = (r, s) => { try { process.kill(-r.pid, s); } catch { try { process.kill(r.pid, s); } catch {} } };
  const live = recs.filter(alive);
  live.forEach((r) => sig(r, "SIGTERM"));
  const started = Date.now();
  const tick = setInterval(() => {
    const left = live.filter(alive);
    if (left.length === 0 || Date.now() - started > 15000) {
      left.forEach((r) => sig(r, "SIGKILL"));
      clearInterval(tick);
      // Remove the folder only if it still belongs to our owner (a new run may have taken the id).
      let owner; try { owner = JSON.parse(fs.readFileSync(path.join(rootDir, "owner.json"), "utf8")).pid; } catch {}
      if (String(owner) === ownerPid) fs.rmSync(rootDir, { recursive: true, force: true });
      process.exit(0);
    }
  }, 100);
});
`;

/** Starts the watchdog for an instance; it lives exactly as long as this process. Returns its pid. */
export function startWatchdog(dirs: InstanceDirs): number | undefined {
  const child = spawn(process.execPath, ["-e", WATCHDOG, dirs.pids, dirs.root, String(process.pid)], {
    detached: true,
    stdio: ["pipe", "ignore", "ignore"],
  });
  child.unref();
  // The pipe must not keep our event loop alive either: it exists only to close when we die.
  (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  return child.pid;
}
