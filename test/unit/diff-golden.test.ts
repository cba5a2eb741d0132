// Golden fixtures for the diff stage. Each folder under testdata/diff holds desired.yaml (the
// rendered manifest), predicted.yaml (the server-side apply dry-run result; absent when there is
// none), live.yaml (absent when the object does not exist), options.yaml (optional:
// ignoreDifferences, managedFieldsManagers, includeMutationWebhook) and expected.yaml (the CompareResult).
// UPDATE_GOLDEN=1 rewrites expected.yaml from the current results; review the diff before keeping it.
import assert from "node:assert/strict";
import path from "node:path";
import { test } from "node:test";
import type { IgnoreDifference } from "../../src/model/application.js";
import { type JsonObject, compareObject } from "../../src/engine/diff/index.js";
import { assertGolden, goldenCases, readCaseYaml } from "../helpers/golden.js";

const { root, cases } = goldenCases("diff");

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
    const desired = readCaseYaml<JsonObject>(dir, "desired.yaml");
    assert.ok(desired, `${name}/desired.yaml is required`);
    const options = readCaseYaml<Options>(dir, "options.yaml") ?? {};
    const actual = compareObject({
      desired,
      predicted: readCaseYaml<JsonObject>(dir, "predicted.yaml"),
      live: readCaseYaml<JsonObject>(dir, "live.yaml"),
      ...options,
    });
    // Through JSON, so that `live: undefined` and an absent key compare equal.
    assertGolden(dir, JSON.parse(JSON.stringify(actual)));
  });
}
