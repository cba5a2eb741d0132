// API token routes and the admin password change, with auth on against the real control plane.
//
// Non-admin users have no local password, so their sessions are minted here with the server's own
// session key (what an SSO login issues: `sso:` user + groups), read from Secret tether-server-keys.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { API_TOKENS_SECRET, createApiAuth } from "../../src/api/authn.js";
import { INITIAL_ADMIN_PASSWORD_SECRET, issueSession } from "../../src/api/auth/index.js";
import { startApiServer } from "../../src/api/server.js";
import type {
  ApiTokenList,
  ApiTokenView,
  ApplicationList,
  CreatedApiToken,
  LoginResponse,
} from "../../src/api/types.js";
import type { AuthApiFixture } from "../helpers/api.js";
import { bearer, startAuthApi } from "../helpers/api.js";
import { clients } from "../helpers/environment.js";

const POLICY = `
roles:
  - name: a-viewer
    rules:
      - actions: [get]
        projects: [a]
        applications: ["*/*"]
  - name: a-syncer
    rules:
      - actions: [get, sync]
        projects: [a]
        applications: ["*/*"]
bindings:
  - role: a-viewer
    groups: [team-a]
  - role: a-syncer
    users: ["sso:alice@example.com"]
`;
const ALICE = "sso:alice@example.com";
const BOB = "sso:bob@example.com";

describe("api: API tokens", () => {
  let fx: AuthApiFixture;
  const session = async (user: string, groups: string[]) =>
    bearer(issueSession(user, await fx.sessionKey(), { now: Date.now, groups }).token);
  const names = (reply: { body: unknown }) => (reply.body as ApplicationList).items.map((a) => a.name);
  const adminSession = async () => {
    const password = (await fx.auth.initialAdminPassword()) ?? "";
    const login = await fx.call("POST", "/api/v1/session", { body: { username: "admin", password } });
    assert.equal(login.status, 200, login.text);
    return bearer((login.body as LoginResponse).token);
  };

  before(async () => {
    fx = await startAuthApi("tokens", POLICY);
  });
  after(async () => {
    await fx?.stop();
  });

  test("create: the token is shown once, listed without its secret, and acts within its roles", async () => {
    const alice = await session(ALICE, ["team-a"]);
    const created = await fx.call("POST", "/api/v1/tokens", {
      headers: alice,
      body: { description: "ci", roles: ["a-viewer"] },
    });
    assert.equal(created.status, 201, created.text);
    const token = created.body as CreatedApiToken;
    assert.match(token.token, /^tether_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    assert.equal(token.owner, ALICE);
    assert.deepEqual(token.roles, ["a-viewer"]);
    assert.deepEqual(token.groups, ["team-a"]);
    assert.equal(created.headers.get("cache-control"), "no-store");

    // The secret is base64url, which may itself hold "_": take everything after the id.
    const secretPart = token.token.split("_").slice(2).join("_");
    assert.ok(secretPart.length >= 32, "a whole secret, not a fragment that could match by chance");
    const list = await fx.call("GET", "/api/v1/tokens", { headers: alice });
    assert.equal(list.status, 200);
    const items = (list.body as ApiTokenList).items;
    assert.deepEqual(
      items.map((t) => t.id),
      [token.id],
    );
    assert.ok(
      !list.text.includes(secretPart) && !list.text.includes("secretHash") && !list.text.includes('token"'),
      list.text,
    );
    // Nor does the Secret hold it: only a hash.
    const stored = await clients().core.readNamespacedSecret({
      name: API_TOKENS_SECRET,
      namespace: fx.systemNs,
    });
    assert.ok(!JSON.stringify(stored).includes(secretPart));

    // The token is alice restricted to a-viewer: she may sync project a, the token may not.
    const t = bearer(token.token);
    assert.deepEqual(names(await fx.call("GET", "/api/v1/applications", { headers: t })), ["in-a"]);
    const sync = `/api/v1/applications/${fx.appNs}/in-a/sync`;
    assert.equal((await fx.call("POST", sync, { headers: t, body: {} })).status, 403);
    assert.equal((await fx.call("POST", sync, { headers: alice, body: {} })).status, 202);
  });

  test("revoke: refused at once, here and on another server; revoking twice is harmless", async () => {
    const alice = await session(ALICE, ["team-a"]);
    const created = (await fx.call("POST", "/api/v1/tokens", { headers: alice, body: {} }))
      .body as CreatedApiToken;
    assert.deepEqual(created.roles.sort(), ["a-syncer", "a-viewer"], "all of alice's roles by default");
    // A second replica: its own auth (caches, revocation memory) on the same Secrets.
    const otherAuth = await createApiAuth({ clients: clients(), namespace: fx.systemNs });
    const other = await startApiServer({ clients: clients(), namespace: fx.appNs, auth: otherAuth });
    try {
      const use = (url: string) =>
        fetch(`${url}/api/v1/applications`, { headers: bearer(created.token) }).then((r) => r.status);
      assert.equal(await use(fx.api.url), 200);
      assert.equal(await use(other.url), 200);
      const revoked = await fx.call("DELETE", `/api/v1/tokens/${created.id}`, { headers: alice });
      assert.equal(revoked.status, 200, revoked.text);
      assert.ok((revoked.body as ApiTokenView).revokedAt);
      assert.equal(await use(fx.api.url), 401);
      assert.equal(await use(other.url), 401);
      const again = await fx.call("DELETE", `/api/v1/tokens/${created.id}`, { headers: alice });
      assert.equal(again.status, 200);
      assert.equal((again.body as ApiTokenView).revokedAt, (revoked.body as ApiTokenView).revokedAt);
    } finally {
      await other.close();
    }
  });

  test("ownership: bob cannot see or revoke alice's tokens; the admin role lists and revokes all", async () => {
    const alice = await session(ALICE, ["team-a"]);
    const bob = await session(BOB, ["team-a"]);
    const mine = (await fx.call("POST", "/api/v1/tokens", { headers: alice, body: { roles: ["a-viewer"] } }))
      .body as CreatedApiToken;
    const bobs = await fx.call("GET", "/api/v1/tokens", { headers: bob });
    assert.ok((bobs.body as ApiTokenList).items.every((t) => t.owner === BOB));
    const steal = await fx.call("DELETE", `/api/v1/tokens/${mine.id}`, { headers: bob });
    assert.equal(steal.status, 404, "someone else's token does not exist for bob");
    const missing = await fx.call("DELETE", "/api/v1/tokens/0123456789abcdef", { headers: bob });
    assert.deepEqual(steal.body, JSON.parse(missing.text.replace("0123456789abcdef", mine.id)));
    assert.equal((await fx.call("GET", "/api/v1/applications", { headers: bearer(mine.token) })).status, 200);

    const admin = await adminSession();
    const all = (await fx.call("GET", "/api/v1/tokens", { headers: admin })).body as ApiTokenList;
    assert.ok(all.items.some((t) => t.id === mine.id));
    const filtered = (
      await fx.call("GET", `/api/v1/tokens?owner=${encodeURIComponent(BOB)}`, { headers: admin })
    ).body as ApiTokenList;
    assert.ok(filtered.items.every((t) => t.owner === BOB));
    assert.equal((await fx.call("DELETE", `/api/v1/tokens/${mine.id}`, { headers: admin })).status, 200);
    assert.equal((await fx.call("GET", "/api/v1/applications", { headers: bearer(mine.token) })).status, 401);

    // The admin may make a token for a robot account with any role; others may not.
    const robot = await fx.call("POST", "/api/v1/tokens", {
      headers: admin,
      body: { owner: "robot-ci", roles: ["a-syncer"] },
    });
    assert.equal(robot.status, 201, robot.text);
    assert.equal((robot.body as CreatedApiToken).owner, "robot-ci");
    const asRobot = await fx.call("POST", "/api/v1/tokens", { headers: alice, body: { owner: "robot-ci" } });
    assert.equal(asRobot.status, 403);
  });

  test("bad input: unknown role 422, a role the caller lacks 403, token minting tokens 403, bad ttl 422, bad JSON 400", async () => {
    const bob = await session(BOB, ["team-a"]);
    const post = (body: unknown, headers = bob) => fx.call("POST", "/api/v1/tokens", { headers, body });
    const unknown = await post({ roles: ["nope"] });
    assert.equal(unknown.status, 422);
    assert.equal((unknown.body as { error: { field: string } }).error.field, "roles.0");
    assert.equal((await post({ roles: ["a-syncer"] })).status, 403, "bob is not bound to a-syncer");
    assert.equal((await post({ roles: ["admin"] })).status, 403);
    assert.equal((await post({ roles: [] })).status, 422);
    assert.equal((await post({ ttlSeconds: -5 })).status, 422);
    assert.equal((await post({ description: "x".repeat(300) })).status, 422);
    assert.equal((await post("{not json")).status, 400);
    const token = (await post({})).body as CreatedApiToken;
    const minted = await post({}, bearer(token.token));
    assert.equal(minted.status, 403);
    assert.match((minted.body as { error: { message: string } }).error.message, /API token cannot create/);
    const nobody = await session("sso:nobody@example.com", []);
    assert.equal((await post({}, nobody)).status, 422, "no roles to give");
    assert.equal((await fx.call("GET", "/api/v1/tokens")).status, 401);
  });

  test("expiry follows the injected clock", async () => {
    const bob = await session(BOB, ["team-a"]);
    const token = (await fx.call("POST", "/api/v1/tokens", { headers: bob, body: { ttlSeconds: 60 } }))
      .body as CreatedApiToken;
    assert.ok(token.expiresAt);
    const use = () => fx.call("GET", "/api/v1/applications", { headers: bearer(token.token) });
    assert.equal((await use()).status, 200);
    fx.skewMs = 61_000;
    try {
      assert.equal((await use()).status, 401);
    } finally {
      fx.skewMs = 0;
    }
  });
});

describe("api: admin password change", () => {
  let fx: AuthApiFixture;
  let password: string;
  const login = (pw: string) =>
    fx.call("POST", "/api/v1/session", { body: { username: "admin", password: pw } });
  const change = (headers: Record<string, string>, currentPassword: string, newPassword: string) =>
    fx.call("PUT", "/api/v1/account/password", { headers, body: { currentPassword, newPassword } });

  before(async () => {
    fx = await startAuthApi("password", "", { rateLimit: { maxFailures: 3 } });
    password = (await fx.auth.initialAdminPassword()) ?? "";
  });
  after(async () => {
    await fx?.stop();
  });

  test("change: wrong current 403, too short 422; then old sessions stop at once and the new password works", async () => {
    const first = (await login(password)).body as LoginResponse;
    const old = bearer(first.token);
    const wrong = await change(old, "not-the-password", "a-new-password-123");
    assert.equal(wrong.status, 403);
    assert.equal((wrong.body as { error: { field: string } }).error.field, "currentPassword");
    const short = await change(old, password, "short");
    assert.equal(short.status, 422);
    assert.match(short.text, /12 to 1024 characters/);
    assert.ok(!short.text.includes(password));

    const cookieLogin = await login(password);
    const cookie = (cookieLogin.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
    const changed = await change(old, password, "a-new-password-123");
    assert.equal(changed.status, 200, changed.text);
    const fresh = changed.body as LoginResponse;
    assert.match(changed.headers.get("set-cookie") ?? "", /^tether_session=/);
    // Sessions issued before the change — bearer and cookie — are refused; the new one works.
    assert.equal((await fx.call("GET", "/api/v1/session", { headers: old })).status, 401);
    assert.equal((await fx.call("GET", "/api/v1/session", { headers: { cookie } })).status, 401);
    assert.equal((await fx.call("GET", "/api/v1/session", { headers: bearer(fresh.token) })).status, 200);
    assert.equal((await login(password)).status, 401);
    const next = await login("a-new-password-123");
    assert.equal(next.status, 200);
    assert.equal(
      (await fx.call("GET", "/api/v1/session", { headers: bearer((next.body as LoginResponse).token) }))
        .status,
      200,
    );
    // The initial password Secret is gone once the admin chose a password.
    assert.equal(await fx.auth.initialAdminPassword(), undefined);
    await assert.rejects(
      clients().core.readNamespacedSecret({ name: INITIAL_ADMIN_PASSWORD_SECRET, namespace: fx.systemNs }),
    );
    password = "a-new-password-123";
  });

  test("only the local admin has a password here", async () => {
    const alice = bearer(
      issueSession("sso:alice@example.com", await fx.sessionKey(), { now: Date.now }).token,
    );
    assert.equal((await change(alice, "whatever", "a-new-password-456")).status, 403);
    assert.equal((await change({}, password, "a-new-password-456")).status, 401);
  });

  // Last: it locks admin password checks from this address for the rest of this server's life.
  test("wrong current passwords are rate-limited like the login: 429 + Retry-After, even when right", async () => {
    const session = bearer(((await login(password)).body as LoginResponse).token);
    let reply = await change(session, "wrong-password", "a-new-password-789");
    for (let i = 0; i < 5 && reply.status === 403; i++)
      reply = await change(session, "wrong-password", "a-new-password-789");
    assert.equal(reply.status, 429, reply.text);
    assert.ok(Number(reply.headers.get("retry-after")) >= 1);
    assert.equal((await change(session, password, "a-new-password-789")).status, 429);
    assert.equal((await login(password)).status, 429, "the login shares the limiter");
  });
});
