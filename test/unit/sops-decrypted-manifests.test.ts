// Decrypted documents (src/engine/render/sops/decrypt.ts decryptedManifests) are marked so no
// apiserver error quotes them, and a refusal by the plain manifest checks quotes no value; the diff
// view masks every value of a decrypted object of any kind (maskDecryptedValues).
import assert from "node:assert/strict";
import { test } from "node:test";
import { maskDecryptedValues } from "../../src/engine/diff/index.js";
import { RenderError } from "../../src/engine/errors.js";
import { decryptedManifests } from "../../src/engine/render/sops/decrypt.js";

test("decrypted objects are marked; a refused document names file and line, never a value", () => {
  const ok = decryptedManifests(
    [{ value: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c" }, data: { a: "b" } }, line: 3 }],
    "app/c.yaml",
  );
  assert.deepEqual(
    ok.map((m) => [m.object.metadata["name"], m.line, m.decrypted]),
    [["c", 3, true]],
  );
  for (const name of [424242, true, 7]) {
    assert.throws(
      () =>
        decryptedManifests(
          [{ value: { apiVersion: "v1", kind: "Secret", metadata: { name }, data: {} }, line: 5 }],
          "app/s.yaml",
        ),
      (error: unknown) => {
        assert.ok(error instanceof RenderError);
        assert.equal(error.reason, "InvalidManifest");
        assert.match(error.message, /^app\/s\.yaml:5: .*metadata\.name \(redacted\); quote it$/);
        assert.ok(!error.message.includes(`(${String(name)})`), error.message);
        return true;
      },
    );
  }
});

test("maskDecryptedValues: every value outside apiVersion/kind/metadata masked, keys and shape kept", () => {
  const masked = maskDecryptedValues({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "settings" },
    data: { port: 8080, list: ["canary-a", { k: "canary-b" }], none: null },
    immutable: true,
  });
  assert.deepEqual(masked, {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "settings" },
    data: { port: "++++++++", list: ["++++++++", { k: "++++++++" }], none: null },
    immutable: "++++++++",
  });
});
