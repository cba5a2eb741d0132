// Faults of the local control plane: every one ends in a clear error or a clean-up, never a hang.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { ensureComponents } from "../../src/localcluster/binaries.js";
import { CONTROL_PLANE } from "../../src/localcluster/components.js";
import type { ControlPlaneBinaries } from "../../src/localcluster/controlplane.js";
import { ControlPlaneStartError, startControlPlane } from "../../src/localcluster/controlplane.js";
import { cleanupStaleInstances } from "../../src/localcluster/instance.js";
import { isProcessAlive } from "../../src/localcluster/lock.js";
import { PortInUseError, freePort } from "../../src/localcluster/ports.js";
import { waitFor } from "../../src/localcluster/wait.js";

const orphanOwner = path.join(path.dirname(fileURLToPath(import.meta.url)), "../helpers/orphan-owner.ts");

interface Orphan {
  root: string;
  etcd: number;
  watchdog: number;
  client: number;
}

/** Starts an owner process with a watchdog and a real etcd; resolves what it printed. */
async function startOrphanOwner(runDir: string, id: string, etcd: string) {
  const child = spawn(process.execPath, ["--import", "tsx", orphanOwner, runDir, id, etcd], {
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
    await waitFor(
      "instance folder removed",
      () =>
        fs.access(started.root).then(
          () => false,
          () => true,
        ),
      {
        timeoutMs: 10_000,
      },
    );
  });

  test("owner and watchdog both killed: the next start cleans up the leftovers", async () => {
    const runDir = path.join(cacheDir, "run-stale");
    const { child, started } = await startOrphanOwner(runDir, "orphan-b", binaries.etcd);
    process.kill(started.watchdog, "SIGKILL");
    await waitFor("watchdog gone", () => !isProcessAlive(started.watchdog), { timeoutMs: 10_000 });
    child.kill("SIGKILL");
    await waitFor("owner gone", () => !isProcessAlive(child.pid ?? 0), { timeoutMs: 10_000 });
    assert.ok(isProcessAlive(started.etcd), "etcd outlived its owner");

    const cleaned = await cleanupStaleInstances(runDir);
    assert.deepEqual(cleaned, ["orphan-b"]);
    assert.equal(isProcessAlive(started.etcd), false, "etcd stopped");
    await assert.rejects(fs.access(started.root), "instance folder removed");
  });
});
