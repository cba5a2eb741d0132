import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import YAML from "yaml";
import { InvalidSpec } from "../../src/engine/errors.js";
import {
  type JsonObject,
  changedFields,
  compareObject,
  ignoreRuleMatches,
  normalizeForDiff,
  validateIgnoreDifferences,
} from "../../src/engine/diff/index.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../testdata/diff");
const read = (name: string, file: string): JsonObject | undefined => {
  const full = path.join(root, name, file);
  return fs.existsSync(full) ? (YAML.parse(fs.readFileSync(full, "utf8")) as JsonObject) : undefined;
};
const fixture = (name: string) => ({
  desired: read(name, "desired.yaml") as JsonObject,
  predicted: read(name, "predicted.yaml"),
  live: read(name, "live.yaml"),
});

test("the ignore fixtures really differ: without their options they are OutOfSync", () => {
  const expectations: Record<string, string[]> = {
    "ignore-json-pointer": ["/metadata/annotations/example.com~1owner", "/spec/replicas"],
    "ignore-jq-expression": [
      "/metadata/annotations/example.com~1deployed-at",
      "/spec/template/spec/containers/0/image",
    ],
    "ignore-managed-fields-manager": ["/spec/replicas"],
    "managed-fields-manager-other-drift": ["/spec/replicas", "/spec/template/spec/containers/0/image"],
  };
  for (const [name, fields] of Object.entries(expectations)) {
    const result = compareObject(fixture(name));
    assert.equal(result.status, "OutOfSync", name);
    assert.deepEqual(result.fields, fields, name);
  }
});

test("normalizeForDiff never modifies its input and sorts keys", () => {
  const live = fixture("identical-after-defaults").live as JsonObject;
  const before = structuredClone(live);
  const normalized = normalizeForDiff(live, {
    ignoreDifferences: [{ group: "apps", kind: "*", jsonPointers: ["/spec"] }],
  });
  assert.deepEqual(live, before);
  assert.deepEqual(Object.keys(normalized), ["apiVersion", "kind", "metadata"]);
  assert.deepEqual(normalized.metadata, { labels: { app: "web" }, name: "web", namespace: "shop" });
});

test("Secret stringData is folded into base64 data, stringData winning, as the apiserver does", () => {
  const secret = {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "s" },
    data: { a: "eA==", b: "eQ==" },
    stringData: { b: "z" },
  };
  assert.deepEqual(normalizeForDiff(secret), {
    apiVersion: "v1",
    data: { a: "eA==", b: "eg==" },
    kind: "Secret",
    metadata: { name: "s" },
  });
  // A non-core "Secret" kind is not the core Secret and is left alone.
  const other = {
    apiVersion: "example.com/v1",
    kind: "Secret",
    metadata: { name: "s" },
    stringData: { b: "z" },
  };
  assert.deepEqual(normalizeForDiff(other), other);
});

test("a missing object with no dry-run result is created from the manifest", () => {
  const desired = {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "c", namespace: "n" },
    data: { k: "v" },
  };
  assert.deepEqual(compareObject({ desired }), {
    status: "OutOfSync",
    created: true,
    fields: [],
    predicted: {
      apiVersion: "v1",
      data: { k: "v" },
      kind: "ConfigMap",
      metadata: { name: "c", namespace: "n" },
    },
    basis: "manifest",
  });
});

test("ignore rules match like Argo CD: group/kind globs, omitted group = core, empty name/namespace = all", () => {
  const deployment = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web", namespace: "shop" },
  };
  const configMap = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "web", namespace: "shop" } };
  assert.equal(ignoreRuleMatches({ group: "apps", kind: "Deployment" }, deployment), true);
  assert.equal(
    ignoreRuleMatches({ kind: "Deployment" }, deployment),
    false,
    "omitted group is the core group",
  );
  assert.equal(ignoreRuleMatches({ kind: "ConfigMap" }, configMap), true);
  assert.equal(ignoreRuleMatches({ group: "*", kind: "*" }, deployment), true);
  assert.equal(ignoreRuleMatches({ group: "app*", kind: "Deploy*" }, deployment), true);
  assert.equal(ignoreRuleMatches({ group: "apps", kind: "Deployment", name: "api" }, deployment), false);
  assert.equal(
    ignoreRuleMatches({ group: "apps", kind: "Deployment", namespace: "other" }, deployment),
    false,
  );
  assert.equal(
    ignoreRuleMatches({ group: "apps", kind: "Deployment", name: "", namespace: "shop" }, deployment),
    true,
  );
  // Regex metacharacters in a pattern are literal.
  assert.equal(ignoreRuleMatches({ group: "a.ps", kind: "Deployment" }, deployment), false);
});

test("validateIgnoreDifferences rejects bad rules up front, naming the rule and the expression", () => {
  validateIgnoreDifferences([
    {
      group: "apps",
      kind: "Deployment",
      jsonPointers: ["/spec/replicas"],
      jqPathExpressions: [".spec.replicas"],
    },
  ]);
  validateIgnoreDifferences(undefined);
  assert.throws(
    () =>
      validateIgnoreDifferences([
        { kind: "ConfigMap" },
        { kind: "Deployment", jqPathExpressions: [".a | length"] },
      ]),
    (e: unknown) =>
      e instanceof InvalidSpec &&
      e.message.startsWith("spec.ignoreDifferences[1]:") &&
      e.message.includes('".a | length"'),
  );
  assert.throws(() => validateIgnoreDifferences([{ kind: "X", jsonPointers: ["spec"] }]), InvalidSpec);
  assert.throws(() => validateIgnoreDifferences([{ kind: "X", jsonPointers: [""] }]), /whole object/);
  assert.throws(() => validateIgnoreDifferences([{ kind: "" }]), /kind is required/);
});

test("a bad rule that matches the object fails the comparison with InvalidSpec", () => {
  const desired = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c" } };
  assert.throws(
    () =>
      compareObject({
        desired,
        live: desired,
        ignoreDifferences: [{ kind: "ConfigMap", jqPathExpressions: ["..a"] }],
      }),
    InvalidSpec,
  );
});

test("changedFields: nested keys, added/removed keys, lengths and order", () => {
  assert.deepEqual(changedFields({ a: 1, b: { c: 2 } }, { a: 1, b: { c: 2 } }), []);
  assert.deepEqual(changedFields({ b: { c: 2, d: 1 }, a: 1 }, { a: 2, b: { c: 3, e: 1 } }), [
    "/a",
    "/b/c",
    "/b/d",
    "/b/e",
  ]);
  assert.deepEqual(changedFields({ l: [1, 2] }, { l: [1, 2, 3] }), ["/l"]);
  assert.deepEqual(changedFields({ l: [1, 2] }, { l: [2, 1] }), ["/l"]);
  assert.deepEqual(
    changedFields({ l: [{ n: "a", v: 1 }, { n: "b" }] }, { l: [{ n: "a", v: 2 }, { n: "b" }] }),
    ["/l/0/v"],
  );
  assert.deepEqual(changedFields({ "a/b": { "c~d": 1 } }, { "a/b": { "c~d": 2 } }), ["/a~1b/c~0d"]);
  assert.deepEqual(changedFields(1, "1"), [""]);
});

test("an empty annotations map left after ignoring is not drift against no annotations", () => {
  const desired = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c" }, data: { k: "v" } };
  const live = { ...desired, metadata: { name: "c", annotations: { "example.com/x": "1" } } };
  const result = compareObject({
    desired,
    predicted: desired,
    live,
    ignoreDifferences: [{ kind: "ConfigMap", jqPathExpressions: ['.metadata.annotations["example.com/x"]'] }],
  });
  assert.equal(result.status, "Synced");
});

test("Secret values are masked in the result even when the object is created", () => {
  const desired = {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "s" },
    stringData: { password: "hunter2" },
  };
  const result = compareObject({ desired });
  assert.deepEqual(result.predicted.data, { password: "++++++++" });
  assert.ok(!JSON.stringify(result).includes("aHVudGVyMg=="));
  assert.ok(!JSON.stringify(result).includes("hunter2"));
});

test("comparison is deterministic: the same inputs give byte-identical results", () => {
  const a = JSON.stringify(compareObject(fixture("image-drift")));
  const b = JSON.stringify(compareObject(fixture("image-drift")));
  assert.equal(a, b);
});

test("managedFieldsManagers: an item the manager created is ignored only where one side lacks it", () => {
  const injector = {
    manager: "injector",
    operation: "Update",
    fieldsType: "FieldsV1",
    fieldsV1: {
      "f:spec": {
        "f:containers": {
          'k:{"name":"sidecar"}': { ".": {}, "f:name": {}, "f:image": {} },
          'k:{"name":"app"}': { ".": {}, "f:env": {} },
        },
      },
    },
  };
  const desired = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "p" },
    spec: { containers: [{ name: "app", image: "app:2" }] },
  };
  const live: JsonObject = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "p", managedFields: [injector] },
    spec: {
      containers: [
        { name: "app", image: "app:1", env: [{ name: "INJECTED", value: "1" }] },
        { name: "sidecar", image: "proxy:1" },
      ],
    },
  };
  const result = compareObject({ desired, predicted: desired, live, managedFieldsManagers: ["injector"] });
  // The sidecar (only in live) and the injected env (owned whole) are ignored; the app image,
  // inside an item the injector also claims, still counts.
  assert.deepEqual(result.fields, ["/spec/containers/0/image"]);
});
