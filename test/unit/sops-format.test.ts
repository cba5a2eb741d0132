// The SOPS format pieces, pure: value decryption (AES-256-GCM, path as additional data, the types),
// sops' number formatting for the MAC, the lastmodified normalization, the encryption rules, the
// metadata checks, and reading age identities from a Secret.
import assert from "node:assert/strict";
import { createCipheriv, randomBytes } from "node:crypto";
import { test } from "node:test";
import { generateX25519Identity, identityToRecipient } from "age-encryption";
import {
  SopsValueError,
  decryptValue,
  formatFloat,
  macAdditionalData,
  plainLeaf,
} from "../../src/engine/render/sops/cipher.js";
import { readMetadata, shouldBeEncrypted } from "../../src/engine/render/sops/metadata.js";
import { sopsKeysFromSecretData } from "../../src/engine/render/sops/keys.js";
import type { Application } from "../../src/model/application.js";
import { validateApplication } from "../../src/engine/validate.js";

/** What sops' Cipher.Encrypt writes (32-byte IV), made here with Node's AES-GCM. */
function enc(plain: string, key: Buffer, aad: string, type: string, iv = randomBytes(32)): string {
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(Buffer.from(aad));
  const data = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
  const tag = cipher.getAuthTag();
  return `ENC[AES256_GCM,data:${data.toString("base64")},iv:${iv.toString("base64")},tag:${tag.toString("base64")},type:${type}]`;
}

test("decryptValue: each sops type, with the bytes sops feeds its MAC", () => {
  const key = randomBytes(32);
  const cases: [string, string, unknown, string][] = [
    ["s3cret", "str", "s3cret", "s3cret"],
    ["42", "int", 42, "42"],
    ["+7", "int", 7, "7"],
    ["0.25", "float", 0.25, "0.25"],
    ["1e21", "float", 1e21, "1000000000000000000000"],
    ["true", "bool", true, "True"],
    ["False", "bool", false, "False"],
    ["raw bytes", "bytes", "raw bytes", "raw bytes"],
  ];
  for (const [plain, type, value, mac] of cases) {
    const leaf = decryptValue(enc(plain, key, "a:b:", type), key, "a:b:");
    assert.deepEqual(leaf.value, value, `${type} ${plain}`);
    assert.equal(leaf.macBytes.toString(), mac, `${type} ${plain} MAC bytes`);
  }
  assert.deepEqual(
    decryptValue("", key, "a:"),
    { value: "", macBytes: Buffer.alloc(0) },
    "sops never encrypts empty strings",
  );
});

test("decryptValue refuses another path, another key, a bad format — without echoing the value", () => {
  const key = randomBytes(32);
  const value = enc("hidden-value", key, "data:password:", "str");
  const refuse = (fn: () => unknown, message: RegExp) =>
    assert.throws(
      fn,
      (e: unknown) => e instanceof SopsValueError && message.test(e.message) && !e.message.includes("hidden"),
    );
  refuse(() => decryptValue(value, key, "data:user:"), /authentication/);
  refuse(() => decryptValue(value, randomBytes(32), "data:password:"), /authentication/);
  refuse(() => decryptValue("hidden-value", key, "x:"), /not in sops' ENC/);
  refuse(() => decryptValue(value.replace("type:str", "type:weird"), key, "data:password:"), /type/);
  refuse(() => decryptValue(enc("nope", key, "x:", "int"), key, "x:"), /not an integer/);
  refuse(() => decryptValue(enc("maybe", key, "x:", "bool"), key, "x:"), /not a boolean/);
});

test("formatFloat is Go's FormatFloat(f, 'f', -1, 64); plain leaves hash like sops' ToBytes", () => {
  assert.equal(formatFloat(1.5), "1.5");
  assert.equal(formatFloat(3), "3");
  assert.equal(formatFloat(1e-7), "0.0000001");
  assert.equal(formatFloat(-2.5e22), "-25000000000000000000000");
  assert.equal(formatFloat(Infinity), "+Inf");
  assert.equal(formatFloat(NaN), "NaN");
  assert.equal(plainLeaf(true)?.macBytes.toString(), "True");
  assert.equal(plainLeaf(12345678901234567890n)?.macBytes.toString(), "12345678901234567890");
  assert.equal(plainLeaf(null), undefined, "nil is neither decrypted nor hashed");
});

test("macAdditionalData: time.Parse(RFC3339).Format(RFC3339)", () => {
  assert.equal(macAdditionalData("2026-03-01T10:11:12Z"), "2026-03-01T10:11:12Z");
  assert.equal(macAdditionalData("2026-03-01T10:11:12.123456Z"), "2026-03-01T10:11:12Z");
  assert.equal(macAdditionalData("2026-03-01T10:11:12+00:00"), "2026-03-01T10:11:12Z");
  assert.equal(macAdditionalData("2026-03-01T10:11:12+02:00"), "2026-03-01T10:11:12+02:00");
  assert.throws(() => macAdditionalData("yesterday"), SopsValueError);
});

const base = { lastmodified: "2026-01-01T00:00:00Z", mac: "ENC[x]", version: "3.13.3" };
const age = [{ recipient: "age1x", enc: "-----BEGIN AGE ENCRYPTED FILE-----" }];

test("shouldBeEncrypted: the default suffix and each rule as sops applies it to the whole path", () => {
  const check = (meta: Record<string, unknown>, path: string[]) =>
    shouldBeEncrypted(readMetadata({ ...base, age, ...meta }), path);
  assert.equal(check({}, ["data", "password"]), true);
  assert.equal(check({}, ["a_unencrypted", "b"]), false, "any path element with the suffix");
  assert.equal(check({ encrypted_regex: "^(data|stringData)$" }, ["data", "x"]), true);
  assert.equal(check({ encrypted_regex: "^(data|stringData)$" }, ["metadata", "name"]), false);
  assert.equal(check({ unencrypted_regex: "^meta" }, ["metadata", "name"]), false);
  assert.equal(check({ encrypted_suffix: "_secret" }, ["db_secret", "pw"]), true);
  assert.equal(check({ encrypted_suffix: "_secret" }, ["db", "pw"]), false);
});

test("readMetadata: what Tether refuses, by name", () => {
  const refuse = (meta: Record<string, unknown>, message: RegExp) =>
    assert.throws(
      () => readMetadata(meta),
      (e: unknown) => e instanceof SopsValueError && message.test(e.message),
    );
  refuse({ ...base, age, mac: "" }, /without a MAC/);
  refuse({ ...base, age, encrypted_regex: "a", unencrypted_suffix: "_u" }, /more than one/);
  refuse({ ...base, age, encrypted_comment_regex: "sops:enc" }, /comment_regex/);
  refuse({ ...base, key_groups: [{ age }, { age }], shamir_threshold: 2 }, /Shamir/);
  refuse({ ...base, age, encrypted_regex: "(" }, /regular expression/);
  const pgp = readMetadata({ ...base, pgp: [{ fp: "ABC", enc: "x" }], hc_vault: [{ enc: "x" }] });
  assert.deepEqual([pgp.age, pgp.otherKeyTypes], [[], ["pgp", "hc_vault"]]);
  const grouped = readMetadata({ ...base, key_groups: [{ age }] });
  assert.deepEqual(grouped.age, age, "a single key group is read like top-level keys");
});

test("sopsKeysFromSecretData: every .agekey entry, comments skipped, recipients derived", async () => {
  const [a, b] = [await generateX25519Identity(), await generateX25519Identity()];
  const file = `# created: 2026-01-01T00:00:00Z\n# public key: ${await identityToRecipient(a)}\n${a}\n\n${b}\n`;
  const keys = await sopsKeysFromSecretData("ns/keys", {
    "identity.agekey": Buffer.from(file).toString("base64"),
    "README.md": Buffer.from("not a key").toString("base64"),
  });
  assert.deepEqual(keys.identities, [a, b]);
  assert.deepEqual(keys.recipients, [await identityToRecipient(a), await identityToRecipient(b)].sort());
  await assert.rejects(
    sopsKeysFromSecretData("ns/keys", {
      "x.agekey": Buffer.from("-----BEGIN PGP PRIVATE KEY BLOCK-----").toString("base64"),
    }),
    (e: Error) => /not an age identity/.test(e.message) && !e.message.includes("PGP PRIVATE"),
  );
});

test("validateApplication: spec.decryption needs provider sops and a secretRef name", () => {
  const app = (decryption: unknown) =>
    ({
      metadata: { name: "a", namespace: "apps" },
      spec: { source: { repoURL: "https://example.com/r.git" }, destination: {}, decryption },
    }) as unknown as Application;
  assert.deepEqual(validateApplication(app({ provider: "sops", secretRef: { name: "keys" } })), []);
  assert.match(
    validateApplication(app({ provider: "vault", secretRef: { name: "keys" } })).join(),
    /spec\.decryption\.provider "vault"/,
  );
  assert.match(
    validateApplication(app({ provider: "sops", secretRef: {} })).join(),
    /spec\.decryption\.secretRef\.name is required/,
  );
});
