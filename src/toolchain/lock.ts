// A cross-process lock on a file created with O_EXCL. The holder's pid is written inside, so a
// lock left by a process that died (SIGKILL, power loss) is recognised as stale and taken over.
import { readFileSync } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import { setTimeout as delay } from "node:timers/promises";

export interface LockOptions {
  /** How long to wait for another holder before giving up. */
  timeoutMs: number;
  /** Called once when we start waiting on a live holder, so long waits are explained. */
  onWait?: (holderPid: number) => void;
}

/** True if `pid` runs. A zombie (exited, not yet reaped by its new parent) counts as gone. */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM means the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
  try {
    // /proc/<pid>/stat: "pid (comm) S ..."; comm may hold spaces or parentheses, so split at the last ")".
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return true; // no procfs (not Linux): trust kill(0)
  }
}

async function readHolder(lockPath: string): Promise<number | undefined> {
  try {
    const pid = Number.parseInt(await fs.readFile(lockPath, "utf8"), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Runs `fn` while holding the lock at `lockPath`; always releases it. */
export async function withFileLock<T>(
  lockPath: string,
  options: LockOptions,
  fn: () => Promise<T>,
): Promise<T> {
  await fs.mkdir(path.dirname(lockPath), { recursive: true });
  const deadline = Date.now() + options.timeoutMs;
  let told = false;
  let pause = 50;
  for (;;) {
    try {
      const handle = await fs.open(lockPath, "wx");
      await handle.writeFile(String(process.pid));
      await handle.close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const holder = await readHolder(lockPath);
    if (holder === undefined || !isProcessAlive(holder)) {
      // Stale (holder died) or half-written by a holder that died between open and write.
      // A just-created lock can be momentarily empty, so only remove an empty one if it is old.
      const stat = await fs.stat(lockPath).catch(() => undefined);
      if (holder !== undefined || (stat && Date.now() - stat.mtimeMs > 5_000)) {
        await fs.rm(lockPath, { force: true });
        continue;
      }
    } else if (!told) {
      told = true;
      options.onWait?.(holder);
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${options.timeoutMs} ms waiting for lock ${lockPath} (held by pid ${holder ?? "?"})`,
      );
    }
    await delay(pause);
    pause = Math.min(pause * 2, 1_000);
  }
  try {
    return await fn();
  } finally {
    await fs.rm(lockPath, { force: true });
  }
}
