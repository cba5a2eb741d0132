// Golden fixtures for the health stage: every folder under testdata/health holds an input.yaml
// (one live object, or null for "not found") and the expected {status, message}.
// UPDATE_GOLDEN=1 rewrites expected.yaml from the current results; review the diff before keeping it.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import YAML from "yaml";
import { resourceHealth } from "../../src/engine/health/index.js";
import { type UnstructuredObject } from "../../src/model/ref.js";
import { assertGolden, goldenCases } from "../helpers/golden.js";

const { root, cases } = goldenCases("health");

test("there are golden health cases for every built-in kind", () => {
  assert.ok(cases.length >= 25, `only ${cases.length} cases`);
});

test("every built-in check has at least one golden case", () => {
  const kinds = new Set(
    cases.map((name) => {
      const input = YAML.parse(
        fs.readFileSync(path.join(root, name, "input.yaml"), "utf8"),
      ) as UnstructuredObject | null;
      return input
        ? `${String(input.apiVersion).split("/").slice(0, -1).join("/")}/${String(input.kind)}`
        : "";
    }),
  );
  for (const kind of [
    "apps/Deployment",
    "apps/StatefulSet",
    "apps/DaemonSet",
    "apps/ReplicaSet",
    "/Pod",
    "/Service",
    "/PersistentVolumeClaim",
    "/Namespace",
    "batch/Job",
    "networking.k8s.io/Ingress",
    "apiextensions.k8s.io/CustomResourceDefinition",
    "apiregistration.k8s.io/APIService",
    "autoscaling/HorizontalPodAutoscaler",
    "tether.dev/Application",
    "bitnami.com/SealedSecret",
    "external-secrets.io/ExternalSecret",
    "external-secrets.io/ClusterExternalSecret",
  ]) {
    assert.ok(kinds.has(kind), `no golden case for ${kind}`);
  }
});

for (const name of cases) {
  test(`health golden: ${name}`, () => {
    const dir = path.join(root, name);
    const input = YAML.parse(
      fs.readFileSync(path.join(dir, "input.yaml"), "utf8"),
    ) as UnstructuredObject | null;
    const actual = resourceHealth(input);
    assertGolden(dir, actual);
  });
}
