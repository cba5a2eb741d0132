import assert from "node:assert/strict";
import { test } from "node:test";
import { applyOrder, pruneOrder } from "../../src/engine/apply/order.js";

const o = (kind: string, name: string, namespace?: string) => ({ kind, metadata: { name, namespace } });

test("apply order: namespaces and CRDs before what uses them, custom kinds last, stable by name", () => {
  const input = [
    o("Widget", "w"),
    o("Deployment", "web", "ns"),
    o("Service", "web", "ns"),
    o("CustomResourceDefinition", "widgets.example.com"),
    o("ConfigMap", "b", "ns"),
    o("ConfigMap", "a", "ns"),
    o("Namespace", "ns"),
    o("ServiceAccount", "sa", "ns"),
  ];
  const kinds = applyOrder(input).map((x) => `${x.kind}/${x.metadata.name}`);
  assert.deepEqual(kinds, [
    "Namespace/ns",
    "ServiceAccount/sa",
    "ConfigMap/a",
    "ConfigMap/b",
    "CustomResourceDefinition/widgets.example.com",
    "Service/web",
    "Deployment/web",
    "Widget/w",
  ]);
  assert.equal(input[0]?.kind, "Widget", "input untouched");
});

test("prune order is the reverse of apply order", () => {
  const input = [o("Namespace", "ns"), o("Deployment", "web", "ns"), o("ConfigMap", "a", "ns")];
  assert.deepEqual(
    pruneOrder(input).map((x) => x.kind),
    ["Deployment", "ConfigMap", "Namespace"],
  );
});

test("apply order: Tether Applications (app of apps) after every other kind, custom resources included", () => {
  const app = (name: string) => ({
    apiVersion: "tether.dev/v1alpha1",
    kind: "Application",
    metadata: { name, namespace: "apps" },
  });
  const input = [
    app("child-b"),
    { apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w" } },
    app("child-a"),
    o("ConfigMap", "c", "ns"),
  ];
  assert.deepEqual(
    applyOrder(input).map((x) => `${x.kind}/${x.metadata.name}`),
    ["ConfigMap/c", "Widget/w", "Application/child-a", "Application/child-b"],
  );
  assert.deepEqual(
    pruneOrder(input).map((x) => `${x.kind}/${x.metadata.name}`),
    ["Application/child-b", "Application/child-a", "Widget/w", "ConfigMap/c"],
  );
  // Another group's "Application" kind is an ordinary custom resource.
  const other = { apiVersion: "argoproj.io/v1alpha1", kind: "Application", metadata: { name: "x" } };
  assert.deepEqual(
    applyOrder([other, { apiVersion: "example.com/v1", kind: "Zeta", metadata: { name: "z" } }]).map(
      (x) => x.kind,
    ),
    ["Application", "Zeta"],
  );
});
