// Golden SOPS vectors (testdata/sops, made by the real sops with a committed TEST-ONLY age key):
// Tether's decryption must print exactly what `sops decrypt` printed, and any change to a vector
// must fail closed. No tools needed: this runs with the unit tests.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { RenderError } from "../../src/engine/errors.js";
import { decryptSopsFile } from "../../src/engine/render/sops/decrypt.js";
import { sopsKeysFromSecretData } from "../../src/engine/render/sops/keys.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../testdata/sops");
const read = (name: string) => fs.readFileSync(path.join(root, name), "utf8");
const testKeys = () =>
  sopsKeysFromSecretData("test/golden", {
    "TEST-ONLY.agekey": Buffer.from(read("TEST-ONLY-key.agekey")).toString("base64"),
  });
const vectors = fs
  .readdirSync(root)
  .filter((f) => /\.enc\.(yaml|json)$/.test(f))
  .sort();
const limits = { maxAliasCount: 100 };

test("there are golden vectors for YAML, JSON, multi-document and mac_only_encrypted", () => {
  assert.deepEqual(vectors, [
    "configmap.enc.json",
    "mac-only.enc.yaml",
    "multi.enc.yaml",
    "secret.enc.yaml",
    "types.enc.yaml",
  ]);
});

for (const name of vectors) {
  test(`sops golden: ${name} decrypts to what sops decrypt printed`, async () => {
    const docs = await decryptSopsFile(read(name), name, await testKeys(), limits);
    const expected: unknown = JSON.parse(read(name.replace(/\.enc\.(yaml|json)$/, ".expected.json")));
    assert.deepEqual(JSON.parse(JSON.stringify(docs?.map((d) => d.value))), expected);
  });
}

test("sops golden: any one-character change to a vector's values or MAC fails closed", async () => {
  const keys = await testKeys();
  const text = read("secret.enc.yaml");
  const changes: [string, string][] = [
    ["app: shop", "app: shoq"], // unencrypted but MACed
    ["type: Opaque", "type: Opaqu3"],
  ];
  const mac = /mac: ENC\[AES256_GCM,data:(.)/.exec(text);
  assert.ok(mac?.[1]);
  changes.push([
    `mac: ENC[AES256_GCM,data:${mac[1]}`,
    `mac: ENC[AES256_GCM,data:${mac[1] === "A" ? "B" : "A"}`,
  ]);
  for (const [from, to] of changes) {
    assert.ok(text.includes(from), from);
    await assert.rejects(
      decryptSopsFile(text.replace(from, to), "secret.enc.yaml", keys, limits),
      (e: unknown) => {
        assert.ok(e instanceof RenderError && e.reason === "DecryptionFailed", String(e));
        assert.match(
          e.message,
          /^secret\.enc\.yaml: cannot decrypt SOPS file: (MAC mismatch|sops\.mac: .*authentication)/,
        );
        assert.ok(!e.message.includes("golden-password") && !e.message.includes("golden-user"));
        return true;
      },
    );
  }
});

test("sops golden: a file that is not SOPS is left to the plain parser", async () => {
  assert.equal(
    await decryptSopsFile(
      "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n",
      "x.yaml",
      undefined,
      limits,
    ),
    undefined,
  );
  assert.equal(
    await decryptSopsFile(
      "kind: X\nmetadata: {name: x}\nspec: {sops: {mac: x}}\n",
      "x.yaml",
      undefined,
      limits,
    ),
    undefined,
  );
});

/** secret.enc.yaml with a top-level mapping of `count` keys before it (line 1 is `wide:`). */
const wide = (count: number, extra = "") =>
  `wide:\n${Array.from({ length: count }, (_, i) => `  k${i}: v\n`).join("")}${extra}${read("secret.enc.yaml")}`;

test("sops: a wide SOPS-looking file (50,000 keys) is read whole and reaches the key check", async () => {
  // The yaml library's own duplicate-key check is quadratic: minutes for this file. Bounded, it
  // is read in one linear pass and the next check speaks.
  await assert.rejects(decryptSopsFile(wide(50_000), "wide.yaml", undefined, limits), (error: unknown) => {
    assert.ok(error instanceof RenderError);
    assert.equal(error.reason, "DecryptionFailed");
    assert.match(error.message, /^wide\.yaml: cannot decrypt SOPS file: .*sets no spec\.decryption/);
    return true;
  });
});

test("sops: a duplicate key in a wide SOPS file is refused at its line, before any key is used", async () => {
  // Line 1 `wide:`, k0..k49999 on lines 2..50001, the repeat on line 50002.
  const text = wide(50_000, "  k25000: again\n");
  await assert.rejects(decryptSopsFile(text, "dup.yaml", await testKeys(), limits), (error: unknown) => {
    assert.ok(error instanceof RenderError);
    assert.equal(error.reason, "InvalidManifest");
    assert.equal(
      error.message,
      'dup.yaml:50002: invalid YAML: duplicate key "k25000" (map keys must be unique)',
    );
    return true;
  });
});

test("sops: nesting too deep is refused at its line before the composer recurses", async () => {
  const text = `${read("secret.enc.yaml")}deep: ${"[".repeat(10_000)}${"]".repeat(10_000)}\n`;
  const line = read("secret.enc.yaml").split("\n").length;
  await assert.rejects(decryptSopsFile(text, "deep.yaml", await testKeys(), limits), (error: unknown) => {
    assert.ok(error instanceof RenderError);
    assert.equal(error.reason, "InvalidManifest");
    assert.match(error.message, new RegExp(`^deep\\.yaml:${line}: nesting deeper than`));
    return true;
  });
});
