// apitokens.ts: `tether_<id>_<secret>` bearer tokens stored as SHA-256 hashes.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { ApiTokenRecord, SecretStore } from "../../src/api/auth/index.js";
import {
  SecretApiTokenStore,
  endedTokenIds,
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

test("a write prunes records of tokens that ended over a week ago, and nothing else", async () => {
  const DAY = 24 * 3_600_000;
  const now = T0 + 30 * DAY;
  const record = (id: string, extra: Partial<ApiTokenRecord> = {}): ApiTokenRecord => ({
    ...mint().record,
    id,
    createdAt: T0,
    ...extra,
  });
  const data: Record<string, string> = {
    "00000000000000a1": JSON.stringify(record("00000000000000a1", { revokedAt: now - 8 * DAY })),
    "00000000000000a2": JSON.stringify(record("00000000000000a2", { expiresAt: now - 8 * DAY })),
    "00000000000000a3": JSON.stringify(record("00000000000000a3", { revokedAt: now - DAY })),
    "00000000000000a4": JSON.stringify(record("00000000000000a4", { expiresAt: now + DAY })),
    "00000000000000a5": JSON.stringify(record("00000000000000a5")),
    "not-a-record": "{",
  };
  let stored = { data, resourceVersion: "1" };
  const secrets: SecretStore = {
    read: () => Promise.resolve(stored),
    create: () => Promise.reject(new Error("exists")),
    update: (_name, next, resourceVersion) => {
      assert.equal(resourceVersion, stored.resourceVersion);
      stored = { data: next, resourceVersion: String(Number(resourceVersion) + 1) };
      return Promise.resolve();
    },
  };
  const tokens = new SecretApiTokenStore(secrets, () => now);
  await tokens.put(record("00000000000000b1"));
  assert.deepEqual(Object.keys(stored.data).sort(), [
    "00000000000000a3",
    "00000000000000a4",
    "00000000000000a5",
    "00000000000000b1",
    "not-a-record",
  ]);
  // A pruned token is refused as unknown, as it was refused as revoked.
  assert.equal(await tokens.get("00000000000000a1"), undefined);
  assert.deepEqual(endedTokenIds([record("x", { revokedAt: now - 7 * DAY })], now), ["x"]);
  assert.deepEqual(endedTokenIds([record("x", { revokedAt: now - 7 * DAY + 1 })], now), []);
});
