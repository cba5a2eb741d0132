// admin.ts: first-start bootstrap of the local admin against an in-memory SecretStore that
// behaves like the apiserver (resourceVersion preconditions, 409 on AlreadyExists/Conflict).
import assert from "node:assert/strict";
import { test } from "node:test";
import type { SecretStore, StoredSecret } from "../../src/api/auth/index.js";
import {
  ADMIN_SECRET,
  bootstrapAdmin,
  changeAdminPassword,
  checkLocalLogin,
  hashPassword,
  INITIAL_ADMIN_PASSWORD_SECRET,
  LEGACY_INITIAL_ADMIN_PASSWORD_SECRET,
  readInitialPassword,
  takeInitialPassword,
} from "../../src/api/auth/index.js";

const FAST = { N: 1024, r: 8, p: 1 };
const now = () => Date.UTC(2026, 0, 1);

class StatusError extends Error {
  constructor(readonly statusCode: number) {
    super(`status ${statusCode}`);
  }
}

/** Each call yields to the event loop first, so concurrent callers interleave like real clients. */
class MemoryStore implements SecretStore {
  readonly secrets = new Map<string, StoredSecret>();
  private version = 0;
  writes = 0;
  private tick = () => new Promise<void>((resolve) => setImmediate(resolve));

  async read(name: string) {
    await this.tick();
    const s = this.secrets.get(name);
    return s ? { data: { ...s.data }, resourceVersion: s.resourceVersion } : undefined;
  }
  async create(name: string, data: Record<string, string>) {
    await this.tick();
    if (this.secrets.has(name)) throw new StatusError(409);
    this.writes++;
    this.secrets.set(name, { data: { ...data }, resourceVersion: String(++this.version) });
  }
  async update(name: string, data: Record<string, string>, resourceVersion: string) {
    await this.tick();
    const s = this.secrets.get(name);
    if (!s) throw new StatusError(404);
    if (s.resourceVersion !== resourceVersion) throw new StatusError(409);
    this.writes++;
    this.secrets.set(name, { data: { ...data }, resourceVersion: String(++this.version) });
  }
  async delete(name: string, resourceVersion: string) {
    await this.tick();
    const s = this.secrets.get(name);
    if (!s) throw new StatusError(404);
    if (s.resourceVersion !== resourceVersion) throw new StatusError(409);
    this.secrets.delete(name);
  }
}

const options = { now, scrypt: FAST };

test("first start creates the hash and the readable-once plaintext; the plaintext logs in", async () => {
  const store = new MemoryStore();
  assert.deepEqual(await bootstrapAdmin(store, options), {
    action: "created",
    initialPasswordSecret: INITIAL_ADMIN_PASSWORD_SECRET,
  });
  const password = store.secrets.get(INITIAL_ADMIN_PASSWORD_SECRET)?.data.password ?? "";
  assert.match(password, /^[A-Za-z0-9_-]{20,}$/);
  const admin = store.secrets.get(ADMIN_SECRET)?.data ?? {};
  assert.ok(admin.passwordHash?.startsWith("scrypt$"));
  assert.ok(!JSON.stringify(admin).includes(password), "admin Secret never holds the plaintext");
  assert.equal(admin.passwordMtime, "2026-01-01T00:00:00.000Z");
  assert.equal((await checkLocalLogin(store, "admin", password)).ok, true);
  assert.equal((await checkLocalLogin(store, "admin", "wrong")).ok, false);
  assert.equal((await checkLocalLogin(store, "root", password)).ok, false);
});

test("idempotent: a second start writes nothing", async () => {
  const store = new MemoryStore();
  await bootstrapAdmin(store, options);
  const writes = store.writes;
  assert.deepEqual(await bootstrapAdmin(store, options), { action: "existing" });
  assert.equal(store.writes, writes);
});

test("two controllers racing converge on one password", async () => {
  const store = new MemoryStore();
  const results = await Promise.all([
    bootstrapAdmin(store, options),
    bootstrapAdmin(store, options),
    bootstrapAdmin(store, options),
  ]);
  assert.equal(results.filter((r) => r.action === "created").length, 1, "exactly one writer wins");
  const password = store.secrets.get(INITIAL_ADMIN_PASSWORD_SECRET)?.data.password ?? "";
  assert.equal((await checkLocalLogin(store, "admin", password)).ok, true);
});

test("a crash between the two writes recovers the same plaintext", async () => {
  const store = new MemoryStore();
  await store.create(INITIAL_ADMIN_PASSWORD_SECRET, { password: "left-behind-password-123" });
  assert.equal((await bootstrapAdmin(store, options)).action, "created");
  assert.equal((await checkLocalLogin(store, "admin", "left-behind-password-123")).ok, true);
});

test("after the user deletes the initial Secret, restarts do not recreate it", async () => {
  const store = new MemoryStore();
  await bootstrapAdmin(store, options);
  const password = await takeInitialPassword(store);
  assert.ok(password);
  assert.equal(store.secrets.has(INITIAL_ADMIN_PASSWORD_SECRET), false);
  assert.equal(await takeInitialPassword(store), undefined, "readable once");
  assert.deepEqual(await bootstrapAdmin(store, options), { action: "existing" });
  assert.equal(store.secrets.has(INITIAL_ADMIN_PASSWORD_SECRET), false);
  assert.equal((await checkLocalLogin(store, "admin", password)).ok, true);
});

test("removing passwordHash resets the admin password; a garbled hash is refused, not overwritten", async () => {
  const store = new MemoryStore();
  await store.create(ADMIN_SECRET, { passwordHash: "" });
  assert.equal((await bootstrapAdmin(store, options)).action, "created");
  assert.ok(store.secrets.get(ADMIN_SECRET)?.data.passwordHash);

  const garbled = new MemoryStore();
  await garbled.create(ADMIN_SECRET, { passwordHash: "scrypt$oops" });
  await assert.rejects(bootstrapAdmin(garbled, options), /not a valid scrypt hash/);
  assert.equal(garbled.secrets.get(ADMIN_SECRET)?.data.passwordHash, "scrypt$oops");
});

test("changeAdminPassword replaces the hash and removes the initial Secret", async () => {
  const store = new MemoryStore();
  await bootstrapAdmin(store, options);
  const old = store.secrets.get(INITIAL_ADMIN_PASSWORD_SECRET)?.data.password ?? "";
  const later = () => Date.UTC(2026, 0, 2);
  assert.deepEqual(await changeAdminPassword(store, "a-new-long-password", { now: later, scrypt: FAST }), {
    passwordMtime: "2026-01-02T00:00:00.000Z",
  });
  assert.equal((await checkLocalLogin(store, "admin", old)).ok, false);
  assert.equal((await checkLocalLogin(store, "admin", "a-new-long-password")).ok, true);
  assert.equal(store.secrets.has(INITIAL_ADMIN_PASSWORD_SECRET), false);
});

test("checkLocalLogin with no admin Secret fails like a wrong password", async () => {
  const store = new MemoryStore();
  assert.deepEqual(await checkLocalLogin(store, "admin", "x"), { ok: false, reason: "invalid-credentials" });
  await store.create(ADMIN_SECRET, { passwordHash: await hashPassword("pw", { params: FAST }) });
  assert.deepEqual(await checkLocalLogin(store, "Admin", "pw"), { ok: false, reason: "invalid-credentials" });
});

test("takeInitialPassword waits until the hash exists", async () => {
  const store = new MemoryStore();
  await store.create(INITIAL_ADMIN_PASSWORD_SECRET, { password: "not-yet-hashed-password" });
  assert.equal(await takeInitialPassword(store), undefined);
  assert.equal(store.secrets.has(INITIAL_ADMIN_PASSWORD_SECRET), true);
  await bootstrapAdmin(store, options);
  assert.equal(await takeInitialPassword(store), "not-yet-hashed-password");
});

test("non-conflict store errors propagate", async () => {
  const store = new MemoryStore();
  store.create = () => Promise.reject(new StatusError(403));
  await assert.rejects(bootstrapAdmin(store, options), /status 403/);
});

test("the initial password Secret of an earlier version (tether-initial-admin-password) is still honoured", async () => {
  assert.equal(INITIAL_ADMIN_PASSWORD_SECRET, "tether-initial-admin");
  const store = new MemoryStore();
  await store.create(LEGACY_INITIAL_ADMIN_PASSWORD_SECRET, { password: "from-the-old-version-1" });
  // Crashed before hashing under the old version: the same password is hashed, no second one minted.
  await bootstrapAdmin(store, options);
  assert.equal(store.secrets.has(INITIAL_ADMIN_PASSWORD_SECRET), false, "not copied to the new name");
  assert.equal(await readInitialPassword(store), "from-the-old-version-1");
  assert.equal((await checkLocalLogin(store, "admin", "from-the-old-version-1")).ok, true);
  // Both names are taken (deleted) together.
  await store.create(INITIAL_ADMIN_PASSWORD_SECRET, { password: "from-the-old-version-1" });
  assert.equal(await takeInitialPassword(store), "from-the-old-version-1");
  assert.equal(store.secrets.has(INITIAL_ADMIN_PASSWORD_SECRET), false);
  assert.equal(store.secrets.has(LEGACY_INITIAL_ADMIN_PASSWORD_SECRET), false);
  assert.equal(await readInitialPassword(store), undefined);
});
