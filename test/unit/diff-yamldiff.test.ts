import assert from "node:assert/strict";
import { test } from "node:test";
import { yamlDiff } from "../../src/engine/diff/index.js";

const before = {
  kind: "Deployment",
  apiVersion: "apps/v1",
  metadata: { name: "web" },
  spec: { replicas: 2, template: { spec: { containers: [{ name: "web", image: "nginx:1.27" }] } } },
};
const after = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "web" },
  spec: { replicas: 5, template: { spec: { containers: [{ name: "web", image: "nginx:1.28" }] } } },
};

test("equal objects (whatever their key order) give an empty diff", () => {
  assert.equal(yamlDiff(before, structuredClone(before)), "");
  assert.equal(yamlDiff({ b: 1, a: 2 }, { a: 2, b: 1 }), "");
});

test("full diff shows every line with ' ', '-' or '+'", () => {
  assert.equal(
    yamlDiff(before, after, { context: Infinity }),
    [
      "  apiVersion: apps/v1",
      "  kind: Deployment",
      "  metadata:",
      "    name: web",
      "  spec:",
      "-   replicas: 2",
      "+   replicas: 5",
      "    template:",
      "      spec:",
      "        containers:",
      "-         - image: nginx:1.27",
      "+         - image: nginx:1.28",
      "            name: web",
      "",
    ].join("\n"),
  );
});

test("hunks keep `context` lines around changes with unified-style headers", () => {
  assert.equal(
    yamlDiff(before, after, { context: 1 }),
    [
      "@@ -5,3 +5,3 @@",
      "  spec:",
      "-   replicas: 2",
      "+   replicas: 5",
      "    template:",
      "@@ -9,3 +9,3 @@",
      "        containers:",
      "-         - image: nginx:1.27",
      "+         - image: nginx:1.28",
      "            name: web",
      "",
    ].join("\n"),
  );
});

test("an undefined side is an empty document", () => {
  assert.equal(yamlDiff(undefined, { a: 1 }), "@@ -0,0 +1,1 @@\n+ a: 1\n");
  assert.equal(yamlDiff({ a: 1 }, undefined), "@@ -1,1 +0,0 @@\n- a: 1\n");
});

test("insertions in the middle are aligned by the longest common subsequence", () => {
  const a = { list: ["a", "b", "c", "d"] };
  const b = { list: ["a", "x", "b", "c", "d"] };
  assert.equal(yamlDiff(a, b, { context: 0 }), "@@ -2,0 +3,1 @@\n+   - x\n");
});
