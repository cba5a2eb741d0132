import assert from "node:assert/strict";
import { test } from "node:test";
import { InvalidSpec } from "../../src/engine/errors.js";
import { type JsonObject, jqPathLocations, parseJqPath, removeJqPath } from "../../src/engine/diff/index.js";

function deployment(): JsonObject {
  return {
    metadata: { annotations: { foo: "1", "example.com/owner": "team" } },
    spec: {
      replicas: 3,
      template: {
        spec: {
          containers: [
            { name: "app", image: "app:1", env: [{ name: "A", value: "1" }] },
            { name: "istio-proxy", image: "proxy:1" },
          ],
        },
      },
    },
  };
}

test("parses the supported subset into steps", () => {
  assert.deepEqual(parseJqPath(".spec.replicas"), [
    { kind: "field", name: "spec" },
    { kind: "field", name: "replicas" },
  ]);
  assert.deepEqual(parseJqPath('.metadata.annotations["example.com/owner"]'), [
    { kind: "field", name: "metadata" },
    { kind: "field", name: "annotations" },
    { kind: "field", name: "example.com/owner" },
  ]);
  assert.deepEqual(parseJqPath('.metadata.annotations."a-b"'), [
    { kind: "field", name: "metadata" },
    { kind: "field", name: "annotations" },
    { kind: "field", name: "a-b" },
  ]);
  assert.deepEqual(parseJqPath('.spec.containers[] | select(.name == "x") | .image'), [
    { kind: "field", name: "spec" },
    { kind: "field", name: "containers" },
    { kind: "each" },
    { kind: "select", path: [{ kind: "field", name: "name" }], op: "==", value: "x" },
    { kind: "field", name: "image" },
  ]);
  assert.deepEqual(parseJqPath(".spec.ports[0].nodePort"), [
    { kind: "field", name: "spec" },
    { kind: "field", name: "ports" },
    { kind: "index", index: 0 },
    { kind: "field", name: "nodePort" },
  ]);
});

test("locates every match of a [] path", () => {
  assert.deepEqual(jqPathLocations(deployment(), ".spec.template.spec.containers[].image"), [
    ["spec", "template", "spec", "containers", 0, "image"],
    ["spec", "template", "spec", "containers", 1, "image"],
  ]);
});

test("select keeps only matching items; != and non-string literals work", () => {
  const obj = deployment();
  removeJqPath(obj, '.spec.template.spec.containers[] | select(.name == "istio-proxy") | .image');
  assert.deepEqual(obj.spec, {
    replicas: 3,
    template: {
      spec: {
        containers: [
          { name: "app", image: "app:1", env: [{ name: "A", value: "1" }] },
          { name: "istio-proxy" },
        ],
      },
    },
  });
  const other = deployment();
  removeJqPath(other, '.spec.template.spec.containers[] | select(.name != "app")');
  assert.equal(
    (other.spec as { template: { spec: { containers: unknown[] } } }).template.spec.containers.length,
    1,
  );
  assert.deepEqual(jqPathLocations({ items: [{ n: 1 }, { n: 2 }, { m: 3 }] }, ".items[] | select(.n == 2)"), [
    ["items", 1],
  ]);
  assert.deepEqual(jqPathLocations({ items: [{ n: 1 }, { m: 3 }] }, ".items[] | select(.n == null)"), [
    ["items", 1],
  ]);
});

test("removal deletes values, whole list items and quoted keys; missing paths are no-ops", () => {
  const obj = deployment();
  removeJqPath(obj, ".spec.replicas");
  removeJqPath(obj, '.metadata.annotations["example.com/owner"]');
  removeJqPath(obj, ".spec.template.spec.containers[].env");
  removeJqPath(obj, ".spec.nothing.here");
  removeJqPath(obj, ".spec.template.spec.containers[5]");
  assert.deepEqual(obj, {
    metadata: { annotations: { foo: "1" } },
    spec: {
      template: {
        spec: {
          containers: [
            { name: "app", image: "app:1" },
            { name: "istio-proxy", image: "proxy:1" },
          ],
        },
      },
    },
  });
  const list: JsonObject = { items: ["a", "b", "c"] };
  removeJqPath(list, ".items[]");
  assert.deepEqual(list, { items: [] });
});

test("anything outside the subset is refused with the expression in the message", () => {
  for (const expression of [
    "..",
    ".spec..image",
    ".spec.replicas?",
    ".spec | length",
    '.spec.containers[] | select(.name | startswith("x"))',
    ".spec.containers[-1]",
    ".spec.containers[1:2]",
    "spec.replicas",
    '.a | select(.name == "x" and .b == 1)',
    '.a["unterminated]',
    ".a | del(.b)",
    "$__loc__",
  ]) {
    assert.throws(
      () => parseJqPath(expression),
      (error: unknown) => error instanceof InvalidSpec && error.message.includes(`"${expression}"`),
      expression,
    );
  }
  assert.throws(() => removeJqPath({}, "."), /whole object/);
});
