// Golden fixtures for `tether import`: every folder under testdata/import holds input.yaml (Argo CD
// objects when the folder starts with argocd-, Flux when flux-), expected.yaml (the Tether objects,
// as `tether import` prints them) and expected-warnings.txt (its stderr lines, in order).
// UPDATE_GOLDEN=1 rewrites the expected files from the current results; review the diff.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { convert, formatMessage, parseObjects, printObjects } from "../../src/import/index.js";
import type { Application } from "../../src/model/application.js";
import { validateApplication } from "../../src/engine/validate.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../testdata/import");
const update = process.env.UPDATE_GOLDEN === "1";
const cases = fs
  .readdirSync(root, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort();

test("there are golden import cases for both tools", () => {
  assert.ok(cases.filter((c) => c.startsWith("argocd-")).length >= 5);
  assert.ok(cases.filter((c) => c.startsWith("flux-")).length >= 4);
});

for (const name of cases) {
  test(`import golden: ${name}`, () => {
    const dir = path.join(root, name);
    const tool = name.startsWith("argocd-") ? "argocd" : "flux";
    const result = convert(tool, fs.readFileSync(path.join(dir, "input.yaml"), "utf8"));
    const yaml = printObjects(result.objects, "yaml");
    const warnings = result.messages.map((m) => `${formatMessage(m)}\n`).join("");
    if (update) {
      fs.writeFileSync(path.join(dir, "expected.yaml"), yaml);
      fs.writeFileSync(path.join(dir, "expected-warnings.txt"), warnings);
    }
    assert.equal(yaml, fs.readFileSync(path.join(dir, "expected.yaml"), "utf8"));
    assert.equal(warnings, fs.readFileSync(path.join(dir, "expected-warnings.txt"), "utf8"));
    // Round trip: what was printed parses back to the same objects, and every Application is valid.
    assert.deepEqual(parseObjects(yaml), result.objects);
    for (const object of result.objects) {
      assert.equal(object["apiVersion"], "tether.dev/v1alpha1");
      if (object["kind"] === "Application")
        assert.deepEqual(validateApplication(object as unknown as Application), []);
    }
  });
}

test("import: a manifest where everything maps has no dropped field (exit 0)", () => {
  const text = fs.readFileSync(path.join(root, "flux-simple/input.yaml"), "utf8");
  assert.deepEqual(
    convert("flux", text).messages.filter((m) => m.severity === "dropped"),
    [],
  );
});

test("import: every field of the input is accounted for (converted or reported)", () => {
  const text = fs.readFileSync(path.join(root, "flux-bootstrap-layout/input.yaml"), "utf8");
  const fields = convert("flux", text).messages.map((m) => `${m.object}: ${m.field}`);
  for (const expected of [
    "Kustomization flux-system/apps: spec.postBuild.substituteFrom",
    "Kustomization flux-system/apps: spec.decryption",
    "Kustomization flux-system/infra-configs: spec.patches",
    "GitRepository flux-system/flux-system: spec.secretRef",
  ])
    assert.ok(fields.includes(expected), `${expected} not reported`);
});

test("import: JSON output is one v1 List that parses back", () => {
  const result = convert(
    "argocd",
    fs.readFileSync(path.join(root, "argocd-guestbook-directory/input.yaml"), "utf8"),
  );
  const list = JSON.parse(printObjects(result.objects, "json")) as { kind: string; items: unknown[] };
  assert.equal(list.kind, "List");
  assert.deepEqual(list.items, result.objects);
});

test("import: --namespace moves Applications, AppProjects stay in the system namespace", () => {
  const text =
    fs.readFileSync(path.join(root, "argocd-appproject-roles/input.yaml"), "utf8") +
    "---\n" +
    fs.readFileSync(path.join(root, "argocd-kustomize-guestbook/input.yaml"), "utf8");
  const result = convert("argocd", text, { namespace: "team-a", systemNamespace: "ops" });
  const namespaces = result.objects.map(
    (o) => `${String(o["kind"])}:${String((o["metadata"] as { namespace: string }).namespace)}`,
  );
  assert.deepEqual(namespaces, ["AppProject:ops", "Application:team-a"]);
});
