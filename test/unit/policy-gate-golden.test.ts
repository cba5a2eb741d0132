// Golden fixtures for the policy gate's pure core: every folder under testdata/policy-gate holds an
// input.yaml (the project's spec.policy as `settings`, optional custom rule sources as `configMap`
// keys and `policies`, and the rendered objects) and the expected violations and rule errors.
// UPDATE_GOLDEN=1 rewrites expected.yaml from the current results; review the diff before keeping it.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import YAML from "yaml";
import { CelEnvironment } from "../../src/engine/cel/index.js";
import type { PolicyObject, PolicySettings } from "../../src/engine/policy/evaluate.js";
import { evaluatePolicies } from "../../src/engine/policy/evaluate.js";
import type { RuleSource } from "../../src/engine/policy/rules.js";
import { compilePolicyRules, POLICY_VARIABLES } from "../../src/engine/policy/rules.js";
import { assertGolden, goldenCases } from "../helpers/golden.js";

const { root, cases } = goldenCases("policy-gate");
const cel = new CelEnvironment(POLICY_VARIABLES);

interface Input {
  settings: Omit<PolicySettings, "app">;
  configMap?: Record<string, string>;
  policies?: Record<string, unknown>;
  objects: PolicyObject[];
}

test("there are golden policy-gate cases", () => assert.ok(cases.length >= 15, `only ${cases.length} cases`));

for (const name of cases) {
  test(`policy-gate golden: ${name}`, () => {
    const dir = path.join(root, name);
    const input = YAML.parse(fs.readFileSync(path.join(dir, "input.yaml"), "utf8")) as Input;
    const sources: RuleSource[] = [
      ...Object.entries(input.configMap ?? {}).map(([key, text]): RuleSource => ({
        kind: "yaml",
        source: `ConfigMap tether-system/tether-policies key ${key}`,
        text,
      })),
      ...Object.entries(input.policies ?? {}).map(([policy, rules]): RuleSource => ({
        kind: "list",
        source: `Policy tether-system/${policy} spec.rules`,
        rules,
      })),
    ];
    const rules = compilePolicyRules(sources, cel);
    const actual = evaluatePolicies(input.objects, rules, {
      ...input.settings,
      app: { name: "web", namespace: "apps", project: "team-a" },
    });
    assertGolden(dir, actual);
  });
}
