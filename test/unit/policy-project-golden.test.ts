// Golden fixtures for project checks: every folder under testdata/policy-project holds an
// input.yaml (the project's spec or null, the app's placement, the rendered objects) and the
// expected violations of admission (before fetching) and of the rendered resources.
// UPDATE_GOLDEN=1 rewrites expected.yaml from the current results; review the diff before keeping it.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import YAML from "yaml";
import type { AppProject, AppProjectSpec } from "../../src/model/appproject.js";
import type { RenderedRef } from "../../src/engine/policy/project.js";
import { checkAdmission, checkResources, placementOf } from "../../src/engine/policy/project.js";
import { assertGolden, goldenCases } from "../helpers/golden.js";

const { root, cases } = goldenCases("policy-project");

interface Input {
  project: AppProjectSpec | null;
  app: {
    name: string;
    namespace: string;
    repoURL: string;
    destination: { server?: string; name?: string; namespace?: string };
  };
  objects: RenderedRef[];
}

test("there are golden project cases", () => assert.ok(cases.length >= 15, `only ${cases.length} cases`));

for (const name of cases) {
  test(`policy-project golden: ${name}`, () => {
    const dir = path.join(root, name);
    const input = YAML.parse(fs.readFileSync(path.join(dir, "input.yaml"), "utf8")) as Input;
    const project: AppProject | undefined = input.project
      ? {
          apiVersion: "tether.dev/v1alpha1",
          kind: "AppProject",
          metadata: { name: "team-a" },
          spec: input.project,
        }
      : undefined;
    const placement = placementOf(input.app.destination, input.app.namespace);
    const admission = checkAdmission({
      projectName: "team-a",
      project,
      app: input.app,
      placement,
      systemNamespace: "tether-system",
    });
    const resources =
      project && admission.length === 0
        ? checkResources({ projectName: "team-a", project, placement, objects: input.objects })
        : [];
    const actual = { admission, resources };
    assertGolden(dir, actual);
  });
}
