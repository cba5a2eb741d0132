// Golden fixtures for custom health rules: every folder under testdata/health-cel holds the YAML
// of the rules (config.yaml, as in ConfigMap tether-config key health.customizations), one live
// object (input.yaml, or null for "not found") and the expected verdict. UPDATE_GOLDEN=1 rewrites
// expected.yaml from the current results; review the diff before keeping it.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import YAML from "yaml";
import { CelEnvironment } from "../../src/engine/cel/index.js";
import { compileHealthCustomizations, healthEvaluator } from "../../src/engine/health/index.js";
import { type UnstructuredObject } from "../../src/model/ref.js";
import { assertGolden, goldenCases } from "../helpers/golden.js";

const SOURCE = "ConfigMap tether-system/tether-config key health.customizations";
const { root, cases } = goldenCases("health-cel");

test("there are golden cases for custom health", () => {
  assert.ok(cases.length >= 15, `only ${cases.length} cases`);
});

for (const name of cases) {
  test(`custom health golden: ${name}`, () => {
    const dir = path.join(root, name);
    const config = fs.readFileSync(path.join(dir, "config.yaml"), "utf8");
    const input = YAML.parse(
      fs.readFileSync(path.join(dir, "input.yaml"), "utf8"),
    ) as UnstructuredObject | null;
    const customizations = compileHealthCustomizations(config, SOURCE, new CelEnvironment({ object: "map" }));
    const verdict = healthEvaluator(customizations)(input);
    const actual = {
      ...verdict.health,
      ...(verdict.error ? { error: verdict.error } : {}),
      ...(customizations.errors.length > 0 ? { configErrors: customizations.errors } : {}),
    };
    assertGolden(dir, actual);
  });
}
