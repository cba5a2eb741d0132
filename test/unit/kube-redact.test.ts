// Redaction of apiserver messages about Secrets and decrypted content (src/lib/redact.ts): each
// form in which the apiserver quotes a value, taken from real kube-apiserver answers, loses the
// value and keeps the object, field path and expectation.
import assert from "node:assert/strict";
import { test } from "node:test";
import { isSecretRequest, redactMessage, redactStatusBody, sensitiveValues } from "../../src/lib/redact.js";

const CANARY = "canary-7f3a9c";
const noCanary = (text: string) => assert.ok(!/canary|424242/.test(text), `leaks: ${text}`);

test("structured-merge-diff value dumps become the value's type; field path and expectation stay", () => {
  const cases: [string, string][] = [
    ["&value.valueUnstructured{Value:424242}", "a number"],
    ["&value.valueUnstructured{Value:4242.42}", "a number"],
    ["&value.valueUnstructured{Value:true}", "a boolean"],
    [`&value.valueUnstructured{Value:[]interface {}{"${CANARY}", 424242}}`, "a list"],
    [`&value.valueUnstructured{Value:map[string]interface {}{"k":"${CANARY}\\nline2 {\\"x\\"}"}}`, "a map"],
    [`&value.valueUnstructured{Value:"${CANARY}"}`, "a string"],
  ];
  for (const [dump, type] of cases) {
    const message = `failed to create typed patch object (ns/db; /v1, Kind=Secret): .stringData.pin: expected string, got ${dump}`;
    const out = redactMessage(message);
    assert.equal(
      out,
      `failed to create typed patch object (ns/db; /v1, Kind=Secret): .stringData.pin: expected string, got ${type}`,
    );
  }
  assert.equal(
    redactMessage(`.immutable: expected boolean, got &{${CANARY}}`),
    ".immutable: expected boolean, got (redacted)",
  );
  assert.equal(
    redactMessage(".stringData.pin: expected string, got a number"),
    ".stringData.pin: expected string, got a number",
    "kube 1.35 says the type itself",
  );
  const several = `errors:\n  .stringData.pin: expected string, got &value.valueUnstructured{Value:424242}\n  .stringData.flag: expected string, got &value.valueUnstructured{Value:true}`;
  assert.equal(
    redactMessage(several),
    "errors:\n  .stringData.pin: expected string, got a number\n  .stringData.flag: expected string, got a boolean",
  );
});

test("field.Error values are redacted, the detail after them kept", () => {
  assert.equal(
    redactMessage(
      `Secret "db" is invalid: data[${CANARY}]: Invalid value: "${CANARY}": a valid config key must consist of alphanumeric characters`,
    ),
    `Secret "db" is invalid: data[${CANARY}]: Invalid value: (redacted): a valid config key must consist of alphanumeric characters`,
    "the key in the field path is a name, not a value",
  );
  assert.equal(
    redactMessage(`x: Invalid value: "a \\"${CANARY}\\": b": bad`),
    "x: Invalid value: (redacted): bad",
  );
  assert.equal(
    redactMessage("x: Invalid value: 424242: must be small"),
    "x: Invalid value: (redacted): must be small",
  );
  assert.equal(
    redactMessage(`x: Invalid value: map[string]interface {}{"a":"${CANARY}"}: y`),
    "x: Invalid value: (redacted)",
  );
  assert.equal(
    redactMessage(`type: Unsupported value: "${CANARY}": supported values: "Opaque"`),
    'type: Unsupported value: (redacted): supported values: "Opaque"',
  );
  assert.equal(
    redactMessage(`a: Invalid value: "${CANARY}": x, b: Duplicate value: "${CANARY}"`),
    "a: Invalid value: (redacted): x, b: Duplicate value: (redacted)",
  );
  assert.equal(redactMessage(`x: Invalid value: "${CANARY} unterminated`), "x: Invalid value: (redacted)");
});

test("JSON decoding errors lose the quoted input", () => {
  assert.equal(
    redactMessage(
      'Secret in version "v1" cannot be handled as a Secret: json: cannot unmarshal number 424242 into Go struct field Secret.stringData of type string',
    ),
    'Secret in version "v1" cannot be handled as a Secret: json: cannot unmarshal number into Go struct field Secret.stringData of type string',
  );
  assert.equal(
    redactMessage(`json: cannot unmarshal "${CANARY}" into Go value of type int`),
    "json: cannot unmarshal a value into Go value of type int",
  );
  const jsoniter = `v1.Secret.StringData: ReadString: expects " or n, but found 4, error found in #10 byte of ...|{"pin":424242,"x":"${CANARY}"}|..., bigger context ...|{"apiVersion":"v1","stringData":{"pin":424242}}|...`;
  const out = redactMessage(jsoniter);
  noCanary(out);
  assert.match(
    out,
    /^v1\.Secret\.StringData: ReadString: expects " or n, but found \(redacted\), error found in #10 byte of the request/,
  );
});

test("encoding/json syntax errors lose the character they quote (a dockerconfigjson's first byte)", () => {
  const message = `Secret "pull" is invalid: data[.dockerconfigjson]: Invalid value: "<secret contents redacted>": invalid character 'C' looking for beginning of value`;
  const out = redactMessage(message);
  assert.ok(!out.includes("'C'"), out);
  assert.match(
    out,
    /data\[\.dockerconfigjson\]: Invalid value: .*invalid character \(redacted\) looking for beginning of value$/,
  );
  assert.equal(
    redactMessage(`invalid character '\\'' after object key`),
    "invalid character (redacted) after object key",
  );
  assert.equal(
    redactMessage("invalid character 'x' in literal true (expecting 'r')"),
    "invalid character (redacted) in a literal",
  );
});

test("the object's own values are scrubbed wherever they remain: plain, escaped, base64, decoded, per line", () => {
  const secret = {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "db" },
    data: { password: Buffer.from(`${CANARY}-data`).toString("base64") },
    stringData: {
      pin: 424242,
      cert: `-----BEGIN ${CANARY}-----\nline-two-${CANARY}\n`,
      list: [`${CANARY}-item`],
      map: { k: `${CANARY}-map` },
    },
  };
  const values = sensitiveValues(secret);
  for (const text of [
    `unexpected ${CANARY}-data here`,
    `base64 ${secret.data.password}`,
    `the pin 424242 in text`,
    `quoted "-----BEGIN ${CANARY}-----\\nline-two-${CANARY}\\n"`,
    `one line: line-two-${CANARY}`,
    `stored as ${Buffer.from(`${CANARY}-item`).toString("base64")}`,
    `map ${CANARY}-map`,
  ]) {
    noCanary(redactMessage(text, values));
  }
  assert.equal(
    redactMessage('Secret db in ns: conflict with "kubectl" using v1: .data.password', values),
    'Secret db in ns: conflict with "kubectl" using v1: .data.password',
    "names, managers and paths stay",
  );
  assert.deepEqual(
    sensitiveValues({ apiVersion: "v1", kind: "ConfigMap", data: { a: CANARY } }),
    [],
    "a plain ConfigMap is not secret",
  );
  assert.ok(
    sensitiveValues(
      { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "settings" }, data: { a: CANARY } },
      true,
    ).includes(CANARY),
    "decrypted content: every value",
  );
  assert.ok(
    !sensitiveValues({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "settings" } }, true).includes(
      "settings",
    ),
    "names are not values",
  );
});

test("a Secret request is recognized by path or by body; Status bodies are redacted too", () => {
  assert.equal(isSecretRequest("/api/v1/namespaces/a/secrets/db", undefined), true);
  assert.equal(isSecretRequest("/api/v1/namespaces/a/secrets", undefined), true);
  assert.equal(isSecretRequest("/api/v1/secrets?limit=500", undefined), true);
  assert.equal(isSecretRequest("/api/v1/namespaces/a/configmaps/secrets", undefined), false);
  assert.equal(
    isSecretRequest("/apis/x.io/v1/namespaces/a/secrets/db", undefined),
    false,
    "another group's kind",
  );
  assert.equal(
    isSecretRequest("/api/v1/namespaces/a/configmaps/x", { apiVersion: "v1", kind: "Secret" }),
    true,
  );
  const body = JSON.stringify({
    kind: "Status",
    message: "x: expected string, got &value.valueUnstructured{Value:424242}",
    reason: "BadRequest",
    details: { causes: [{ field: "data[x]", message: `Invalid value: "${CANARY}": bad` }] },
    code: 400,
  });
  const out = redactStatusBody(body, []);
  noCanary(out);
  assert.equal((JSON.parse(out) as { reason: string }).reason, "BadRequest");
  assert.equal(redactStatusBody(`not json ${CANARY}`, []), "");
});
