// Golden fixtures for the diff stage. Each folder under testdata/diff holds desired.yaml (the
// rendered manifest), predicted.yaml (the server-side apply dry-run result; absent when there is
// none), live.yaml (absent when the object does not exist), options.yaml (optional:
// ignoreDifferences, managedFieldsManagers, includeMutationWebhook) and expected.yaml (the CompareResult).
// UPDATE_GOLDEN=1 rewrites expected.yaml from the current results; review the diff before keeping it.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import YAML from "yaml";
import type { IgnoreDifference } from "../../src/model/application.js";
import { type JsonObject, compareObject } from "../../src/engine/diff/index.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../testdata/diff");
const update = process.env.UPDATE_GOLDEN === "1";
const cases = fs
  .readdirSync(root, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort();

function readYaml<T>(dir: string, file: string): T | undefined {
  const full = path.join(dir, file);
  return fs.existsSync(full) ? (YAML.parse(fs.readFileSync(full, "utf8")) as T) : undefined;
}

interface Options {
  ignoreDifferences?: IgnoreDifference[];
  managedFieldsManagers?: string[];
  includeMutationWebhook?: boolean;
}

test("there are at least 12 golden diff cases", () => {
  assert.ok(cases.length >= 12, `only ${cases.length} cases`);
});

for (const name of cases) {
  test(`diff golden: ${name}`, () => {
    const dir = path.join(root, name);
    const desired = readYaml<JsonObject>(dir, "desired.yaml");
    assert.ok(desired, `${name}/desired.yaml is required`);
    const options = readYaml<Options>(dir, "options.yaml") ?? {};
    const actual = compareObject({
      desired,
      predicted: readYaml<JsonObject>(dir, "predicted.yaml"),
      live: readYaml<JsonObject>(dir, "live.yaml"),
      ...options,
    });
    const expectedFile = path.join(dir, "expected.yaml");
    if (update) fs.writeFileSync(expectedFile, YAML.stringify(actual, { lineWidth: 0 }));
    const expected: unknown = readYaml(dir, "expected.yaml");
    // Through JSON, so that `live: undefined` and an absent key compare equal.
    assert.deepEqual(JSON.parse(JSON.stringify(actual)), expected);
  });
}
