// The API with authentication on (createApiAuth against the real control plane): login, rate
// limiting, 401 on every /api/v1 route without credentials, cookie + CSRF, bearer session and API
// tokens, logout, and RBAC from the tether-rbac ConfigMap (list filtering, 404 for an app the
// caller may not see, 403 for an action they lack, the stream filtered too).
//
// checkLocalLogin only knows the local admin, so the non-admin user "alice" authenticates with an
// API token minted by mintApiToken (authn.ts) — there is no tether-users Secret.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { ApiAuth } from "../../src/api/authn.js";
import {
  API_TOKENS_SECRET,
  createApiAuth,
  mintApiToken,
  RBAC_CONFIGMAP,
  SERVER_KEYS_SECRET,
} from "../../src/api/authn.js";
import { ADMIN_SECRET, INITIAL_ADMIN_PASSWORD_SECRET, storeErrorStatus } from "../../src/api/auth/index.js";
import type { ApiServer } from "../../src/api/server.js";
import { startApiServer } from "../../src/api/server.js";
import type { ApplicationDetail, ApplicationList } from "../../src/api/types.js";
import { KubeSecretStore } from "../../src/api/auth/kubesecretstore.js";
import type { ControllerFixture } from "../helpers/app.js";
import { configMap, IN_CLUSTER, startControllerFixture } from "../helpers/app.js";
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
    users: [alice]
`;

interface Reply {
  status: number;
  headers: Headers;
  body: unknown;
}

describe("api: authentication and authorization", () => {
  let fx: ControllerFixture;
  let api: ApiServer;
  let auth: ApiAuth;
  let systemNs: string;
  let password: string;
  let aliceToken: string;

  const call = async (
    method: string,
    path: string,
    init: { headers?: Record<string, string>; body?: unknown } = {},
  ): Promise<Reply> => {
    const response = await fetch(`${api.url}${path}`, {
      method,
      headers: {
        ...(init.body !== undefined ? { "content-type": "application/json" } : {}),
        ...init.headers,
      },
      ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
    });
    const text = await response.text();
    const type = response.headers.get("content-type") ?? "";
    return {
      status: response.status,
      headers: response.headers,
      body: type.includes("json") ? JSON.parse(text) : text,
    };
  };
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const login = async (pw = password) =>
    call("POST", "/api/v1/session", { body: { username: "admin", password: pw } });
  const adminToken = async () => {
    const reply = await login();
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    return (reply.body as { token: string }).token;
  };
  const appPath = (name: string, rest = "") => `/api/v1/applications/${fx.appNs}/${name}${rest}`;

  before(async () => {
    fx = await startControllerFixture("auth");
    systemNs = await fx.namespace("auth-system");
    const { url } = await fx.repository("auth", {
      "cfg/settings.yaml": configMap("settings", { level: "1" }),
    });
    await clients().core.createNamespacedConfigMap({
      namespace: systemNs,
      body: { metadata: { name: RBAC_CONFIGMAP }, data: { "policy.yaml": POLICY } },
    });
    const dest = await fx.namespace("auth-dest");
    const spec = (project: string) => ({
      project,
      source: { repoURL: url, targetRevision: "main", path: "cfg" },
      destination: { server: IN_CLUSTER, namespace: dest },
    });
    await fx.createApp("in-a", spec("a"));
    await fx.createApp("in-b", spec("b"));
    auth = await createApiAuth({ clients: clients(), namespace: systemNs, rateLimit: { maxFailures: 3 } });
    password = (await auth.initialAdminPassword()) ?? "";
    aliceToken = await mintApiToken(clients(), systemNs, { owner: "alice", roles: ["a-viewer"] });
    api = await startApiServer({ clients: clients(), namespace: fx.appNs, auth, heartbeatMs: 200 });
  });
  after(async () => {
    await api?.close();
    await fx?.stop();
  });

  test("bootstrap: admin Secrets and server keys exist; a second start reuses them", async () => {
    assert.match(password, /^[A-Za-z0-9_-]{32}$/);
    for (const name of [ADMIN_SECRET, INITIAL_ADMIN_PASSWORD_SECRET, SERVER_KEYS_SECRET, API_TOKENS_SECRET]) {
      await clients().core.readNamespacedSecret({ name, namespace: systemNs });
    }
    // The SecretStore keeps string values; the keys are those strings as base64 of 32 bytes.
    const keys = await clients().core.readNamespacedSecret({ name: SERVER_KEYS_SECRET, namespace: systemNs });
    const bytes = (key: string) =>
      Buffer.from(Buffer.from(keys.data?.[key] ?? "", "base64").toString("utf8"), "base64").length;
    assert.equal(bytes("sessionKey"), 32);
    assert.equal(bytes("csrfKey"), 32);
    // A second server on the same Secrets: same password, and it accepts the first one's sessions.
    const again = await createApiAuth({ clients: clients(), namespace: systemNs });
    assert.equal(await again.initialAdminPassword(), password);
    const second = await startApiServer({ clients: clients(), namespace: fx.appNs, auth: again });
    try {
      const token = await adminToken();
      const reply = await fetch(`${second.url}/api/v1/applications`, { headers: bearer(token) });
      assert.equal(reply.status, 200);
    } finally {
      await second.close();
    }
  });

  test("KubeSecretStore: string values round-trip; 409 on existing, stale update and stale delete", async () => {
    const store = new KubeSecretStore(clients(), systemNs);
    assert.equal(await store.read("tether-test-missing"), undefined);
    await store.create("tether-test", { a: "ü/1", b: "" });
    await assert.rejects(store.create("tether-test", { a: "x" }), (e) => storeErrorStatus(e) === 409);
    const first = await store.read("tether-test");
    assert.deepEqual(first?.data, { a: "ü/1", b: "" });
    await store.update("tether-test", { a: "2" }, first?.resourceVersion ?? "");
    await assert.rejects(
      store.update("tether-test", { a: "3" }, first?.resourceVersion ?? ""),
      (e) => storeErrorStatus(e) === 409,
    );
    await assert.rejects(
      store.delete("tether-test", first?.resourceVersion ?? ""),
      (e) => storeErrorStatus(e) === 409,
    );
    const second = await store.read("tether-test");
    assert.deepEqual(second?.data, { a: "2" });
    await store.delete("tether-test", second?.resourceVersion ?? "");
    assert.equal(await store.read("tether-test"), undefined);
  });

  test("unauthenticated: 401 on every /api/v1 route; open routes stay open", async () => {
    const routes: [string, string][] = [
      ["GET", "/api/v1/applications"],
      ["POST", "/api/v1/applications"],
      ["GET", appPath("in-a")],
      ["PUT", appPath("in-a")],
      ["DELETE", appPath("in-a")],
      ["POST", appPath("in-a", "/refresh")],
      ["POST", appPath("in-a", "/sync")],
      ["POST", appPath("in-a", "/rollback")],
      ["GET", appPath("in-a", "/history")],
      ["GET", appPath("in-a", "/resource-tree")],
      ["GET", appPath("in-a", "/diff")],
      ["GET", appPath("in-a", "/events")],
      ["GET", appPath("in-a", "/logs?pod=x")],
      ["GET", "/api/v1/stream"],
      ["GET", "/api/v1/session"],
      ["DELETE", "/api/v1/session"],
      ["GET", "/api/v1/no-such-route"],
    ];
    for (const [method, path] of routes) {
      for (const headers of [
        {},
        bearer("not-a-token"),
        bearer("tether_0123456789abcdef_" + "A".repeat(43)),
      ]) {
        const reply = await call(method, path, {
          headers,
          ...(method === "POST" || method === "PUT" ? { body: {} } : {}),
        });
        assert.equal(
          reply.status,
          401,
          `${method} ${path} ${JSON.stringify(headers)}: ${JSON.stringify(reply.body)}`,
        );
        assert.equal((reply.body as { error: { code: string } }).error.code, "unauthorized");
      }
    }
    assert.equal((await call("GET", "/healthz")).status, 200);
    assert.equal((await call("GET", "/metrics")).status, 200);
    const doc = await call("GET", "/api/openapi.json");
    assert.equal(doc.status, 200);
    assert.ok((doc.body as { paths: Record<string, unknown> }).paths["/api/v1/session"]);
    // The webhook is open but signature-checked: no signature → refused, not 401.
    const hook = await call("POST", "/api/webhook", { headers: { "x-github-event": "push" }, body: {} });
    assert.notEqual(hook.status, 200);
    assert.notEqual(hook.status, 401);
  });

  test("login: wrong password → 401, right → session token, cookie and CSRF token", async () => {
    const wrong = await login("wrong-password");
    assert.equal(wrong.status, 401);
    const ok = await login();
    assert.equal(ok.status, 200);
    const body = ok.body as { user: string; token: string; csrfToken: string };
    assert.equal(body.user, "admin");
    assert.ok(body.token && body.csrfToken);
    const cookie = ok.headers.get("set-cookie") ?? "";
    assert.match(cookie, /^tether_session=[^;]+; Path=\/; HttpOnly; SameSite=Lax/);
    const me = await call("GET", "/api/v1/session", { headers: bearer(body.token) });
    assert.equal(me.status, 200);
    assert.equal((me.body as { user: string }).user, "admin");
  });

  test("cookie session: reads pass, a POST without CSRF is 403, with CSRF it works", async () => {
    const ok = await login();
    const { csrfToken } = ok.body as { csrfToken: string };
    const cookie = (ok.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
    assert.equal((await call("GET", "/api/v1/applications", { headers: { cookie } })).status, 200);
    const without = await call("POST", appPath("in-a", "/refresh"), { headers: { cookie } });
    assert.equal(without.status, 403);
    const wrong = await call("POST", appPath("in-a", "/refresh"), {
      headers: { cookie, "x-csrf-token": "nope" },
    });
    assert.equal(wrong.status, 403);
    const withCsrf = await call("POST", appPath("in-a", "/refresh"), {
      headers: { cookie, "x-csrf-token": csrfToken },
    });
    assert.equal(withCsrf.status, 202, JSON.stringify(withCsrf.body));
    // A bad bearer token does not pass because a good cookie rides along.
    const mixed = await call("GET", "/api/v1/applications", { headers: { cookie, ...bearer("bogus") } });
    assert.equal(mixed.status, 401);
  });

  test("bearer session works without CSRF; logout revokes it", async () => {
    const token = await adminToken();
    const sync = await call("POST", appPath("in-a", "/sync"), { headers: bearer(token), body: {} });
    assert.equal(sync.status, 202, JSON.stringify(sync.body));
    const out = await call("DELETE", "/api/v1/session", { headers: bearer(token) });
    assert.equal(out.status, 200);
    assert.match(out.headers.get("set-cookie") ?? "", /Max-Age=0/);
    assert.equal((await call("GET", "/api/v1/applications", { headers: bearer(token) })).status, 401);
    assert.equal((await call("GET", "/api/v1/session", { headers: bearer(token) })).status, 401);
  });

  test("RBAC: admin sees both projects; alice (project a, get only) sees a, 404 on b, 403 on sync", async () => {
    const admin = bearer(await adminToken());
    const all = await call("GET", "/api/v1/applications", { headers: admin });
    assert.deepEqual((all.body as ApplicationList).items.map((a) => a.name).sort(), ["in-a", "in-b"]);
    assert.equal((await call("GET", appPath("in-b"), { headers: admin })).status, 200);

    const alice = bearer(aliceToken);
    const me = await call("GET", "/api/v1/session", { headers: alice });
    assert.deepEqual(me.body, { user: "alice", groups: [], via: "api-token" });
    const list = await call("GET", "/api/v1/applications", { headers: alice });
    assert.equal(list.status, 200);
    assert.deepEqual(
      (list.body as ApplicationList).items.map((a) => a.name),
      ["in-a"],
    );
    const mine = await call("GET", appPath("in-a"), { headers: alice });
    assert.equal(mine.status, 200);
    assert.equal((mine.body as ApplicationDetail).name, "in-a");
    for (const rest of ["", "/history", "/diff", "/events", "/resource-tree"]) {
      const other = await call("GET", appPath("in-b", rest), { headers: alice });
      assert.equal(other.status, 404, `GET in-b${rest}`);
      assert.doesNotMatch(JSON.stringify(other.body), /project|forbidden|may not/);
    }
    // Indistinguishable from an app that does not exist.
    const hidden = await call("GET", appPath("in-b"), { headers: alice });
    const missing = await call("GET", appPath("in-c"), { headers: alice });
    assert.deepEqual(hidden.body, JSON.parse(JSON.stringify(missing.body).replaceAll("in-c", "in-b")));
    // Actions on an app they cannot see are 404 too; on one they can see but lack the right, 403.
    assert.equal((await call("POST", appPath("in-b", "/sync"), { headers: alice, body: {} })).status, 404);
    const sync = await call("POST", appPath("in-a", "/sync"), { headers: alice, body: {} });
    assert.equal(sync.status, 403, JSON.stringify(sync.body));
    assert.equal(
      (await call("POST", appPath("in-a", "/rollback"), { headers: alice, body: { id: "cancel" } })).status,
      403,
    );
    assert.equal((await call("DELETE", appPath("in-a"), { headers: alice })).status, 403);
    assert.equal((await call("GET", appPath("in-a", "/logs?pod=x"), { headers: alice })).status, 403);
    const create = await call("POST", "/api/v1/applications", {
      headers: alice,
      body: {
        metadata: { name: "new-a" },
        spec: {
          project: "a",
          source: { repoURL: "https://example.com/r.git", path: "." },
          destination: { server: IN_CLUSTER, namespace: "x" },
        },
      },
    });
    assert.equal(create.status, 403, JSON.stringify(create.body));
    // An API token cannot log out (it is revoked, not logged out of).
    assert.equal((await call("DELETE", "/api/v1/session", { headers: alice })).status, 400);
  });

  test("the event stream only carries the applications the caller may get", async () => {
    const seen = async (headers: Record<string, string>) => {
      const abort = new AbortController();
      const response = await fetch(`${api.url}/api/v1/stream`, { headers, signal: abort.signal });
      assert.equal(response.status, 200);
      const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
      let text = "";
      while (!text.includes("event: ready")) {
        const { value, done } = await reader.read();
        if (done) break;
        text += value;
      }
      abort.abort();
      await reader.cancel().catch(() => undefined);
      return [...text.matchAll(/"name":"(in-[ab])"/g)].map((m) => m[1]).sort();
    };
    assert.deepEqual(await seen(bearer(aliceToken)), ["in-a"]);
    assert.deepEqual(await seen(bearer(await adminToken())), ["in-a", "in-b"]);
  });

  // Last: it locks admin logins from this address for the rest of this server's life.
  test("repeated wrong passwords are rate-limited: 429 with Retry-After, even with the right one", async () => {
    let reply = await login("wrong-password");
    for (let i = 0; i < 5 && reply.status === 401; i++) reply = await login("wrong-password");
    assert.equal(reply.status, 429, JSON.stringify(reply.body));
    assert.match(reply.headers.get("retry-after") ?? "", /^\d+$/);
    assert.ok(Number(reply.headers.get("retry-after")) >= 1);
    assert.equal((await login()).status, 429);
  });
});
