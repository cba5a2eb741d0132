// RespectIgnoreDifferences: the object a sync applies keeps live's value of every ignored field.
import assert from "node:assert/strict";
import { test } from "node:test";
import { respectIgnoredFields } from "../../src/engine/diff/index.js";
import type { JsonObject } from "../../src/engine/diff/index.js";

const deployment = (replicas: number, image: string, extra: JsonObject = {}): JsonObject => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "web", namespace: "shop", ...extra },
  spec: {
    replicas,
    template: {
      spec: {
        containers: [
          { name: "app", image },
          { name: "proxy", image: "envoy:1" },
        ],
      },
    },
  },
});

test("jsonPointers: the live value replaces Git's; the input is not modified", () => {
  const desired = deployment(1, "app:1");
  const out = respectIgnoredFields({
    desired,
    live: deployment(4, "app:2"),
    ignoreDifferences: [{ group: "apps", kind: "Deployment", jsonPointers: ["/spec/replicas"] }],
  });
  assert.deepEqual(out, deployment(4, "app:1"));
  assert.deepEqual(desired, deployment(1, "app:1"));
});

test("jqPathExpressions with select: only the selected item's field takes live's value", () => {
  const out = respectIgnoredFields({
    desired: deployment(1, "app:1"),
    live: deployment(1, "app:2"),
    ignoreDifferences: [
      {
        group: "apps",
        kind: "Deployment",
        jqPathExpressions: ['.spec.template.spec.containers[] | select(.name == "app") | .image'],
      },
    ],
  });
  assert.deepEqual(out, deployment(1, "app:2"));
});

test("a field live does not have is left out of what is applied", () => {
  const live = deployment(1, "app:1");
  delete (live.spec as JsonObject).replicas;
  const out = respectIgnoredFields({
    desired: deployment(3, "app:1"),
    live,
    ignoreDifferences: [{ group: "apps", kind: "Deployment", jsonPointers: ["/spec/replicas"] }],
  });
  assert.equal((out.spec as JsonObject).replicas, undefined);
});

test("managedFieldsManagers: fields the manager owns in live take live's value", () => {
  const managedFields = [
    {
      manager: "kube-controller-manager",
      operation: "Update",
      fieldsType: "FieldsV1",
      fieldsV1: { "f:spec": { "f:replicas": {} } },
    },
  ];
  const out = respectIgnoredFields({
    desired: deployment(1, "app:1"),
    live: deployment(6, "app:2", { managedFields }),
    ignoreDifferences: [
      { group: "apps", kind: "Deployment", managedFieldsManagers: ["kube-controller-manager"] },
    ],
  });
  assert.deepEqual(out, deployment(6, "app:1"));
});

test("rules for another kind or name, or no live object: the manifest unchanged", () => {
  const desired = deployment(1, "app:1");
  const rules = [{ group: "apps", kind: "Deployment", name: "other", jsonPointers: ["/spec/replicas"] }];
  assert.equal(
    respectIgnoredFields({ desired, live: deployment(4, "app:1"), ignoreDifferences: rules }),
    desired,
  );
  assert.equal(
    respectIgnoredFields({
      desired,
      live: undefined,
      ignoreDifferences: [{ kind: "*", group: "*", jsonPointers: ["/spec/replicas"] }],
    }),
    desired,
  );
});
