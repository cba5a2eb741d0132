// The dependents notifier wakes the apps that depend on an app when its readiness changes, and
// only then: a dependent proceeds as soon as its dependency is ready, without status churn
// waking anyone.
import assert from "node:assert/strict";
import { test } from "node:test";
import { DependentsNotifier } from "../../src/controller/dependents.js";
import type { Application } from "../../src/model/application.js";

const app = (
  name: string,
  extra: {
    dependsOn?: { name: string }[];
    sync?: "Synced" | "OutOfSync";
    health?: "Healthy" | "Progressing";
  } = {},
): Application => ({
  apiVersion: "tether.dev/v1alpha1",
  kind: "Application",
  metadata: { name, namespace: "apps", generation: 1 },
  spec: { source: { repoURL: "x" }, destination: {}, dependsOn: extra.dependsOn },
  status: {
    observedGeneration: 1,
    sync: { status: extra.sync ?? "OutOfSync" },
    health: { status: extra.health ?? "Progressing" },
  },
});

test("dependents are woken when a dependency's readiness changes, not on every status write", () => {
  const apps = new Map<string, Application>([
    ["apps/db", app("db")],
    ["apps/web", app("web", { dependsOn: [{ name: "db" }] })],
    ["apps/other", app("other")],
  ]);
  const woken: string[] = [];
  const notifier = new DependentsNotifier((k) => woken.push(k));
  // Every app is observed as the controller lists them; dependents are known from then on.
  notifier.observed("apps/web", apps.get("apps/web"));
  notifier.observed("apps/other", apps.get("apps/other"));
  woken.length = 0;
  notifier.observed("apps/db", apps.get("apps/db"));
  assert.deepEqual(woken, ["apps/web"], "first sight of db");
  notifier.observed("apps/db", apps.get("apps/db"));
  assert.deepEqual(woken, ["apps/web"], "same readiness: nobody woken");
  notifier.observed("apps/db", app("db", { sync: "Synced", health: "Healthy" }));
  assert.deepEqual(woken, ["apps/web", "apps/web"], "ready now");
  notifier.observed("apps/db", undefined);
  assert.deepEqual(woken, ["apps/web", "apps/web", "apps/web"], "deleted");
  notifier.observed("apps/other", apps.get("apps/other"));
  assert.equal(woken.length, 3, "no app depends on other");
  notifier.observed("apps/web", app("web"));
  notifier.observed("apps/db", app("db", { sync: "OutOfSync" }));
  assert.equal(woken.length, 3, "web no longer depends on db: not woken");
});
