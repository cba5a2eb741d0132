// Faults of the local control plane: every one ends in a clear error or a clean-up, never a hang.
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { spawn } from "node:child_process";
import fs from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { ensureComponents } from "../../src/toolchain/binaries.js";
import { CONTROL_PLANE } from "../../src/toolchain/components.js";
import type { ControlPlaneBinaries } from "../../src/localcluster/controlplane.js";
import { ControlPlaneStartError, startControlPlane } from "../../src/localcluster/controlplane.js";
import { cleanupStaleInstances } from "../../src/localcluster/instance.js";
import { isProcessAlive } from "../../src/toolchain/lock.js";
import { PortInUseError, freePort } from "../../src/localcluster/ports.js";
import {
  INSTANCE_OWNER_ENV,
  INSTANCE_ROOT_ENV,
  processToken,
  readMarkers,
} from "../../src/localcluster/procscan.js";
import { waitFor } from "../../src/lib/wait.js";

const orphanOwner = path.join(path.dirname(fileURLToPath(import.meta.url)), "../helpers/orphan-owner.ts");

interface Orphan {
  root: string;
  etcd: number;
  stubborn: number;
  watchdog: number;
  client: number;
}

const spawnedIdlers: ChildProcess[] = [];
after(() => {
  for (const child of spawnedIdlers) child.kill("SIGKILL");
});

/** Starts an owner process with a watchdog and a real etcd; resolves what it printed. */
async function startOrphanOwner(runDir: string, id: string, etcd: string, keep?: "keep") {
  const args = ["--import", "tsx", orphanOwner, runDir, id, etcd, ...(keep ? [keep] : [])];
  const child = spawn(process.execPath, args, {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const [line] = await Promise.race([
    createInterface({ input: child.stdout })
      [Symbol.asyncIterator]()
      .next()
      .then((r) => [r.value as string]),
    new Promise<never>((_, reject) =>
      child.once("exit", (code) => reject(new Error(`owner exited ${code}`))),
    ),
  ]);
  return { child, started: JSON.parse(line ?? "{}") as Orphan };
}

describe("local control plane faults", () => {
  let binaries: ControlPlaneBinaries;
  let cacheDir: string;

  before(async () => {
    binaries = await ensureComponents(CONTROL_PLANE);
    cacheDir = await fs.mkdtemp(path.join(os.tmpdir(), "tether-faults-"));
  });

  test("an apiserver port that is already taken is refused up front, naming the port", async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      await assert.rejects(
        startControlPlane({ binaries, cacheDir, apiserverPort: port }),
        (error: unknown) => {
          assert.ok(error instanceof PortInUseError);
          assert.match(
            error.message,
            new RegExp(`port 127\\.0\\.0\\.1:${port} for kube-apiserver is already in use`),
          );
          return true;
        },
      );
    } finally {
      blocker.close();
    }
    assert.deepEqual(await fs.readdir(path.join(cacheDir, "run")).catch(() => []), [], "nothing registered");
  });

  test("an apiserver that never becomes ready fails with a timeout and its last log lines", async () => {
    const deadEtcd = `http://127.0.0.1:${await freePort()}`;
    await assert.rejects(
      startControlPlane({ binaries, cacheDir, etcdServersOverride: deadEtcd, readyTimeoutMs: 6_000 }),
      (error: unknown) => {
        assert.ok(error instanceof ControlPlaneStartError);
        assert.match(
          error.message,
          /kube-apiserver to answer https:\/\/127\.0\.0\.1:\d+\/readyz did not happen within 6000 ms/,
        );
        assert.match(error.message, /--- last lines of .*kube-apiserver\.log ---\n.+/);
        return true;
      },
    );
    assert.deepEqual(await fs.readdir(path.join(cacheDir, "run")), [], "the failed instance was cleaned up");
  });

  test("owner killed with SIGKILL: its watchdog stops the components and removes the instance", async () => {
    const runDir = path.join(cacheDir, "run-watchdog");
    const { child, started } = await startOrphanOwner(runDir, "orphan-a", binaries.etcd);
    assert.ok(isProcessAlive(started.etcd));
    child.kill("SIGKILL");
    await waitFor("etcd to be stopped by the watchdog", () => !isProcessAlive(started.etcd), {
      timeoutMs: 30_000,
    });
    // The grace period (10 s) and the SIGKILL wait (10 s) bound this.
    await waitFor("the SIGTERM-ignoring component to be SIGKILLed", () => !isProcessAlive(started.stubborn), {
      timeoutMs: 30_000,
    });
    await waitFor("instance folder removed", () => gone(started.root), { timeoutMs: 10_000 });
    await waitFor("watchdog exited", () => !isProcessAlive(started.watchdog), { timeoutMs: 10_000 });
  });

  test("owner of a kept instance killed with SIGKILL: the watchdog stops the components and keeps the data", async () => {
    const runDir = path.join(cacheDir, "run-kept");
    const { child, started } = await startOrphanOwner(runDir, "kept-a", binaries.etcd, "keep");
    child.kill("SIGKILL");
    await waitFor("etcd to be stopped by the watchdog", () => !isProcessAlive(started.etcd), {
      timeoutMs: 30_000,
    });
    // The grace period (10 s) and the SIGKILL wait (10 s) bound this.
    await waitFor("the SIGTERM-ignoring component to be SIGKILLed", () => !isProcessAlive(started.stubborn), {
      timeoutMs: 30_000,
    });
    await waitFor("watchdog exited", () => !isProcessAlive(started.watchdog), { timeoutMs: 10_000 });
    await fs.access(path.join(started.root, "data", "etcd"));
    assert.deepEqual(
      await cleanupStaleInstances(runDir),
      [],
      "a kept instance is not removed at the next start",
    );
    await fs.access(path.join(started.root, "data", "etcd"));
  });

  test("owner and watchdog both killed, folder deleted: the next start finds the leftovers by their markers", async () => {
    const runDir = path.join(cacheDir, "run-stale");
    const { child, started } = await startOrphanOwner(runDir, "orphan-b", binaries.etcd);
    process.kill(started.watchdog, "SIGKILL");
    await waitFor("watchdog gone", () => !isProcessAlive(started.watchdog), { timeoutMs: 10_000 });
    child.kill("SIGKILL");
    await waitFor("owner gone", () => !isProcessAlive(child.pid ?? 0), { timeoutMs: 10_000 });
    assert.ok(isProcessAlive(started.etcd), "etcd outlived its owner");
    // What issue 17 saw: the folder with the pid files is gone, the process is not.
    await fs.rm(started.root, { recursive: true, force: true });

    await cleanupStaleInstances(runDir);
    assert.equal(isProcessAlive(started.etcd), false, "etcd stopped");
    assert.equal(isProcessAlive(started.stubborn), false, "the SIGTERM-ignoring component stopped");
    assert.deepEqual(await fs.readdir(runDir), []);
  });

  test("the sweep never signals a process that is not a leftover: recycled pid, live owner, other run folder", async () => {
    const runDir = path.join(cacheDir, "run-recycled");
    const idle = ["-e", "setInterval(() => {}, 1000)"];
    const spawnIdle = (env: Record<string, string>) => {
      const child = spawn(process.execPath, idle, { stdio: "ignore", env: { ...process.env, ...env } });
      spawnedIdlers.push(child);
      return child.pid ?? 0;
    };
    const deadOwner = `${2 ** 22 + 1}-1`; // above pid_max's default range: never a live process
    // 1. A stale instance whose pid file names a live process running the same binary (a recycled pid).
    const root = path.join(runDir, "recycled");
    await fs.mkdir(path.join(root, "pids"), { recursive: true });
    await fs.writeFile(
      path.join(root, "owner.json"),
      JSON.stringify({ pid: 2 ** 22 + 1, token: deadOwner, startedAt: "" }),
    );
    const recycled = spawnIdle({});
    await fs.writeFile(
      path.join(root, "pids", "etcd.json"),
      JSON.stringify({ name: "etcd", pid: recycled, binary: process.execPath }),
    );
    // 2. A marked process whose owner (this test process) is alive.
    const liveOwned = spawnIdle({
      [INSTANCE_ROOT_ENV]: path.join(runDir, "live"),
      [INSTANCE_OWNER_ENV]: processToken(),
    });
    // 3. A leftover of another run folder (another $TETHER_CACHE): not this sweep's business.
    const otherRun = spawnIdle({
      [INSTANCE_ROOT_ENV]: path.join(cacheDir, "elsewhere", "x"),
      [INSTANCE_OWNER_ENV]: deadOwner,
    });
    // 4. A real leftover: marked for this run folder, owner dead.
    const leftover = spawnIdle({
      [INSTANCE_ROOT_ENV]: path.join(runDir, "gone"),
      [INSTANCE_OWNER_ENV]: deadOwner,
    });
    await waitFor("markers readable", async () => (await readMarkers(leftover)) !== undefined, {
      timeoutMs: 10_000,
    });

    assert.deepEqual(await cleanupStaleInstances(runDir), ["recycled"]);
    assert.equal(isProcessAlive(leftover), false, "the leftover was stopped");
    assert.ok(isProcessAlive(recycled), "the recycled pid was not signalled");
    assert.ok(isProcessAlive(liveOwned), "a process with a live owner was not signalled");
    assert.ok(isProcessAlive(otherRun), "another run folder's process was not signalled");
  });
});

async function gone(file: string): Promise<boolean> {
  const [result] = await Promise.allSettled([fs.access(file)]);
  return result.status === "rejected";
}
