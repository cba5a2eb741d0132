// Issue 17, item 4: `tether local up` killed every way (a crash, SIGKILL, a signal to its process
// group as Ctrl-C, `kill` or a closed terminal send it) leaves no process behind, and the next
// `tether local up` resumes the same cluster: objects in etcd and the Git server's repositories.
// It runs the real CLI with its own instance id and ports, never the default "local" or 8080, and its
// own $TETHER_CACHE (the built binaries linked in), so no other run's clean-up ever sees its instance.
// The link also puts a symlink in every binary's path, which the clean-up must not depend on.
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import net from "node:net";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { errorStatus } from "../../src/kube/client.js";
import { typedKubeClients } from "../../src/kube/typed.js";
import { ensureComponents } from "../../src/toolchain/binaries.js";
import { cacheRoot } from "../../src/toolchain/cachedir.js";
import { CONTROL_PLANE, repoRoot } from "../../src/toolchain/components.js";
import { GitWorkspace } from "../../src/localcluster/gitrepo.js";
import { instanceDirs } from "../../src/localcluster/instance.js";
import { freePort } from "../../src/localcluster/ports.js";
import { waitFor } from "../../src/lib/wait.js";
import { git } from "../../src/engine/source/gitcli.js";

const cli = path.join(repoRoot, "src/cli/main.ts");
const crashOnSignal = path.join(repoRoot, "test/helpers/crash-on-signal.ts");

interface Owner {
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
}

/** Starts `tether local up --bare` in its own process group; resolves once it says it is up. */
async function localUp(
  cache: string,
  args: string[],
  crash: "exception" | "rejection" = "exception",
): Promise<Owner> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "--import", crashOnSignal, cli, "local", "up", "--bare", ...args],
    {
      cwd: repoRoot,
      detached: true, // its own process group, as a terminal gives `npm start`
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, TETHER_CACHE: cache, TETHER_TEST_CRASH: crash },
    },
  );
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  const died = exited.then((info) => new Error(`local up exited (${JSON.stringify(info)}):\n${output}`));
  await waitFor("`tether local up` to be up", () => output.includes("Tether is up"), {
    timeoutMs: 240_000,
    maxIntervalMs: 250,
    abort: died,
  });
  return { child, exited, output: () => output };
}

/** Runs a `tether local …` command to completion; one still running after `timeoutMs` is killed. */
async function localCommand(
  cache: string,
  args: string[],
  timeoutMs = 120_000,
): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", cli, "local", ...args], {
    cwd: repoRoot,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, TETHER_CACHE: cache },
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const timer = setTimeout(() => child.kill("SIGTERM"), timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  clearTimeout(timer);
  return { code, output };
}

/**
 * Every process whose command line names the instance folder: the five components (their flags
 * name its data, certificates and kubeconfigs) and the watchdog. Independent of the markers the
 * product uses to find them, so this counts what the product might miss.
 */
async function processesOf(root: string): Promise<string[]> {
  const found: string[] = [];
  for (const name of await fs.readdir("/proc")) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const cmdline = (await fs.readFile(`/proc/${name}/cmdline`, "utf8")).split("\0").join(" ");
      const stat = await fs.readFile(`/proc/${name}/stat`, "utf8");
      const zombie = stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
      if (!zombie && cmdline.includes(root)) found.push(`${name}: ${cmdline.slice(0, 120)}`);
    } catch {
      // exited while we looked
    }
  }
  return found;
}

/** Waits (bounded by the watchdog's 10 s grace + 10 s SIGKILL wait, plus margin) until none is left. */
async function noProcessLeft(root: string, after: string): Promise<void> {
  await waitFor(
    `no process of ${root} left after ${after}`,
    async () => (await processesOf(root)).length === 0,
    {
      timeoutMs: 45_000,
      maxIntervalMs: 250,
    },
  ).catch(async (error: Error) => {
    assert.fail(`${error.message}; still running:\n${(await processesOf(root)).join("\n")}`);
  });
}

describe("tether local up: killed every way, no process is left and the next start resumes the cluster", () => {
  const id = `killtest-${randomBytes(3).toString("hex")}`;
  let cache: string;
  let root: string;
  let kubeconfig: string;
  let ports: string[];
  let gitUrl: string;
  let pushed: string | undefined;
  const created: string[] = [];
  let owner: Owner | undefined;

  before(async () => {
    await ensureComponents(CONTROL_PLANE);
    cache = await fs.mkdtemp(path.join(os.tmpdir(), "tether-killtest-"));
    await fs.symlink(path.join(cacheRoot(), "bin"), path.join(cache, "bin"));
    root = instanceDirs(path.join(cache, "run"), id).root;
    kubeconfig = path.join(root, "kubeconfig");
    const [apiserver, gitPort] = [await freePort(), await freePort()];
    ports = ["--instance", id, "--port", String(apiserver), "--git-port", String(gitPort)];
    gitUrl = `http://127.0.0.1:${gitPort}`;
  });

  after(async () => {
    if (owner?.child.exitCode === null) owner.child.kill("SIGKILL");
    await localCommand(cache, ["down", "--instance", id]);
    await fs.rm(cache, { recursive: true, force: true }); // removes the link, not the binaries
  });

  /** Checks the cluster kept what earlier runs wrote, then writes one more object named `step`. */
  async function checkResumedAndWrite(step: string) {
    const { core } = typedKubeClients(kubeconfig);
    for (const name of created) {
      const cm = await core
        .readNamespacedConfigMap({ name, namespace: "default" })
        .catch((error: unknown) => {
          assert.fail(
            `ConfigMap ${name}, created before the last kill, is gone (${errorStatus(error) ?? String(error)})`,
          );
        });
      assert.equal(cm.data?.["step"], name);
    }
    if (pushed) {
      const heads = await git(["ls-remote", `${gitUrl}/probe.git`, "refs/heads/main"]);
      assert.equal(heads.split("\t")[0], pushed, "the Git server's repository kept its commit");
    }
    const name = `before-${step}`;
    await core.createNamespacedConfigMap({
      namespace: "default",
      body: { metadata: { name }, data: { step: name } },
    });
    created.push(name);
  }

  async function expectNothingLeft(how: string) {
    const { child } = owner ?? assert.fail("no owner");
    await waitFor(
      `local up to exit after ${how}`,
      () => child.exitCode !== null || child.signalCode !== null,
      {
        timeoutMs: 90_000,
        maxIntervalMs: 250,
      },
    );
    await noProcessLeft(root, how);
    await fs.access(path.join(root, "data", "etcd")); // the cluster's data is kept
    owner = undefined;
  }

  test("first start: a new cluster; a ConfigMap and a Git repository get content", async () => {
    owner = await localUp(cache, ports);
    assert.match(owner.output(), /Created local cluster "killtest-/);
    await git(["init", "--quiet", "--bare", "--initial-branch=main", path.join(root, "git", "probe.git")]);
    const ws = await GitWorkspace.clone(`${gitUrl}/probe.git`);
    pushed = await ws.commitAndPush({ "probe.yaml": "kind: ConfigMap\n" }, "probe");
    await ws.remove();
    await checkResumedAndWrite("uncaught-exception");
  });

  const kills: [string, (o: Owner) => void, ("exception" | "rejection")?][] = [
    ["an uncaught exception", (o) => o.child.kill("SIGUSR2")],
    ["an unhandled rejection", (o) => o.child.kill("SIGUSR2"), "rejection"],
    ["SIGKILL of the owner", (o) => o.child.kill("SIGKILL")],
    ["SIGTERM to its process group", (o) => process.kill(-(o.child.pid ?? 0), "SIGTERM")],
    ["SIGINT to its process group (Ctrl-C)", (o) => process.kill(-(o.child.pid ?? 0), "SIGINT")],
    ["SIGHUP to its process group (terminal closed)", (o) => process.kill(-(o.child.pid ?? 0), "SIGHUP")],
  ];
  for (const [index, [how, kill]] of kills.entries()) {
    test(`${how}: nothing is left, and the next start resumes the cluster`, async () => {
      assert.ok(owner, "the previous step left an owner running");
      kill(owner);
      await expectNothingLeft(how);
      const next = kills[index + 1];
      owner = await localUp(cache, ports, next?.[2]);
      assert.match(owner.output(), /Resumed local cluster "killtest-/);
      await checkResumedAndWrite(`step-${index + 1}`);
    });
  }

  test("a second `local up` of a running instance is refused; `local down --keep` stops and keeps it", async () => {
    assert.ok(owner?.child.exitCode === null && owner.child.signalCode === null, "the last start still runs");
    const second = await localCommand(cache, ["up", "--bare", ...ports]);
    assert.equal(second.code, 1, second.output);
    assert.match(second.output, /local cluster "killtest-\w+" is already running \(pid \d+\)/);
    const down = await localCommand(cache, ["down", "--keep", "--instance", id]);
    assert.equal(down.code, 0, down.output);
    assert.match(down.output, /kept its state in /);
    await owner.exited;
    owner = undefined;
    await noProcessLeft(root, "the stop");
    await fs.access(path.join(root, "data", "etcd"));

    // Without --git-port a resumed cluster takes its old Git port back: its apps name it in repoURL.
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(Number(new URL(gitUrl).port), "127.0.0.1", resolve));
    try {
      const busy = await localCommand(cache, ["up", "--bare", "--instance", id]);
      assert.equal(busy.code, 1, busy.output);
      assert.match(
        busy.output,
        new RegExp(`for the Git server \\(the kept cluster's apps use ${gitUrl}; pass --git-port`),
      );
    } finally {
      blocker.close();
    }
  });

  test("a kept cluster that no longer starts (corrupt etcd data) fails naming --purge, and deletes nothing", async () => {
    const db = path.join(root, "data", "etcd", "member", "snap", "db");
    await fs.writeFile(db, "not a bbolt database");
    const broken = await localCommand(cache, ["up", "--bare", ...ports]);
    assert.equal(broken.code, 1, broken.output);
    assert.match(broken.output, /etcd exited/);
    assert.match(
      broken.output,
      /the kept cluster is in .*killtest-\w+: `tether local up --instance killtest-\w+ --purge` starts an empty one/,
    );
    assert.equal(
      await fs.readFile(db, "utf8"),
      "not a bbolt database",
      "the data is left for the user to decide",
    );
    await noProcessLeft(root, "the stop");
  });

  test("`local up --purge` starts an empty cluster; `local down` stops it and deletes its state", async () => {
    owner = await localUp(cache, [...ports, "--purge"]);
    assert.match(owner.output(), /Created local cluster "killtest-/);
    const { core } = typedKubeClients(kubeconfig);
    const first = created[0] ?? assert.fail("no ConfigMap was created");
    await assert.rejects(
      core.readNamespacedConfigMap({ name: first, namespace: "default" }),
      (error: unknown) => {
        assert.equal(errorStatus(error), 404);
        return true;
      },
    );
    const down = await localCommand(cache, ["down", "--instance", id]);
    assert.equal(down.code, 0, down.output);
    assert.match(down.output, /deleted local cluster "killtest-/);
    await owner.exited;
    owner = undefined;
    await noProcessLeft(root, "the stop");
    await assert.rejects(fs.access(root), "the instance folder is gone");
  });
});
