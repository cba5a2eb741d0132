// password.ts: scrypt hashing with parameters in the stored string, strict parsing of stored
// hashes, constant-time verification and generated passwords.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  DEFAULT_SCRYPT_PARAMS,
  generatePassword,
  hashPassword,
  needsRehash,
  parsePasswordHash,
  verifyPassword,
} from "../../src/api/auth/index.js";

const FAST = { N: 1024, r: 8, p: 1 };
let counter = 0;
const random = (size: number) => Buffer.alloc(size, ++counter);

test("hash then verify: right password true, wrong false", async () => {
  const stored = await hashPassword("correct horse battery staple", { params: FAST, random });
  assert.match(stored, /^scrypt\$1024\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
  assert.equal(await verifyPassword("correct horse battery staple", stored), true);
  assert.equal(await verifyPassword("correct horse battery stapla", stored), false);
  assert.equal(await verifyPassword("", stored), false);
});

test("default parameters are encoded and verify", async () => {
  const stored = await hashPassword("pw", {});
  assert.ok(stored.startsWith(`scrypt$${DEFAULT_SCRYPT_PARAMS.N}$8$1$`));
  assert.equal(await verifyPassword("pw", stored), true);
  assert.equal(needsRehash(stored), false);
});

test("each hash gets its own salt", async () => {
  const a = await hashPassword("same", { params: FAST });
  const b = await hashPassword("same", { params: FAST });
  assert.notEqual(a, b);
  assert.equal(await verifyPassword("same", a), true);
  assert.equal(await verifyPassword("same", b), true);
});

test("unicode passwords are NFC-normalized", async () => {
  const stored = await hashPassword("caf\u00e9", { params: FAST });
  assert.equal(await verifyPassword("cafe\u0301", stored), true);
});

test("malformed or out-of-bounds stored strings are rejected, never thrown", async () => {
  const good = await hashPassword("pw", { params: FAST, random });
  const [, , , , salt, hash] = good.split("$");
  const bad = [
    "",
    "plaintext",
    `bcrypt$1024$8$1$${salt}$${hash}`,
    `scrypt$1000$8$1$${salt}$${hash}`, // N not a power of two
    `scrypt$${2 ** 30}$8$1$${salt}$${hash}`, // N too large: memory bomb
    `scrypt$1024$0$1$${salt}$${hash}`,
    `scrypt$${2 ** 20}$32$1$${salt}$${hash}`, // 4 GiB per login
    `scrypt$1024$8$1$${salt}`,
    `scrypt$1024$8$1$${salt}$${hash}$extra`,
    `scrypt$01024$8$1$${salt}$${hash}`,
    `scrypt$1024$8$1$!!!$${hash}`,
    `scrypt$1024$8$1$${salt}$AAAA`, // hash too short
    `scrypt$1024$8$1$AAAA$${hash}`, // salt too short
  ];
  for (const stored of bad) {
    assert.equal(parsePasswordHash(stored), undefined, stored);
    assert.equal(await verifyPassword("pw", stored), false, stored);
    assert.equal(needsRehash(stored), true);
  }
  assert.ok(parsePasswordHash(good));
});

test("tampered hash or parameters fail verification", async () => {
  const stored = await hashPassword("pw", { params: FAST, random });
  const parts = stored.split("$");
  const hash = Buffer.from(parts[5] ?? "", "base64");
  hash[0] = (hash[0] ?? 0) ^ 1;
  assert.equal(await verifyPassword("pw", [...parts.slice(0, 5), hash.toString("base64")].join("$")), false);
  assert.equal(await verifyPassword("pw", ["scrypt", "2048", ...parts.slice(2)].join("$")), false);
});

test("hashPassword refuses empty and over-long passwords", async () => {
  await assert.rejects(hashPassword("", { params: FAST }));
  await assert.rejects(hashPassword("x".repeat(1025), { params: FAST }));
  assert.equal(await verifyPassword("x".repeat(1025), await hashPassword("pw", { params: FAST })), false);
});

test("needsRehash flags weaker parameters", async () => {
  assert.equal(needsRehash(await hashPassword("pw", { params: FAST })), true);
});

test("generatePassword: URL-safe, >= 20 chars, random", () => {
  const a = generatePassword();
  const b = generatePassword();
  assert.match(a, /^[A-Za-z0-9_-]{20,}$/);
  assert.notEqual(a, b);
  assert.equal(
    generatePassword(() => Buffer.alloc(24, 0xff)),
    "_".repeat(32),
  );
});
