// Golden fixtures for prune and cascade-delete decisions: every folder under testdata/prune holds
// an input.yaml (the app, its project's spec or null, its destination, what it rendered and what is
// live with the marks each object carries) and expected.yaml (one decision per candidate).
// UPDATE_GOLDEN=1 rewrites expected.yaml from the current results; review the diff before keeping it.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import YAML from "yaml";
import type { AppProject, AppProjectSpec } from "../../src/model/appproject.js";
import { placementOf } from "../../src/engine/policy/project.js";
import { pruneCandidates } from "../../src/engine/prune/candidates.js";
import type { KubeObject } from "../../src/model/ref.js";
import { assertGolden, goldenCases } from "../helpers/golden.js";

const { root, cases } = goldenCases("prune");

interface Input {
  app: string;
  installationId: string;
  purpose: "prune" | "cascade";
  pruneFoundations: boolean;
  project: AppProjectSpec | null;
  destination: { server?: string; name?: string; namespace?: string };
  desired: KubeObject[];
  live: KubeObject[];
}

test("there are golden prune cases", () => assert.ok(cases.length >= 12, `only ${cases.length} cases`));

for (const name of cases) {
  test(`prune golden: ${name}`, () => {
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
    const placement = placementOf(input.destination, "apps");
    const decisions = pruneCandidates({
      app: input.app,
      installationId: input.installationId,
      desired: input.desired,
      live: input.live,
      purpose: input.purpose,
      pruneFoundations: input.pruneFoundations,
      project: { name: "team-a", project, placement },
    });
    const actual = decisions.map((d) => ({
      kind: d.object.kind,
      ...(d.object.metadata?.namespace ? { namespace: d.object.metadata.namespace } : {}),
      name: d.object.metadata?.name,
      action: d.action,
      reason: d.reason,
    }));
    assertGolden(dir, actual);
  });
}
