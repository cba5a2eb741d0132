// Child process for the "owner killed" tests: registers a local-cluster instance the way
// startControlPlane does (owner record, watchdog, marked components), starts a real etcd, prints
// what it started as one JSON line (etcd and a component that ignores SIGTERM), then idles until the test kills it.
//   orphan-owner.ts RUN_DIR ID ETCD_BINARY [keep]
import path from "node:path";
import { freePort } from "../../src/localcluster/ports.js";
import { instanceDirs, markerEnv, startWatchdog, writeOwner } from "../../src/localcluster/instance.js";
import { ManagedProcess } from "../../src/localcluster/process.js";
import { waitFor } from "../../src/lib/wait.js";

const [runDir, id, etcdBinary, keep] = process.argv.slice(2);
if (!runDir || !id || !etcdBinary) throw new Error("usage: orphan-owner.ts RUN_DIR ID ETCD_BINARY [keep]");
const dirs = instanceDirs(runDir, id);
const owner = await writeOwner(dirs, keep === "keep");
const watchdog = startWatchdog(dirs, owner);
const [client, peer] = [await freePort(), await freePort()];
const etcd = await ManagedProcess.start({
  name: "etcd",
  binary: etcdBinary,
  args: [
    `--data-dir=${path.join(dirs.data, "etcd")}`,
    `--listen-client-urls=http://127.0.0.1:${client}`,
    `--advertise-client-urls=http://127.0.0.1:${client}`,
    `--listen-peer-urls=http://127.0.0.1:${peer}`,
    "--listen-metrics-urls=",
    "--log-level=warn",
  ],
  logFile: path.join(dirs.logs, "etcd.log"),
  pidDir: dirs.pids,
  env: { ...process.env, ...markerEnv(dirs, owner) },
});
// A component that ignores SIGTERM (as a hung one would): only SIGKILL ends it.
const stubborn = await ManagedProcess.start({
  name: "stubborn",
  binary: process.execPath,
  args: [
    "-e",
    'process.on("SIGTERM", () => {}); console.log("ignoring SIGTERM"); setInterval(() => {}, 1000)',
  ],
  logFile: path.join(dirs.logs, "stubborn.log"),
  pidDir: dirs.pids,
  env: { ...process.env, ...markerEnv(dirs, owner) },
});
await waitFor(
  "the stubborn component to ignore SIGTERM",
  async () => (await stubborn.lastLogLines(1)) === "ignoring SIGTERM",
  { timeoutMs: 30_000 },
);
const started = { root: dirs.root, etcd: etcd.pid, stubborn: stubborn.pid, watchdog, client };
process.stdout.write(JSON.stringify(started) + "\n");
setInterval(() => undefined, 60_000);
