// csrf.ts: session-bound synchronizer tokens for cookie-authenticated state changes.
import assert from "node:assert/strict";
import { test } from "node:test";
import { checkCsrf, csrfTokenFor, isStateChanging } from "../../src/api/auth/index.js";

const KEY = Buffer.alloc(32, 9);
const SID = "c2Vzc2lvbi1pZC1vbmUtMTIz";

test("safe methods need no token", () => {
  for (const method of ["GET", "HEAD", "OPTIONS", "get"]) {
    assert.deepEqual(checkCsrf(method, SID, undefined, KEY), { ok: true });
    assert.equal(isStateChanging(method), false);
  }
});

test("state-changing methods: missing, wrong and right tokens", () => {
  const token = csrfTokenFor(SID, KEY);
  for (const method of ["POST", "PUT", "PATCH", "DELETE", "post"]) {
    assert.deepEqual(checkCsrf(method, SID, undefined, KEY), { ok: false, reason: "missing-token" });
    assert.deepEqual(checkCsrf(method, SID, "", KEY), { ok: false, reason: "missing-token" });
    assert.deepEqual(checkCsrf(method, SID, "nope", KEY), { ok: false, reason: "invalid-token" });
    assert.deepEqual(checkCsrf(method, SID, token, KEY), { ok: true });
  }
});

test("a token is bound to its session and key", () => {
  const token = csrfTokenFor(SID, KEY);
  assert.match(token, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(csrfTokenFor(SID, KEY), token, "deterministic");
  assert.deepEqual(checkCsrf("POST", "another-session-id-0000", token, KEY), {
    ok: false,
    reason: "invalid-token",
  });
  assert.deepEqual(checkCsrf("POST", SID, token, Buffer.alloc(32, 8)), {
    ok: false,
    reason: "invalid-token",
  });
  assert.throws(() => csrfTokenFor(SID, Buffer.alloc(8)), /shorter than 32/);
});
