import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { withFileLock } from "../../src/toolchain/lock.js";

async function tempDir(): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), "tether-lock-"));
}

test("holders of one lock never overlap", async () => {
  const lock = path.join(await tempDir(), "a.lock");
  let inside = 0;
  let maxInside = 0;
  const order: number[] = [];
  await Promise.all(
    [1, 2, 3, 4].map((n) =>
      withFileLock(lock, { timeoutMs: 10_000 }, async () => {
        inside++;
        maxInside = Math.max(maxInside, inside);
        await new Promise((resolve) => setImmediate(resolve));
        order.push(n);
        inside--;
      }),
    ),
  );
  assert.equal(maxInside, 1);
  assert.deepEqual([...order].sort(), [1, 2, 3, 4]);
  await assert.rejects(fs.access(lock), "lock file removed after release");
});

test("a lock left by a dead process is taken over", async () => {
  const lock = path.join(await tempDir(), "stale.lock");
  // A pid that certainly is dead: a process that already exited.
  const dead = spawnSync(process.execPath, [
    "-e",
    "process.stdout.write(String(process.pid))",
  ]).stdout.toString();
  await fs.writeFile(lock, dead);
  const result = await withFileLock(lock, { timeoutMs: 5_000 }, () => Promise.resolve("acquired"));
  assert.equal(result, "acquired");
});

test("a lock held by a live process times out with the holder's pid", async () => {
  const lock = path.join(await tempDir(), "held.lock");
  await fs.writeFile(lock, String(process.ppid));
  let waitedOn: number | undefined;
  await assert.rejects(
    withFileLock(lock, { timeoutMs: 300, onWait: (pid) => (waitedOn = pid) }, () => Promise.resolve()),
    new RegExp(`held by pid ${process.ppid}`),
  );
  assert.equal(waitedOn, process.ppid);
});
