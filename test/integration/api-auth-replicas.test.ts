// Two API servers on the same system namespace behave as one: sessions, logouts, password changes
// and accounts live in the cluster (Secret tether-sessions, ConfigMap/Secret tether-accounts) and
// reach the other replica through its watches, never by polling (the streams' periodic recheck is
// turned off here, so an ended stream proves the watch did it). Also: a restarted replica keeps
// everyone logged in, local accounts from ConfigMap tether-accounts (set by `tether account
// update-password` run as a child process), and bad objects reported by name while the rest works.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import type { ApiAuth } from "../../src/api/authn.js";
import { createApiAuth, RBAC_CONFIGMAP } from "../../src/api/authn.js";
import { INITIAL_ADMIN_PASSWORD_SECRET, SESSIONS_SECRET } from "../../src/api/auth/index.js";
import type { ApiServer } from "../../src/api/server.js";
import { startApiServer } from "../../src/api/server.js";
import { repoRoot } from "../../src/toolchain/components.js";
import { waitFor } from "../../src/lib/wait.js";
import type { AuthApiFixture, Reply } from "../helpers/api.js";
import { bearer, callApi, openStream, startAuthApi } from "../helpers/api.js";
import { clients } from "../helpers/environment.js";

const POLICY = `
roles:
  - name: a-viewer
    rules:
      - actions: [get]
        projects: [a]
        applications: ["*/*"]
bindings:
  - role: a-viewer
    users: [alice, carol, ci]
`;
const WATCH = { timeoutMs: 15_000, intervalMs: 20 };
const NO_RECHECK = 600_000;

interface Replica {
  auth: ApiAuth;
  api: ApiServer;
  call(
    method: string,
    path: string,
    init?: { headers?: Record<string, string>; body?: unknown },
  ): Promise<Reply>;
  close(): Promise<void>;
}

describe("api: two stateless replicas share auth state through the cluster", () => {
  let fx: AuthApiFixture;
  /** Replica A: the fixture's server, then its restarted successor. */
  let a: Pick<Replica, "call"> & { api: ApiServer };
  let b: Replica;
  let restartedA: Replica | undefined;
  let adminPassword = "";
  const logs: string[] = [];
  let configDir = "";

  const replica = async (): Promise<Replica> => {
    const auth = await createApiAuth({
      clients: clients(),
      namespace: fx.systemNs,
      cacheMs: 0,
      log: (l) => logs.push(l),
    });
    const api = await startApiServer({
      clients: clients(),
      namespace: fx.appNs,
      auth,
      streamRecheckMs: NO_RECHECK,
    });
    return {
      auth,
      api,
      call: (method, p, init) => callApi(api.url, method, p, init),
      async close() {
        await api.close();
        await auth.close?.();
      },
    };
  };
  const login = async (on: { call: Replica["call"] }, username: string, password: string) =>
    on.call("POST", "/api/v1/session", { body: { username, password } });
  const tokenOf = (reply: Reply) => (reply.body as { token: string }).token;
  const status = async (on: { call: Replica["call"] }, token: string) =>
    (await on.call("GET", "/api/v1/session", { headers: bearer(token) })).status;
  const setAccounts = async (data: Record<string, string>) => {
    const { core } = clients();
    const body = { metadata: { name: "tether-accounts", namespace: fx.systemNs }, data };
    try {
      const live = await core.readNamespacedConfigMap({ name: "tether-accounts", namespace: fx.systemNs });
      await clients().raw.request({
        method: "PUT",
        path: `/api/v1/namespaces/${fx.systemNs}/configmaps/tether-accounts`,
        body: { ...body, metadata: { ...body.metadata, resourceVersion: live.metadata?.resourceVersion } },
      });
    } catch {
      await core.createNamespacedConfigMap({ namespace: fx.systemNs, body });
    }
  };
  const cli = (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
    const env: NodeJS.ProcessEnv = { ...process.env, TETHER_CONFIG: path.join(configDir, "config.json") };
    for (const name of ["TETHER_SERVER", "TETHER_TOKEN", "KUBECONFIG"]) delete env[name];
    const child = spawn(
      process.execPath,
      ["--import", "tsx", path.join(repoRoot, "src/cli/main.ts"), ...args],
      { cwd: repoRoot, env },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.stdin.end();
    return new Promise((resolve) =>
      child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr })),
    );
  };

  before(async () => {
    configDir = await fs.mkdtemp(path.join(os.tmpdir(), "tether-accounts-cli-"));
    fx = await startAuthApi("replicas", POLICY, { log: (l) => logs.push(l) });
    a = fx;
    b = await replica();
    adminPassword = (await fx.auth.initialAdminPassword()) ?? "";
  });
  after(async () => {
    await b?.close();
    await restartedA?.close();
    await fx?.auth.close?.();
    await fx?.stop();
    await fs.rm(configDir, { recursive: true, force: true });
  });

  test("the initial admin password is in Secret tether-initial-admin, works, and is never logged", async () => {
    const secret = await clients().core.readNamespacedSecret({
      name: INITIAL_ADMIN_PASSWORD_SECRET,
      namespace: fx.systemNs,
    });
    assert.equal(INITIAL_ADMIN_PASSWORD_SECRET, "tether-initial-admin");
    assert.equal(Buffer.from(secret.data?.["password"] ?? "", "base64").toString("utf8"), adminPassword);
    assert.equal((await login(fx, "admin", adminPassword)).status, 200);
    assert.equal((await login(b, "admin", adminPassword)).status, 200);
    assert.ok(logs.some((l) => l.includes(`Secret ${fx.systemNs}/tether-initial-admin`)));
    assert.ok(!logs.some((l) => l.includes(adminPassword)), "the password is in no log line");
  });

  test("log in on A, use the session on B; logout on A → B refuses and B's open stream ends", async () => {
    const token = tokenOf(await login(fx, "admin", adminPassword));
    assert.equal(await status(b, token), 200);
    const stream = await openStream(b.api.url, bearer(token));
    try {
      assert.equal((await fx.call("DELETE", "/api/v1/session", { headers: bearer(token) })).status, 200);
      await waitFor(
        "B to refuse the session logged out on A",
        async () => (await status(b, token)) === 401,
        WATCH,
      );
      await stream.ended;
      assert.match(stream.text(), /event: revoked/);
    } finally {
      stream.close();
    }
  });

  test("logout everywhere on B ends the user's other sessions on A", async () => {
    const first = tokenOf(await login(fx, "admin", adminPassword));
    const second = tokenOf(await login(b, "admin", adminPassword));
    const reply = await b.call("DELETE", "/api/v1/session?everywhere=true", { headers: bearer(second) });
    assert.equal(reply.status, 200);
    await waitFor(
      "A to refuse sessions issued before the cut-off",
      async () => (await status(fx, first)) === 401,
      WATCH,
    );
    // A new login after the cut-off works on both.
    const fresh = tokenOf(await login(fx, "admin", adminPassword));
    assert.equal(await status(b, fresh), 200);
  });

  test("a burst of logouts on both replicas at once: each succeeds and is refused on the other replica", async () => {
    // Hostile testing: 45 simultaneous logouts across 3 replicas exhausted the write retries (500)
    // and left those sessions valid on the other replicas. Writes are batched per replica now.
    const tokens = await Promise.all(
      Array.from({ length: 24 }, async (_, i) =>
        tokenOf(await login(i % 2 ? b : fx, "admin", adminPassword)),
      ),
    );
    const replies = await Promise.all(
      tokens.map((t, i) => (i % 2 ? fx : b).call("DELETE", "/api/v1/session", { headers: bearer(t) })),
    );
    assert.deepEqual(
      replies.map((r) => r.status),
      tokens.map(() => 200),
      replies.map((r) => r.text).join("\n"),
    );
    for (const [i, token] of tokens.entries()) {
      await waitFor(
        `logout ${i} refused on the other replica`,
        async () => (await status(i % 2 ? b : fx, token)) === 401,
        WATCH,
      );
    }
  });

  test("login refuses a body that is not application/json (login CSRF through a text/plain form)", async () => {
    const reply = await fx.call("POST", "/api/v1/session", {
      headers: {
        "content-type": "text/plain",
        origin: "https://evil.example",
        "sec-fetch-site": "cross-site",
      },
      body: JSON.stringify({ username: "admin", password: adminPassword, z: "=" }),
    });
    assert.equal(reply.status, 400, reply.text);
    assert.match(reply.text, /Content-Type: application\/json/);
    assert.equal(reply.headers.get("set-cookie"), null, "no session cookie");
  });

  test("a password change on B cuts off A's older sessions; a restarted A keeps the newer session", async () => {
    const old = tokenOf(await login(fx, "admin", adminPassword));
    const mine = tokenOf(await login(b, "admin", adminPassword));
    const fresh = "replica-admin-password-2";
    const changed = await b.call("PUT", "/api/v1/account/password", {
      headers: bearer(mine),
      body: { currentPassword: adminPassword, newPassword: fresh },
    });
    assert.equal(changed.status, 200, changed.text);
    adminPassword = fresh;
    const renewed = tokenOf(changed);
    await waitFor(
      "A to refuse the session older than the password change",
      async () => (await status(fx, old)) === 401,
      WATCH,
    );
    assert.equal(await status(fx, renewed), 200);

    // Restart A: close it (server and watches) and start another on the same namespace.
    await fx.api.close();
    await fx.auth.close?.();
    restartedA = await replica();
    a = restartedA;
    assert.equal(await status(a, renewed), 200, "a restart logs nobody out");
    assert.equal(await status(a, old), 401, "and forgets no cut-off");
  });

  test("accounts from ConfigMap tether-accounts: set by `tether account update-password`, disabled, without login", async () => {
    await setAccounts({
      "accounts.alice": "login, apiKey",
      "accounts.carol": "login",
      "accounts.ci": "apiKey",
      "accounts.bob": "login, fly",
    });
    const admin = tokenOf(await login(b, "admin", adminPassword));
    await waitFor(
      "B to see the accounts",
      async () => {
        const names = (
          (await b.call("GET", "/api/v1/accounts", { headers: bearer(admin) })).body as {
            items?: { name: string }[];
          }
        ).items?.map((a) => a.name);
        return names?.includes("alice") && names.includes("bob");
      },
      WATCH,
    );

    for (const [account, password] of [
      ["alice", "alice-password-1"],
      ["carol", "carol-password-1"],
      ["ci", "ci-password-123"],
    ]) {
      const run = await cli([
        "account",
        "update-password",
        "--server",
        b.api.url,
        "--token",
        admin,
        "--account",
        account ?? "",
        "--current-password",
        adminPassword,
        "--new-password",
        password ?? "",
      ]);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, new RegExp(`password of ${account} set`));
    }
    const list = await cli(["account", "list", "--server", b.api.url, "--token", admin]);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /alice\s+true\s+apiKey, login\s+yes/);
    assert.match(
      list.stdout,
      /bob\s+false\s+login\s+no\s+ConfigMap tether-accounts key accounts\.bob: unknown capabilities "fly"/,
    );

    const alice = await login(b, "alice", "alice-password-1");
    assert.equal(alice.status, 200, alice.text);
    const aliceSession = tokenOf(alice);
    assert.equal(await status(a, aliceSession), 200);
    const apps = (await b.call("GET", "/api/v1/applications", { headers: bearer(aliceSession) })).body as {
      items: { name: string }[];
    };
    assert.deepEqual(
      apps.items.map((a) => a.name),
      ["in-a"],
      "RBAC subject of a local account is its name",
    );
    const aliceToken = (
      await b.call("POST", "/api/v1/tokens", { headers: bearer(aliceSession), body: { description: "t" } })
    ).body as { token: string };
    assert.equal(await status(a, aliceToken.token), 200);

    assert.equal((await login(b, "ci", "ci-password-123")).status, 401, "no login capability");
    assert.equal(
      (
        await b.call("POST", "/api/v1/tokens", {
          headers: bearer(admin),
          body: { owner: "carol", roles: ["a-viewer"] },
        })
      ).status,
      403,
      "no apiKey",
    );
    const ciToken = (
      await b.call("POST", "/api/v1/tokens", {
        headers: bearer(admin),
        body: { owner: "ci", roles: ["a-viewer"] },
      })
    ).body as { token: string };
    assert.equal(await status(a, ciToken.token), 200);
    assert.equal((await login(b, "bob", "anything-at-all")).status, 401);
    assert.ok(
      logs.some((l) => /ConfigMap tether-accounts key accounts\.bob: unknown capabilities "fly"/.test(l)),
      "named in the log",
    );
    const carol = tokenOf(await login(a, "carol", "carol-password-1"));
    const bySomeone = await a.call("PUT", "/api/v1/accounts/alice/password", {
      headers: bearer(carol),
      body: { currentPassword: "carol-password-1", newPassword: "carol-sets-alice-1" },
    });
    assert.equal(bySomeone.status, 403, "only the admin role sets another's password");

    // Disable alice, remove ci: their sessions and tokens stop at once on both replicas; carol works.
    await setAccounts({
      "accounts.alice": "login, apiKey",
      "accounts.alice.enabled": "false",
      "accounts.carol": "login",
      "accounts.bob": "login, fly",
    });
    for (const [what, replica, token] of [
      ["alice's session on A", a, aliceSession],
      ["alice's session on B", b, aliceSession],
      ["alice's token on A", a, aliceToken.token],
      ["ci's token on B", b, ciToken.token],
    ] as const) {
      await waitFor(`${what} to be refused`, async () => (await status(replica, token)) === 401, WATCH);
    }
    assert.equal(
      (await login(b, "alice", "alice-password-1")).status,
      401,
      "a disabled account cannot log in",
    );
    assert.equal(await status(b, carol), 200, "the other accounts keep working");
  });

  test("garbage in Secret tether-sessions and a bad tether-rbac are named in the log; the rest keeps working", async () => {
    const token = tokenOf(await login(a, "admin", adminPassword));
    const { core, raw } = clients();
    const live = await core.readNamespacedSecret({ name: SESSIONS_SECRET, namespace: fx.systemNs });
    const data = { ...live.data, "revoked.x": Buffer.from("garbage").toString("base64") };
    await raw.request({
      method: "PUT",
      path: `/api/v1/namespaces/${fx.systemNs}/secrets/${SESSIONS_SECRET}`,
      body: { ...live, data },
    });
    await waitFor(
      "the garbage entry in the log",
      () => logs.some((l) => l.includes(`Secret ${SESSIONS_SECRET} key revoked.x`)),
      WATCH,
    );
    assert.equal(await status(b, token), 200);
    // A logout still writes (and drops the garbage).
    assert.equal((await b.call("DELETE", "/api/v1/session", { headers: bearer(token) })).status, 200);
    await waitFor("A to refuse the logged-out session", async () => (await status(a, token)) === 401, WATCH);

    const admin = tokenOf(await login(b, "admin", adminPassword));
    await raw.request({
      method: "PUT",
      path: `/api/v1/namespaces/${fx.systemNs}/configmaps/${RBAC_CONFIGMAP}`,
      body: {
        metadata: { name: RBAC_CONFIGMAP, namespace: fx.systemNs },
        data: { "policy.yaml": "roles: [oops" },
      },
    });
    assert.equal((await b.call("GET", "/api/v1/applications", { headers: bearer(admin) })).status, 200);
    assert.ok(
      logs.some((l) => l.includes(`ConfigMap ${RBAC_CONFIGMAP} rejected, keeping the last good policy`)),
    );
  });
});
