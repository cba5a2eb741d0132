// apitokens.ts: `tether_<id>_<secret>` bearer tokens stored as SHA-256 hashes.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { ApiTokenRecord } from "../../src/api/auth/index.js";
import {
  authenticateApiToken,
  bearerToken,
  createApiToken,
  parseApiToken,
  publicApiTokenView,
  revokeApiToken,
  verifyApiToken,
} from "../../src/api/auth/index.js";

const T0 = Date.UTC(2026, 0, 1);
const at = (ms: number) => () => ms;
let n = 0;
const random = (size: number) => Buffer.alloc(size, ++n);

function mint(ttlSeconds?: number) {
  return createApiToken({
    owner: "ci-bot",
    roles: ["deployer"],
    description: "CI",
    now: at(T0),
    random,
    ...(ttlSeconds !== undefined ? { ttlSeconds } : {}),
  });
}

test("creation returns the token once and stores only a hash", () => {
  const { token, record } = mint(3600);
  assert.match(token, /^tether_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
  const secret = parseApiToken(token)?.secret ?? "";
  assert.ok(!JSON.stringify(record).includes(secret));
  assert.equal(record.secretHash.length, 64);
  assert.equal(record.expiresAt, T0 + 3_600_000);
  assert.deepEqual(Object.keys(publicApiTokenView(record)).includes("secretHash"), false);
});

test("parse accepts only the exact format", () => {
  const { token, record } = mint();
  assert.deepEqual(parseApiToken(token)?.id, record.id);
  for (const bad of [
    "",
    "tether_",
    token.toUpperCase(),
    `x${token}`,
    `${token}x`,
    token.replace("tether_", "argo_"),
    `${token} `,
  ]) {
    assert.equal(parseApiToken(bad), undefined, bad);
  }
  assert.equal(bearerToken(`Bearer ${token}`), token);
  assert.equal(bearerToken(`bearer ${token}`), token);
  assert.equal(bearerToken(`Basic abc`), undefined);
  assert.equal(bearerToken(undefined), undefined);
});

test("verify: valid, wrong secret, unknown id, malformed", () => {
  const { token, record } = mint();
  assert.deepEqual(verifyApiToken(token, record, at(T0)), { ok: true, record });
  const last = token.at(-1) === "A" ? "B" : "A";
  assert.deepEqual(verifyApiToken(token.slice(0, -1) + last, record, at(T0)), {
    ok: false,
    reason: "invalid",
  });
  assert.deepEqual(verifyApiToken(token, undefined, at(T0)), { ok: false, reason: "unknown" });
  const other = mint().record;
  assert.deepEqual(verifyApiToken(token, other, at(T0)), { ok: false, reason: "unknown" });
  assert.deepEqual(verifyApiToken("tether_nope", record, at(T0)), { ok: false, reason: "malformed" });
  const corrupt: ApiTokenRecord = { ...record, secretHash: "zz" };
  assert.deepEqual(verifyApiToken(token, corrupt, at(T0)), { ok: false, reason: "invalid" });
});

test("expired and revoked tokens fail", () => {
  const { token, record } = mint(60);
  assert.equal(verifyApiToken(token, record, at(T0 + 59_999)).ok, true);
  assert.deepEqual(verifyApiToken(token, record, at(T0 + 60_000)), { ok: false, reason: "expired" });
  const revoked = revokeApiToken(record, at(T0 + 10));
  assert.equal(revoked.revokedAt, T0 + 10);
  assert.equal(
    revokeApiToken(revoked, at(T0 + 99)).revokedAt,
    T0 + 10,
    "revocation is permanent and idempotent",
  );
  assert.deepEqual(verifyApiToken(token, revoked, at(T0 + 20)), { ok: false, reason: "revoked" });
});

test("authenticateApiToken looks up by id", async () => {
  const { token, record } = mint();
  const store = { get: (id: string) => Promise.resolve(id === record.id ? record : undefined) };
  assert.equal((await authenticateApiToken(token, store, at(T0))).ok, true);
  assert.deepEqual(await authenticateApiToken(mint().token, store, at(T0)), { ok: false, reason: "unknown" });
  assert.deepEqual(await authenticateApiToken("garbage", store, at(T0)), { ok: false, reason: "malformed" });
});
