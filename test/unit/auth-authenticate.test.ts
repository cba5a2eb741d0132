// authenticate.ts: the per-request decision the HTTP server wires in — bearer API tokens, bearer
// sessions (CLI), cookie sessions with CSRF on state-changing methods.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { AuthDeps, AuthRequest } from "../../src/api/auth/index.js";
import {
  authenticateRequest,
  createApiToken,
  csrfTokenFor,
  issueSession,
  MemoryRevocationStore,
  revokeApiToken,
} from "../../src/api/auth/index.js";

const T0 = Date.UTC(2026, 0, 1);
const now = () => T0 + 1000;
const SESSION_KEY = Buffer.alloc(32, 1);
const CSRF_KEY = Buffer.alloc(32, 2);
let n = 0;
const random = (size: number) => Buffer.alloc(size, ++n);

const { token: apiToken, record } = createApiToken({
  owner: "ci-bot",
  groups: ["ci"],
  roles: ["deployer"],
  now: () => T0,
  random,
});
const { token: session, payload } = issueSession("alice", SESSION_KEY, { now: () => T0, random });

function deps(overrides: Partial<AuthDeps> = {}): AuthDeps {
  return {
    now,
    sessionKeys: { current: SESSION_KEY },
    csrfKey: CSRF_KEY,
    revocations: new MemoryRevocationStore(now),
    apiTokens: { get: (id) => Promise.resolve(id === record.id ? record : undefined) },
    secureCookies: true,
    ...overrides,
  };
}
const req = (r: Partial<AuthRequest>): AuthRequest => ({
  method: "GET",
  authorization: undefined,
  cookie: undefined,
  csrfToken: undefined,
  ...r,
});
const cookie = `__Host-tether_session=${session}`;

test("no credentials → 401", async () => {
  assert.deepEqual(await authenticateRequest(req({}), deps()), {
    ok: false,
    status: 401,
    reason: "no-credentials",
  });
});

test("bearer API token: subject is the owner restricted to the token's roles; no CSRF needed", async () => {
  const result = await authenticateRequest(
    req({ method: "POST", authorization: `Bearer ${apiToken}` }),
    deps(),
  );
  assert.deepEqual(result, {
    ok: true,
    via: "api-token",
    subject: { user: "ci-bot", groups: ["ci"], restrictToRoles: ["deployer"] },
    tokenId: record.id,
  });
  const revoked = revokeApiToken(record, now);
  const withRevoked = deps({ apiTokens: { get: () => Promise.resolve(revoked) } });
  assert.deepEqual(await authenticateRequest(req({ authorization: `Bearer ${apiToken}` }), withRevoked), {
    ok: false,
    status: 401,
    reason: "revoked",
  });
});

test("bearer session (CLI) works without CSRF", async () => {
  const result = await authenticateRequest(
    req({ method: "DELETE", authorization: `Bearer ${session}` }),
    deps(),
  );
  assert.equal(result.ok && result.via, "session-bearer");
});

test("a bad Authorization header is not rescued by a good cookie", async () => {
  for (const authorization of ["Basic YWRtaW46YWRtaW4=", "Bearer tether_0000000000000000_x", "Bearer nope"]) {
    const result = await authenticateRequest(req({ authorization, cookie }), deps());
    assert.equal(result.ok, false, authorization);
  }
});

test("cookie session: GET passes, POST needs the session's CSRF token", async () => {
  const get = await authenticateRequest(req({ cookie }), deps());
  assert.deepEqual(get, {
    ok: true,
    via: "session-cookie",
    subject: { user: "alice", groups: [] },
    session: payload,
  });
  assert.deepEqual(await authenticateRequest(req({ method: "POST", cookie }), deps()), {
    ok: false,
    status: 403,
    reason: "missing-token",
  });
  assert.deepEqual(await authenticateRequest(req({ method: "POST", cookie, csrfToken: "x" }), deps()), {
    ok: false,
    status: 403,
    reason: "invalid-token",
  });
  const right = await authenticateRequest(
    req({ method: "POST", cookie, csrfToken: csrfTokenFor(payload.sid, CSRF_KEY) }),
    deps(),
  );
  assert.equal(right.ok, true);
});

test("revoked, expired-by-password-change and insecure-name cookies → 401", async () => {
  const revocations = new MemoryRevocationStore(now);
  revocations.revoke(payload.sid, payload.exp);
  assert.deepEqual(await authenticateRequest(req({ cookie }), deps({ revocations })), {
    ok: false,
    status: 401,
    reason: "revoked",
  });
  assert.deepEqual(
    await authenticateRequest(req({ cookie }), deps({ sessionsIssuedAfter: () => T0 + 5000 })),
    {
      ok: false,
      status: 401,
      reason: "expired",
    },
  );
  assert.deepEqual(await authenticateRequest(req({ cookie: `tether_session=${session}` }), deps()), {
    ok: false,
    status: 401,
    reason: "no-credentials",
  });
});

test("session groups come from the injected lookup", async () => {
  const result = await authenticateRequest(req({ cookie }), deps({ sessionGroups: () => ["team-a"] }));
  assert.deepEqual(result.ok && result.subject, { user: "alice", groups: ["team-a"] });
});
