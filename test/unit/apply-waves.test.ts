// Sync steps (waves and hooks) from annotated manifests, against golden files in testdata/waves/.
// UPDATE_GOLDEN=1 rewrites expected.yaml from the current results; review the diff before keeping it.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { parseAllDocuments, stringify } from "yaml";
import { isSkipped, readSyncAnnotations } from "../../src/engine/apply/hooks.js";
import { planSteps } from "../../src/engine/apply/waves.js";
import { repoRoot } from "../../src/toolchain/components.js";

const dir = path.join(repoRoot, "testdata/waves");
const update = process.env.UPDATE_GOLDEN === "1";

interface Doc {
  kind: string;
  metadata: { name: string; annotations?: Record<string, string> };
}

function plan(docs: Doc[], pruneLast: boolean) {
  const items = docs.filter((d) => !isSkipped(d)).map((d) => ({ ...d, ...readSyncAnnotations(d) }));
  const { steps, failHooks } = planSteps({
    resources: items.filter((i) => i.hooks.length === 0),
    hooks: items.filter((i) => i.hooks.length > 0),
    pruneLast,
  });
  const name = (i: Doc) => `${i.kind}/${i.metadata.name}`;
  return {
    steps: steps.map((s) => ({
      id: s.id,
      waitHealthy: s.waitHealthy,
      ...(s.resources.length ? { resources: s.resources.map(name) } : {}),
      ...(s.hooks.length ? { hooks: s.hooks.map((h) => `${name(h)} (${h.deletePolicies.join(",")})`) } : {}),
    })),
    failHooks: failHooks.map(name),
  };
}

for (const name of fs.readdirSync(dir).sort()) {
  test(`sync steps golden: ${name}`, () => {
    const text = fs.readFileSync(path.join(dir, name, "input.yaml"), "utf8");
    const docs = parseAllDocuments(text).map((d) => d.toJSON() as Doc);
    const actual = stringify({ default: plan(docs, false), pruneLast: plan(docs, true) });
    const expectedFile = path.join(dir, name, "expected.yaml");
    if (update) fs.writeFileSync(expectedFile, actual);
    assert.equal(actual, fs.readFileSync(expectedFile, "utf8"));
  });
}

const annotated = (annotations: Record<string, string>) => ({
  kind: "Job",
  metadata: { name: "j", namespace: "ns", annotations },
});

test("a wave that is not an integer is an error naming the object and the annotation", () => {
  assert.throws(
    () => readSyncAnnotations(annotated({ "tether.dev/sync-wave": "first" })),
    /Job ns\/j: annotation tether\.dev\/sync-wave must be an integer, got "first"/,
  );
  assert.throws(
    () => readSyncAnnotations(annotated({ "tether.dev/sync-wave": "1.5" })),
    /must be an integer/,
  );
});

test("an unknown hook or delete policy is an error that lists what is accepted", () => {
  assert.throws(
    () => readSyncAnnotations(annotated({ "tether.dev/hook": "PreSnyc" })),
    /Job ns\/j: annotation tether\.dev\/hook has unknown hook "PreSnyc" \(expected PreSync, Sync, PostSync, SyncFail or Skip\)/,
  );
  assert.throws(
    () =>
      readSyncAnnotations(
        annotated({ "tether.dev/hook": "PreSync", "tether.dev/hook-delete-policy": "always" }),
      ),
    /unknown policy "always"/,
  );
});

test("Tether's annotation wins over Argo CD's and Helm's; hooks default to BeforeHookCreation", () => {
  const a = readSyncAnnotations(
    annotated({
      "tether.dev/sync-wave": "3",
      "argocd.argoproj.io/sync-wave": "9",
      "tether.dev/hook": "PostSync",
    }),
  );
  assert.deepEqual(a, { wave: 3, hooks: ["PostSync"], deletePolicies: ["BeforeHookCreation"] });
  assert.deepEqual(readSyncAnnotations({ kind: "ConfigMap", metadata: { name: "c" } }), {
    wave: 0,
    hooks: [],
    deletePolicies: [],
  });
});
