// Promotion edits are byte-preserving: testdata/promote/<case>/{from,to}.yaml → expected.yaml (the
// promoted target) and expected-changes.yaml (changes and skipped values). UPDATE_GOLDEN=1 rewrites.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import YAML from "yaml";
import { promoteHelmValues, promoteKustomizeImages, promotionMessage } from "../../src/promote/edits.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../testdata/promote");
const update = process.env.UPDATE_GOLDEN === "1";
const read = (c: string, f: string) => fs.readFileSync(path.join(root, c, f), "utf8");

function golden(name: string, run: (from: string, to: string) => ReturnType<typeof promoteHelmValues>) {
  test(`promote golden: ${name}`, () => {
    const to = read(name, "to.yaml");
    const result = run(read(name, "from.yaml"), to);
    const summary = YAML.stringify({ changes: result.changes, skipped: result.skipped }, { lineWidth: 0 });
    if (update) {
      fs.writeFileSync(path.join(root, name, "expected.yaml"), result.text);
      fs.writeFileSync(path.join(root, name, "expected-changes.yaml"), summary);
    }
    assert.equal(result.text, read(name, "expected.yaml"));
    assert.equal(summary, read(name, "expected-changes.yaml"));
    // Only the changed values differ: every other line is byte-identical.
    const before = to.split("\n");
    const after = result.text.split("\n");
    assert.equal(after.length, before.length);
    const differing = before.filter((line, i) => line !== after[i]).length;
    assert.equal(differing, result.changes.length);
    // Promoting again changes nothing.
    assert.deepEqual(run(read(name, "from.yaml"), result.text).changes, []);
  });
}

golden("kustomize-overlays", (from, to) =>
  promoteKustomizeImages(from, to, {
    from: "overlays/staging/kustomization.yaml",
    to: "overlays/prod/kustomization.yaml",
  }),
);
golden("helm-values", (from, to) =>
  promoteHelmValues(from, to, JSON.parse(read("helm-values", "keys.json")) as string[], {
    from: "values-staging.yaml",
    to: "values-prod.yaml",
  }),
);

test("promote: a plain tag that would read back as a number is quoted", () => {
  const result = promoteHelmValues("image:\n  tag: v1\n", "image:\n  tag: v0 # x\n", ["image.tag"], {
    from: "a",
    to: "b",
  });
  assert.equal(result.text, "image:\n  tag: v1 # x\n");
  const numeric = promoteHelmValues('image:\n  tag: "1.10"\n', "image:\n  tag: abc\n", ["image.tag"], {
    from: "a",
    to: "b",
  });
  assert.equal(numeric.text, 'image:\n  tag: "1.10"\n');
});

test("promote: the commit message names app, environments and values, with trailers", () => {
  const message = promotionMessage("web", "staging", "prod", [
    { file: "web/overlays/prod/kustomization.yaml", key: "images[web].newTag", from: "1.0", to: "1.1" },
  ]);
  assert.equal(
    message,
    "promote web from staging to prod: 1.1\n\n- web/overlays/prod/kustomization.yaml: images[web].newTag 1.0 -> 1.1\n\nTether-Promotion: staging->prod\nTether-App: web\n",
  );
});

test("promote: a 50,000-key values file is read in linear time; a duplicate key is refused at its line", () => {
  // The yaml library's own duplicate-key check is quadratic (minutes for this file).
  const keys = Array.from({ length: 50_000 }, (_, i) => `k${i}: v\n`).join("");
  const to = `${keys}image:\n  tag: v0\n`;
  const files = { from: "values-staging.yaml", to: "values-prod.yaml" };
  const result = promoteHelmValues("image:\n  tag: v1\n", to, ["image.tag"], files);
  assert.equal(result.text, `${keys}image:\n  tag: v1\n`);
  // k0..k49999 on lines 1..50000, the repeat on line 50001.
  assert.throws(
    () => promoteHelmValues("image:\n  tag: v1\n", `${keys}k17: again\n`, ["image.tag"], files),
    /^Error: values-prod\.yaml: not valid YAML: line 50001: duplicate key "k17"/,
  );
  assert.throws(
    () => promoteKustomizeImages(`a: 1\n---\nb: 2\n`, "images: []\n", files),
    /values-staging\.yaml: not valid YAML: line 2: a second YAML document/,
  );
});
