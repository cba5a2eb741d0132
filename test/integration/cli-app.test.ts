// The `tether` CLI driven as a user drives it: the real CLI as a child process against a real API
// server (with authentication) and controller on the real control plane, and in kubeconfig-only mode
// against the cluster directly. The seed scenario end to end: login, create, wait, list, drift →
// diff → sync, a new commit → history, rollback, delete; plus bad input, exit codes and --core.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { PatchStrategy } from "@kubernetes/client-node";
import { createApiAuth } from "../../src/api/authn.js";
import type { ApiServer } from "../../src/api/server.js";
import { startApiServer } from "../../src/api/server.js";
import type { ApplicationDetail, ApplicationList, HistoryEntryView } from "../../src/api/types.js";
import { waitFor } from "../../src/lib/wait.js";
import type { GitWorkspace } from "../../src/localcluster/gitrepo.js";
import type { ControllerFixture } from "../helpers/app.js";
import { deployment, startControllerFixture } from "../helpers/app.js";
import { clients, testEnv } from "../helpers/environment.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const MAIN = path.join(root, "src/cli/main.ts");

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("cli: tether login and tether app", () => {
  let fx: ControllerFixture;
  let api: ApiServer;
  let ws: GitWorkspace;
  let url: string;
  let dest: string;
  let password: string;
  let tmp: string;
  let configFile: string;

  // Asynchronous on purpose: the API server runs in this process, a synchronous child would deadlock it.
  const cli = (
    args: string[],
    options: { stdin?: string; env?: Record<string, string> } = {},
  ): Promise<Run> => {
    const env: NodeJS.ProcessEnv = { ...process.env, TETHER_CONFIG: configFile, ...options.env };
    for (const name of [
      "TETHER_SERVER",
      "TETHER_TOKEN",
      "TETHER_CORE",
      "TETHER_APP_NAMESPACE",
      "KUBECONFIG",
    ]) {
      if (!options.env?.[name]) delete env[name];
    }
    const child = spawn(process.execPath, ["--import", "tsx", MAIN, ...args], { cwd: root, env });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.stdin.end(options.stdin ?? "");
    const guard = setTimeout(() => child.kill("SIGKILL"), 180_000);
    return new Promise((resolve) =>
      child.on("close", (code) => {
        clearTimeout(guard);
        resolve({ code: code ?? -1, stdout, stderr });
      }),
    );
  };
  /** Runs and asserts the exit code, showing both streams when it differs. */
  const ok = async (args: string[], code = 0, options?: Parameters<typeof cli>[1]): Promise<Run> => {
    const run = await cli(args, options);
    assert.equal(
      run.code,
      code,
      `tether ${args.join(" ")} → ${run.code}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`,
    );
    return run;
  };
  const json = async <T>(args: string[]): Promise<T> =>
    JSON.parse((await ok([...args, "-o", "json"])).stdout) as T;
  const replicas = async () =>
    (await clients().apps.readNamespacedDeployment({ name: "web", namespace: dest })).spec?.replicas;
  const core = () => ["--core", "--kubeconfig", testEnv.kubeconfig, "--app-namespace", fx.appNs];

  before(async () => {
    fx = await startControllerFixture("cli");
    const systemNs = await fx.namespace("cli-system");
    ({ url, ws } = await fx.repository("cli", { "web/deployment.yaml": deployment("web", 1) }));
    dest = await fx.namespace("cli-dest");
    const auth = await createApiAuth({ clients: clients(), namespace: systemNs });
    password = (await auth.initialAdminPassword()) ?? "";
    api = await startApiServer({
      clients: clients(),
      namespace: fx.appNs,
      systemNamespace: fx.systemNamespace,
      auth,
    });
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), "tether-cli-"));
    configFile = path.join(tmp, "tether", "config.json");
  });
  after(async () => {
    await api?.close();
    await fx?.stop();
    if (tmp) await fs.rm(tmp, { recursive: true, force: true });
  });

  test("login: a bad password fails; the session is stored 0600 and used as a bearer token", async () => {
    const anonymous = await ok(["app", "list", "--server", api.url], 1);
    assert.match(anonymous.stderr, /tether login/);
    const bad = await ok(["login", "--server", api.url, "--password-stdin"], 1, { stdin: "wrong\n" });
    assert.match(bad.stderr, /invalid username or password/);
    await assert.rejects(fs.stat(configFile), "nothing stored after a failed login");

    const login = await ok(["login", "--server", api.url, "--username", "admin", "--password-stdin"], 0, {
      stdin: `${password}\n`,
    });
    assert.match(login.stdout, /logged in .* as admin/);
    const stat = await fs.stat(configFile);
    assert.equal(stat.mode & 0o777, 0o600);
    const saved = JSON.parse(await fs.readFile(configFile, "utf8")) as { server: string; token: string };
    assert.equal(saved.server, api.url);
    assert.ok(saved.token.length > 20);
    // The stored server and token serve later commands; --token / TETHER_TOKEN override it.
    assert.deepEqual((await json<ApplicationList>(["app", "list"])).items, []);
    await ok(["app", "list", "--token", "not-a-session"], 1);
    await ok(["app", "list"], 1, { env: { TETHER_TOKEN: "not-a-session" } });
  });

  test("seed scenario with the CLI alone: create, wait, list, drift → diff → sync, new commit → history, rollback, delete", async () => {
    const created = await ok([
      "app",
      "create",
      "web",
      "--repo",
      url,
      "--path",
      "web",
      "--revision",
      "main",
      "--dest-namespace",
      dest,
      "--auto-sync",
      "--label",
      "team=web",
    ]);
    assert.match(created.stdout, new RegExp(`application ${fx.appNs}/web created`));
    const waited = await ok(["app", "wait", "web", "--sync", "--health", "--timeout", "2m"]);
    assert.match(waited.stdout, /is Synced and Healthy/);

    const list = await json<ApplicationList>(["app", "list"]);
    const web = list.items.find((a) => a.name === "web");
    assert.equal(web?.sync, "Synced");
    assert.equal(web?.health, "Healthy");
    assert.equal(web?.repoURL, url);
    assert.deepEqual(web?.labels, { team: "web" });
    const firstSha = await ws.head();
    assert.equal(web?.revision, firstSha);
    assert.equal(await replicas(), 1);
    const tree = await waitFor(
      "the live ReplicaSet in the tree",
      async () => {
        const text = (await ok(["app", "get", "web", "--tree"])).stdout;
        return /^ {2}└─ ReplicaSet\.apps \S+\/web-\S+ /m.test(text) ? text : undefined;
      },
      { timeoutMs: 30_000 },
    );
    assert.match(tree, new RegExp(`^Deployment\\.apps ${dest}/web Synced Healthy$`, "m"));

    // Drift with self-heal off: the cluster changes, Tether notices and reports, and leaves it.
    await clients().objects.patch(
      {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "web", namespace: dest },
        spec: { replicas: 3 },
      },
      undefined,
      undefined,
      "kubectl-edit",
      undefined,
      PatchStrategy.MergePatch,
    );
    await waitFor(
      "web to be OutOfSync",
      async () => (await json<ApplicationDetail>(["app", "get", "web"])).sync === "OutOfSync",
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    const diff = await ok(["app", "diff", "web"], 1);
    assert.match(diff.stdout, new RegExp(`=== Deployment.apps ${dest}/web: OutOfSync`));
    assert.match(diff.stdout, /differs: \/spec\/replicas/);
    assert.match(diff.stdout, /replicas: 3/);
    assert.equal(await replicas(), 3, "self-heal is off: Tether did not undo the drift");
    const table = await ok(["app", "get", "web"]);
    assert.match(table.stdout, /Sync:\s+OutOfSync/);
    assert.match(table.stdout, /apps\s+Deployment\s+\S+\s+web\s+OutOfSync/);

    await ok(["app", "sync", "web"]);
    await ok(["app", "wait", "web", "--sync", "--timeout", "1m"]);
    assert.equal(await replicas(), 1, "the sync re-applied Git");
    await ok(["app", "diff", "web"], 0);

    // A new commit: refresh, then the automated sync follows it; history gains an entry.
    const before = await json<{ items: HistoryEntryView[] }>(["app", "history", "web"]);
    const sha = await ws.commitAndPush({ "web/deployment.yaml": deployment("web", 2) }, "web: 2 replicas");
    await ok(["app", "refresh", "web"]);
    await ok(["app", "wait", "web", "--sync", "--health", "--timeout", "2m"]);
    const history = await waitFor(
      "the new commit in history",
      async () => {
        const h = await json<{ items: HistoryEntryView[] }>(["app", "history", "web"]);
        return h.items.at(-1)?.revision === sha ? h.items : undefined;
      },
      { timeoutMs: 60_000 },
    );
    assert.ok(history.length >= 2, `2+ history entries, got ${history.length}`);
    assert.equal(history.length, before.items.length + 1);
    assert.equal(history[0]?.revision, firstSha);
    assert.equal(await replicas(), 2);
    const historyTable = await ok(["app", "history", "web"]);
    assert.match(historyTable.stdout, /^ID\s+DEPLOYED\s+REVISION\s+RESULT\s+MESSAGE$/m);
    assert.match(historyTable.stdout, new RegExp(`${sha.slice(0, 7)}\\s+Succeeded\\s+web: 2 replicas`));

    // Rollback to the first entry: live matches the old commit, and new commits are not followed.
    const first = history[0];
    assert.ok(first);
    await ok(["app", "rollback", "web", String(first.id)]);
    await ok(["app", "wait", "web", "--sync", "--health", "--timeout", "2m"]);
    const rolled = await json<ApplicationDetail>(["app", "get", "web"]);
    assert.equal(rolled.revision, firstSha);
    assert.ok(rolled.conditions.some((c) => c.type === "AutoSyncPaused" && c.status === "True"));
    assert.equal(await replicas(), 1, "live matches the old commit");
    const unknownId = await ok(["app", "rollback", "web", "999"], 1);
    assert.match(unknownId.stderr, /history has no entry with id 999/);
    assert.match(unknownId.stderr, /field: id/);

    // Delete (cascade by default): the app and what it deployed go.
    await ok(["app", "delete", "web", "--wait", "--timeout", "2m"]);
    const gone = await ok(["app", "get", "web"], 1);
    assert.match(gone.stderr, /application web not found/);
    await waitFor(
      "the Deployment to be deleted",
      async () =>
        await replicas().then(
          () => false,
          () => true,
        ),
      { timeoutMs: 60_000 },
    );
  });

  test("bad input: unknown app (1), unknown flag and malformed arguments (2), invalid spec names the field (1)", async () => {
    const unknown = await ok(["app", "get", "nope"], 1);
    assert.equal(unknown.stderr, "tether: application nope not found\n");
    const explicit = await ok(["app", "get", `${fx.appNs}/nope`], 1);
    assert.match(explicit.stderr, new RegExp(`application ${fx.appNs}/nope not found`));

    const flag = await ok(["app", "list", "--bogus"], 2);
    assert.match(flag.stderr, /Unknown option '--bogus'/);
    assert.match(flag.stderr, /Usage: tether app/);
    assert.match(flag.stderr, /Exit codes:/);
    await ok(["app", "frobnicate"], 2);
    await ok(["frobnicate"], 2);
    await ok(["app", "list", "-o", "xml"], 2);
    await ok(["app", "get"], 2);
    await ok(["app", "wait", "x", "--timeout", "soon"], 2);
    await ok(["app", "sync", "x", "--resource", "Deployment/web"], 2);
    await ok(["app", "rollback", "x", "latest"], 2);
    await ok(["app", "delete", "x", "--cascade=maybe"], 2);

    const badNs = await ok(["app", "create", "bad", "--repo", url, "--dest-namespace", "Not_A_Namespace"], 1);
    assert.match(badNs.stderr, /Not_A_Namespace/);
    assert.match(badNs.stderr, /field: spec\.destination\.namespace/);
    const noRepo = await ok(["app", "create", "bad", "--path", "web", "--dest-namespace", dest], 1);
    assert.match(noRepo.stderr, /field: spec\.source\.repoURL/);
    const file = path.join(tmp, "bad.yaml");
    await fs.writeFile(
      file,
      `metadata:\n  name: from-file\nspec:\n  source:\n    repoURL: ${url}\n    path: ../etc\n  destination:\n    namespace: ${dest}\n`,
    );
    const badPath = await ok(["app", "create", "-f", file], 1);
    assert.match(badPath.stderr, /must be relative and stay inside the repository/);
    assert.match(badPath.stderr, /field: spec\.source\.path/);
    assert.deepEqual(
      (await json<ApplicationList>(["app", "list"])).items
        .map((a) => a.name)
        .filter((n) => n === "bad" || n === "from-file"),
      [],
    );
  });

  test("wait: a timeout exits 3 with what was awaited; create -f with flags; sync --dry-run changes nothing", async () => {
    const file = path.join(tmp, "manual.yaml");
    await fs.writeFile(
      file,
      `apiVersion: tether.dev/v1alpha1\nkind: Application\nmetadata:\n  name: manual\nspec:\n  source:\n    repoURL: ${url}\n    path: web\n  destination:\n    server: https://kubernetes.default.svc\n`,
    );
    await ok(["app", "create", "-f", file, "--dest-namespace", dest, "--revision", "main"]);
    await waitFor(
      "manual compared",
      async () => (await json<ApplicationDetail>(["app", "get", "manual"])).sync === "OutOfSync",
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    const detail = await json<ApplicationDetail>(["app", "get", "manual"]);
    assert.deepEqual(detail.spec["destination"], {
      server: "https://kubernetes.default.svc",
      namespace: dest,
    });
    assert.equal(detail.targetRevision, "main");

    const started = Date.now();
    const timeout = await ok(["app", "wait", "manual", "--sync", "--timeout", "3s"], 3);
    assert.ok(Date.now() - started >= 3_000);
    assert.match(timeout.stderr, /timed out waiting for .*manual to be Synced \(sync OutOfSync\)/);
    assert.match(
      timeout.stdout,
      /manual: sync OutOfSync, health /,
      "plain progress lines when stdout is not a TTY",
    );

    const dry = await ok(["app", "sync", "manual", "--dry-run"]);
    assert.match(dry.stdout, /=== Deployment\.apps .*\/web: OutOfSync/);
    assert.equal(
      (await json<ApplicationDetail>(["app", "get", "manual"])).annotations?.["tether.dev/sync"],
      undefined,
    );
  });

  test("kubeconfig-only mode (--core, and when no API server answers): list, get, sync, history, same output", async () => {
    // Same table either way, from the same views.
    const viaApi = await ok(["app", "list"]);
    const viaKube = await ok(["app", "list", ...core()]);
    assert.equal(viaKube.stdout, viaApi.stdout);
    assert.match(viaKube.stdout, /^NAMESPACE\s+NAME\s+PROJECT\s+SYNC\s+HEALTH\s+REVISION$/m);
    const listed = JSON.parse((await ok(["app", "list", ...core(), "-o", "json"])).stdout) as ApplicationList;
    assert.deepEqual(
      listed.items.map((a) => a.name),
      ["manual"],
    );
    const got = JSON.parse(
      (await ok(["app", "get", "manual", ...core(), "-o", "json"])).stdout,
    ) as ApplicationDetail;
    assert.equal(got.name, "manual");
    assert.equal(got.sync, "OutOfSync");
    const missing = await ok(["app", "get", "nope", ...core()], 1);
    assert.match(missing.stderr, new RegExp(`application ${fx.appNs}/nope not found`));
    const invalid = await ok(
      ["app", "create", "bad", ...core(), "--repo", url, "--dest-namespace", "Not_A_Namespace"],
      1,
    );
    assert.match(invalid.stderr, /field: spec\.destination\.namespace/);

    // A sync through the cluster: the same annotation the API writes, acted on by the controller.
    await ok(["app", "sync", "manual", ...core(), "--resource", `apps/Deployment/${dest}/web`]);
    await ok(["app", "wait", "manual", ...core(), "--sync", "--timeout", "1m"]);
    const history = JSON.parse((await ok(["app", "history", "manual", ...core(), "-o", "json"])).stdout) as {
      items: HistoryEntryView[];
    };
    assert.equal(history.items.length, 1);
    assert.equal(history.items[0]?.initiatedBy, "manual");
    assert.equal(
      (await ok(["app", "history", "manual", ...core(), "-o", "yaml"])).stdout,
      (await ok(["app", "history", "manual", "-o", "yaml"])).stdout,
    );

    // No --core, no server named, the configured one is down: the kubeconfig answers, with a note.
    const down = path.join(tmp, "down.json");
    await fs.writeFile(
      down,
      JSON.stringify({ server: `http://127.0.0.1:${await closedPort()}`, token: "x" }),
      { mode: 0o600 },
    );
    const fallback = await ok(["app", "get", "manual", "-o", "json"], 0, {
      env: { TETHER_CONFIG: down, KUBECONFIG: testEnv.kubeconfig, TETHER_APP_NAMESPACE: fx.appNs },
    });
    assert.match(fallback.stderr, /no API server answers .* using the kubeconfig/);
    assert.equal((JSON.parse(fallback.stdout) as ApplicationDetail).sync, "Synced");
    // An explicitly named server that is down is an error, not a silent switch.
    const named = await ok(["app", "list", "--server", `http://127.0.0.1:${await closedPort()}`], 1);
    assert.match(named.stderr, /cannot reach the API server/);

    await ok(["app", "delete", "manual", ...core(), "--cascade=false", "--wait", "--timeout", "1m"]);
    assert.ok(await replicas(), "cascade=false keeps what the app deployed");
  });
});
