import assert from "node:assert/strict";
import { test } from "node:test";
import { InvalidSpec } from "../../src/engine/errors.js";
import {
  type JsonObject,
  formatJsonPointer,
  parseJsonPointer,
  removeJsonPointer,
  removeLocations,
} from "../../src/engine/diff/index.js";

test("RFC 6901 escapes: ~1 is '/', ~0 is '~', and ~01 is the literal '~1'", () => {
  assert.deepEqual(parseJsonPointer("/metadata/annotations/example.com~1owner"), [
    "metadata",
    "annotations",
    "example.com/owner",
  ]);
  assert.deepEqual(parseJsonPointer("/a~0b"), ["a~b"]);
  assert.deepEqual(parseJsonPointer("/~01"), ["~1"]);
  assert.deepEqual(parseJsonPointer("/"), [""]);
  assert.deepEqual(parseJsonPointer(""), []);
  assert.equal(
    formatJsonPointer(["metadata", "labels", "app.kubernetes.io/name"]),
    "/metadata/labels/app.kubernetes.io~1name",
  );
  assert.equal(formatJsonPointer(["a~b", 0]), "/a~0b/0");
});

test("malformed pointers are InvalidSpec errors naming the pointer", () => {
  assert.throws(
    () => parseJsonPointer("spec/replicas"),
    (e: unknown) => e instanceof InvalidSpec && /spec\/replicas/.test(e.message),
  );
  assert.throws(() => parseJsonPointer("/a~2"), InvalidSpec);
  assert.throws(() => parseJsonPointer("/a~"), InvalidSpec);
  assert.throws(() => removeJsonPointer({}, ""), /whole object/);
});

test("removing by pointer deletes object keys and array items, and ignores missing paths", () => {
  const obj: JsonObject = {
    metadata: { annotations: { "example.com/owner": "team", keep: "x" } },
    spec: { args: ["a", "b", "c"] },
  };
  removeJsonPointer(obj, "/metadata/annotations/example.com~1owner");
  removeJsonPointer(obj, "/spec/args/1");
  removeJsonPointer(obj, "/spec/nothing/here");
  removeJsonPointer(obj, "/spec/args/01"); // not a valid index: leading zero
  removeJsonPointer(obj, "/spec/args/9");
  assert.deepEqual(obj, { metadata: { annotations: { keep: "x" } }, spec: { args: ["a", "c"] } });
});

test("removing several locations deletes higher indexes first so others stay valid", () => {
  const obj: JsonObject = { list: ["a", "b", "c", "d"], nested: [{ x: 1, y: 2 }] };
  removeLocations(obj, [
    ["list", 0],
    ["list", 2],
    ["nested", 0, "x"],
    ["nested", 0],
  ]);
  assert.deepEqual(obj, { list: ["b", "d"], nested: [] });
});
