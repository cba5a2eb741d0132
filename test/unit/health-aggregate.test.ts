import assert from "node:assert/strict";
import { test } from "node:test";
import type { HealthStatusCode, ResourceRef } from "../../src/model/application.js";
import {
  HEALTH_ORDER,
  aggregateHealth,
  healthCheckFor,
  isWorse,
  podHealth,
  resourceHealth,
} from "../../src/engine/health/index.js";

const deployment: ResourceRef = { group: "apps", kind: "Deployment", namespace: "shop", name: "web" };
const service: ResourceRef = { group: "", kind: "Service", namespace: "shop", name: "web" };
const crd: ResourceRef = {
  group: "apiextensions.k8s.io",
  kind: "CustomResourceDefinition",
  name: "w.example.com",
};

test("health order is gitops-engine's: Healthy < Suspended < Progressing < Missing < Degraded < Unknown", () => {
  assert.deepEqual(HEALTH_ORDER, ["Healthy", "Suspended", "Progressing", "Missing", "Degraded", "Unknown"]);
  for (let i = 0; i < HEALTH_ORDER.length; i++) {
    for (let j = 0; j < HEALTH_ORDER.length; j++) {
      const a = HEALTH_ORDER[i] as HealthStatusCode;
      const b = HEALTH_ORDER[j] as HealthStatusCode;
      assert.equal(isWorse(a, b), j > i, `${b} worse than ${a}`);
    }
  }
});

test("an application with no resources is Healthy", () => {
  assert.deepEqual(aggregateHealth([]), { status: "Healthy" });
});

test("all healthy resources give Healthy without a message", () => {
  assert.deepEqual(
    aggregateHealth([
      { ref: deployment, health: { status: "Healthy" } },
      { ref: service, health: { status: "Healthy", message: "fine" } },
    ]),
    { status: "Healthy" },
  );
});

test("the worst status wins and the message names that resource", () => {
  assert.deepEqual(
    aggregateHealth([
      { ref: service, health: { status: "Progressing", message: "Waiting for the load balancer" } },
      {
        ref: deployment,
        health: { status: "Degraded", message: 'Deployment "web" exceeded its progress deadline' },
      },
      { ref: crd, health: { status: "Missing" } },
    ]),
    {
      status: "Degraded",
      message: 'apps/Deployment shop/web is Degraded: Deployment "web" exceeded its progress deadline',
    },
  );
});

test("Missing is worse than Progressing but better than Degraded; Unknown is worst", () => {
  assert.equal(
    aggregateHealth([
      { ref: deployment, health: { status: "Progressing" } },
      { ref: crd, health: { status: "Missing" } },
    ]).status,
    "Missing",
  );
  assert.equal(
    aggregateHealth([
      { ref: deployment, health: { status: "Unknown" } },
      { ref: crd, health: { status: "Degraded" } },
    ]).status,
    "Unknown",
  );
  assert.equal(
    aggregateHealth([
      { ref: deployment, health: { status: "Suspended" } },
      { ref: service, health: { status: "Healthy" } },
    ]).status,
    "Suspended",
  );
});

test("ties keep the first resource and count the others", () => {
  const result = aggregateHealth([
    { ref: service, health: { status: "Progressing" } },
    { ref: deployment, health: { status: "Progressing", message: "rolling" } },
    { ref: crd, health: { status: "Progressing" } },
  ]);
  assert.deepEqual(result, {
    status: "Progressing",
    message: "Service shop/web is Progressing (and 2 more Progressing)",
  });
});

test("missing objects are Missing, whatever the caller passes for 'absent'", () => {
  assert.equal(resourceHealth(undefined).status, "Missing");
  assert.equal(resourceHealth(null).status, "Missing");
});

test("a malformed object never throws: odd field types read as absent", () => {
  const weird = { apiVersion: "apps/v1", kind: "Deployment", metadata: "oops", spec: [], status: 7 };
  assert.deepEqual(resourceHealth(weird), { status: "Healthy" });
  assert.equal(resourceHealth({ apiVersion: "v1", kind: "Pod" }).status, "Unknown");
});

test("checks are chosen by group and kind; an unknown kind gets the generic check", () => {
  assert.equal(healthCheckFor("", "Pod"), podHealth);
  assert.notEqual(healthCheckFor("example.com", "Pod"), podHealth);
  // Same kind name in another group must not be mistaken for the built-in one.
  const fakeDeployment = { apiVersion: "example.com/v1", kind: "Deployment", spec: { paused: true } };
  assert.deepEqual(resourceHealth(fakeDeployment), { status: "Healthy" });
});

test("a Pod read before defaulting (no restartPolicy) is treated as restartPolicy Always", () => {
  const pod = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "p" },
    status: { phase: "Running", conditions: [{ type: "Ready", status: "True" }] },
  };
  assert.equal(resourceHealth(pod).status, "Healthy");
});

test("a deleted object is Progressing even when its own check would say Degraded", () => {
  const pvc = {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { name: "data", deletionTimestamp: "2026-01-01T00:00:00Z" },
    status: { phase: "Lost" },
  };
  assert.deepEqual(resourceHealth(pvc), { status: "Progressing", message: "Pending deletion" });
});

test("a generic Ready=Unknown condition is Progressing", () => {
  const obj = {
    apiVersion: "example.com/v1",
    kind: "Widget",
    status: { conditions: [{ type: "Ready", status: "Unknown", reason: "Reconciling" }] },
  };
  assert.deepEqual(resourceHealth(obj), { status: "Progressing", message: "Reconciling" });
});

test("an HPA v1 with an unparseable conditions annotation is Unknown, not a crash", () => {
  const hpa = {
    apiVersion: "autoscaling/v1",
    kind: "HorizontalPodAutoscaler",
    metadata: { name: "web", annotations: { "autoscaling.alpha.kubernetes.io/conditions": "[{" } },
  };
  assert.equal(resourceHealth(hpa).status, "Unknown");
});
