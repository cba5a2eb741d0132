// Golden tests of the Setters strategy: testdata/images/setters/<case>/{before,after}.yaml. Every
// case also proves the edit is byte-preserving: the files differ only inside the changed values.
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import path from "node:path";
import { test } from "node:test";
import type { PolicyChoice, PolicyRef } from "../../src/engine/images/index.js";
import { applySetters, parseMarker } from "../../src/engine/images/index.js";
import { repoRoot } from "../../src/toolchain/components.js";

const dir = path.join(repoRoot, "testdata/images/setters");
const POLICIES: Record<string, PolicyChoice> = {
  "apps/app": { name: "example/app", tag: "1.2.4" },
  "apps/other": { name: "mirror.example.com/other", tag: "8" },
};
const choose = (ref: PolicyRef) => POLICIES[`${ref.namespace}/${ref.name}`];

/** The differing middle of two strings, after their common prefix and suffix. */
function middle(a: string, b: string): [string, string] {
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start += 1;
  let end = 0;
  while (end < a.length - start && end < b.length - start && a[a.length - 1 - end] === b[b.length - 1 - end])
    end += 1;
  return [a.slice(start, a.length - end), b.slice(start, b.length - end)];
}

for (const name of (await fs.readdir(dir)).sort()) {
  test(`setters golden: ${name}`, async () => {
    const before = await fs.readFile(path.join(dir, name, "before.yaml"), "utf8");
    const expected = await fs.readFile(path.join(dir, name, "after.yaml"), "utf8");
    const result = applySetters(before, choose);
    assert.equal(result.text, expected);
    assert.ok(result.changes.length > 0);
    // Byte-preserving: same lines, and every changed line differs only inside an old/new value.
    const a = before.split("\n");
    const b = result.text.split("\n");
    assert.equal(a.length, b.length);
    for (let i = 0; i < a.length; i += 1) {
      if (a[i] === b[i]) continue;
      const [removed, added] = middle(a[i] ?? "", b[i] ?? "");
      const change = result.changes.find((c) => c.line === i + 1);
      assert.ok(change, `line ${i + 1} changed without a recorded change`);
      assert.ok(
        change.oldValue.includes(removed) && change.newValue.includes(added),
        `line ${i + 1}: only the value changed`,
      );
    }
    // Idempotent: a second pass changes nothing.
    assert.deepEqual(applySetters(result.text, choose).changes, []);
  });
}

test("setters: the kustomization's tag-only change touches only the tag bytes", async () => {
  const before = await fs.readFile(path.join(dir, "kustomization/before.yaml"), "utf8");
  const result = applySetters(before, choose);
  const tag = result.changes.find((c) => c.field === "tag");
  assert.deepEqual([tag?.oldValue, tag?.newValue, tag?.line], ["1.2.3", "1.2.4", 7]);
  assert.deepEqual(middle(before, result.text.replace("mirror.example.com", "registry.example.com")), [
    "3",
    "4",
  ]);
});

test("setters: markers naming an unknown policy are reported, never guessed", async () => {
  const before = await fs.readFile(path.join(dir, "helm-values/before.yaml"), "utf8");
  const result = applySetters(before, choose);
  assert.deepEqual(result.problems, [
    { line: 10, message: "ImagePolicy apps/missing has no latest image yet" },
  ]);
  assert.deepEqual(result.policies, ["apps/app", "apps/missing"]);
});

test("setters: block scalars and invalid YAML are left alone with a reason", () => {
  const block = 'image: |-\n  example/app:1.2.3\nother: x # {"$imagepolicy": "apps:app"}\n';
  const r1 = applySetters(block, choose);
  assert.equal(r1.changes.length, 1);
  assert.equal(
    r1.text,
    'image: |-\n  example/app:1.2.3\nother: example/app:1.2.4 # {"$imagepolicy": "apps:app"}\n',
  );
  const broken = 'a: [1, 2\nimage: x:1 # {"$imagepolicy": "apps:app"}\n';
  const r2 = applySetters(broken, choose);
  assert.equal(r2.text, broken);
  assert.match(r2.problems[0]?.message ?? "", /not valid YAML/);
});

test("parseMarker: the three forms, and clear errors for the rest", () => {
  assert.deepEqual(parseMarker('{"$imagepolicy": "ns:p"}'), {
    ref: { namespace: "ns", name: "p" },
    field: "image",
  });
  assert.deepEqual(parseMarker('{"$imagepolicy": "ns:p:tag"}'), {
    ref: { namespace: "ns", name: "p" },
    field: "tag",
  });
  assert.deepEqual(parseMarker('{"$imagepolicy": "ns:p:name"}'), {
    ref: { namespace: "ns", name: "p" },
    field: "name",
  });
  assert.equal(parseMarker('{"other": 1}'), undefined);
  assert.equal(parseMarker("{not json"), undefined);
  assert.match((parseMarker('{"$imagepolicy": "p"}') as { error: string }).error, /namespace:name/);
  assert.match(
    (parseMarker('{"$imagepolicy": "ns:p:digest"}') as { error: string }).error,
    /namespace:name:tag/,
  );
});
