// sessions.ts: signed session tokens — round trip, tampering, expiry with an injected clock, key
// rotation, revocation, password-change cut-off and the cookie helpers.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { test } from "node:test";
import {
  checkSession,
  clearSessionCookie,
  issueSession,
  MemoryRevocationStore,
  readSessionCookie,
  sessionCookie,
  verifySessionToken,
} from "../../src/api/auth/index.js";

const T0 = Date.UTC(2026, 0, 1);
const at = (ms: number) => () => ms;
const KEY_A = Buffer.alloc(32, 1);
const KEY_B = Buffer.alloc(32, 2);
const random = (size: number) => Buffer.alloc(size, 7);

function issue(key = KEY_A, ttlSeconds = 3600) {
  return issueSession("alice", key, { now: at(T0), random, ttlSeconds });
}

test("issue then verify round-trips the payload", () => {
  const { token, payload } = issue();
  assert.deepEqual(payload, {
    sub: "alice",
    iat: T0 / 1000,
    exp: T0 / 1000 + 3600,
    sid: "BwcHBwcHBwcHBwcHBwcHBw",
  });
  assert.deepEqual(verifySessionToken(token, { current: KEY_A }, { now: at(T0 + 1000) }), {
    ok: true,
    session: payload,
  });
});

test("tampered tokens are rejected", () => {
  const { token } = issue();
  const [payload64 = "", sig = ""] = token.split(".");
  const forged = Buffer.from(
    JSON.stringify({ sub: "admin", iat: T0 / 1000, exp: T0 / 1000 + 3600, sid: "x".repeat(22) }),
  );
  const flip = (s: string) => (s[0] === "A" ? "B" : "A") + s.slice(1);
  const cases: [string, string][] = [
    [`${forged.toString("base64url")}.${sig}`, "bad-signature"],
    [`${payload64}.${flip(sig)}`, "bad-signature"],
    [`${payload64}.${sig.slice(0, -2)}`, "malformed"],
    [`${payload64}.${sig}.extra`, "malformed"],
    [payload64, "malformed"],
    ["", "malformed"],
    [`${payload64}.${sig}=`, "malformed"],
    [`${"a".repeat(5000)}.${sig}`, "malformed"],
  ];
  for (const [candidate, reason] of cases) {
    assert.deepEqual(
      verifySessionToken(candidate, { current: KEY_A }, { now: at(T0) }),
      { ok: false, reason },
      candidate,
    );
  }
  const { token: other } = issue(KEY_B);
  assert.deepEqual(verifySessionToken(other, { current: KEY_A }, { now: at(T0) }), {
    ok: false,
    reason: "bad-signature",
  });
});

test("a correctly signed but ill-shaped payload is malformed", () => {
  const payload64 = Buffer.from(
    JSON.stringify({ sub: "alice", iat: 1, exp: 2, sid: "short", admin: true }),
  ).toString("base64url");
  const sig = createHmac("sha256", KEY_A).update(`tether-session.v1.${payload64}`).digest("base64url");
  assert.deepEqual(verifySessionToken(`${payload64}.${sig}`, { current: KEY_A }, { now: at(0) }), {
    ok: false,
    reason: "malformed",
  });
});

test("expiry follows the injected clock; far-future iat is refused", () => {
  const { token } = issue(KEY_A, 60);
  const keys = { current: KEY_A };
  assert.equal(verifySessionToken(token, keys, { now: at(T0 + 59_999) }).ok, true);
  assert.deepEqual(verifySessionToken(token, keys, { now: at(T0 + 60_000) }), {
    ok: false,
    reason: "expired",
  });
  assert.deepEqual(verifySessionToken(token, keys, { now: at(T0 - 120_000) }), {
    ok: false,
    reason: "not-yet-valid",
  });
});

test("sessions issued before a password change are rejected", () => {
  const { token } = issue();
  const keys = { current: KEY_A };
  assert.equal(verifySessionToken(token, keys, { now: at(T0 + 5000), issuedAfter: T0 }).ok, true);
  assert.deepEqual(verifySessionToken(token, keys, { now: at(T0 + 5000), issuedAfter: T0 + 2000 }), {
    ok: false,
    reason: "expired",
  });
});

test("key rotation: previous keys still verify, dropped keys do not", () => {
  const { token } = issue(KEY_A);
  assert.equal(verifySessionToken(token, { current: KEY_B, previous: [KEY_A] }, { now: at(T0) }).ok, true);
  assert.deepEqual(verifySessionToken(token, { current: KEY_B }, { now: at(T0) }), {
    ok: false,
    reason: "bad-signature",
  });
  assert.throws(() => issueSession("alice", Buffer.alloc(16), { now: at(T0) }), /shorter than 32/);
});

test("revoked sessions fail; the store forgets entries after their expiry", async () => {
  const { token, payload } = issue();
  const revocations = new MemoryRevocationStore(at(T0));
  const keys = { current: KEY_A };
  assert.equal((await checkSession(token, keys, revocations, { now: at(T0) })).ok, true);
  revocations.revoke(payload.sid, payload.exp);
  assert.deepEqual(await checkSession(token, keys, revocations, { now: at(T0) }), {
    ok: false,
    reason: "revoked",
  });

  let clock = T0;
  const bounded = new MemoryRevocationStore(() => clock, 2);
  bounded.revoke("a".repeat(22), T0 / 1000 + 10);
  bounded.revoke("b".repeat(22), T0 / 1000 + 20);
  bounded.revoke("c".repeat(22), T0 / 1000 + 30);
  assert.equal(bounded.size, 2);
  assert.equal(bounded.isRevoked("a".repeat(22)), false, "soonest-expiring evicted first");
  clock = T0 + 25_000;
  bounded.revoke("d".repeat(22), T0 / 1000 + 40);
  assert.deepEqual(
    ["b", "c", "d"].map((c) => bounded.isRevoked(c.repeat(22))),
    [false, true, true],
  );
});

test("cookie attributes: HttpOnly, SameSite=Lax, Path=/, Secure and __Host- unless on plain localhost", () => {
  assert.equal(
    sessionCookie("tok", { secure: true, maxAgeSeconds: 3600 }),
    "__Host-tether_session=tok; Path=/; HttpOnly; SameSite=Lax; Secure; Max-Age=3600",
  );
  assert.equal(sessionCookie("tok", { secure: false }), "tether_session=tok; Path=/; HttpOnly; SameSite=Lax");
  assert.equal(
    clearSessionCookie({ secure: true }),
    "__Host-tether_session=; Path=/; HttpOnly; SameSite=Lax; Secure; Max-Age=0",
  );
});

test("cookie helper refuses values that could inject attributes; TTL must be positive", () => {
  assert.throws(() => sessionCookie("tok; Domain=evil.example", { secure: true }), /not allowed/);
  assert.throws(() => sessionCookie("tok\r\nSet-Cookie: x=y", { secure: true }), /not allowed/);
  assert.throws(() => issueSession("alice", KEY_A, { now: at(T0), ttlSeconds: 0 }), /TTL/);
});

test("readSessionCookie finds exactly one session cookie", () => {
  assert.equal(readSessionCookie("a=1; __Host-tether_session=tok; b=2", true), "tok");
  assert.equal(
    readSessionCookie("tether_session=tok", true),
    undefined,
    "secure mode ignores the unprefixed name",
  );
  assert.equal(readSessionCookie("tether_session=a; tether_session=b", false), undefined);
  assert.equal(readSessionCookie(undefined, false), undefined);
});
