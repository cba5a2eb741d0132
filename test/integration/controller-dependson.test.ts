// spec.dependsOn on the real control plane: an app waits (nothing applied) until each dependency
// is Synced and Healthy, naming what blocks it; it proceeds once the dependency is ready; a
// missing dependency is named; a cycle (including an app depending on itself) is refused.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { ControllerFixture } from "../helpers/app.js";
import { condition, configMap, IN_CLUSTER, startControllerFixture } from "../helpers/app.js";
import { clients } from "../helpers/environment.js";

describe("controller: dependsOn", () => {
  let fx: ControllerFixture;
  let url: string;

  before(async () => {
    fx = await startControllerFixture("ctl-deps");
    ({ url } = await fx.repository("deps", {
      "db/cm.yaml": configMap("db", { role: "db" }),
      "web/cm.yaml": configMap("web", { role: "web" }),
    }));
  });
  after(() => fx?.stop());

  const spec = (
    path: string,
    ns: string,
    dependsOn?: { name: string; namespace?: string }[],
    automated = true,
  ) => ({
    source: { repoURL: url, targetRevision: "main", path },
    destination: { server: IN_CLUSTER, namespace: ns },
    ...(dependsOn ? { dependsOn } : {}),
    ...(automated ? { syncPolicy: { automated: { prune: true, selfHeal: true } } } : {}),
  });
  const exists = (name: string, namespace: string) =>
    clients()
      .core.readNamespacedConfigMap({ name, namespace })
      .then(
        () => true,
        () => false,
      );

  test("an app waits for its dependency, naming it and its state, and syncs once it is Synced and Healthy", async () => {
    const ns = await fx.namespace("ctl-deps-wait");
    // The dependency has no automated policy: it stays OutOfSync until asked.
    await fx.createApp("db", spec("db", ns, undefined, false));
    await fx.createApp("web", spec("web", ns, [{ name: "db" }]));
    const waiting = await fx.waitApp("web", "WaitingForDependencies", (a) =>
      Boolean(condition(a, "WaitingForDependencies")),
    );
    const c = condition(waiting, "WaitingForDependencies");
    assert.equal(c?.reason, "DependenciesNotReady");
    assert.match(c?.message ?? "", new RegExp(`waiting for ${fx.appNs}/db \\((OutOfSync|Unknown)/\\w+`));
    assert.equal(waiting.status?.sync?.status, "OutOfSync");
    assert.equal(waiting.status?.history, undefined);
    assert.equal(await exists("web", ns), false, "the dependent applied nothing");

    await fx.annotate("db", { "tether.dev/sync": "true" });
    await fx.waitApp(
      "db",
      "Synced and Healthy",
      (a) => a.status?.sync?.status === "Synced" && a.status.health?.status === "Healthy",
    );
    const synced = await fx.waitApp(
      "web",
      "Synced without the condition",
      (a) => a.status?.sync?.status === "Synced" && !condition(a, "WaitingForDependencies"),
    );
    assert.equal(synced.status?.history?.length, 1);
    assert.equal(await exists("web", ns), true);
  });

  test("a missing dependency is named; creating it lets the dependent proceed", async () => {
    const ns = await fx.namespace("ctl-deps-missing");
    await fx.createApp("needs-ghost", spec("web", ns, [{ name: "ghost", namespace: fx.appNs }]));
    const app = await fx.waitApp("needs-ghost", "WaitingForDependencies", (a) =>
      Boolean(condition(a, "WaitingForDependencies")),
    );
    assert.equal(condition(app, "WaitingForDependencies")?.reason, "DependencyNotFound");
    assert.match(
      condition(app, "WaitingForDependencies")?.message ?? "",
      new RegExp(`${fx.appNs}/ghost \\(not found\\)`),
    );
    assert.equal(await exists("web", ns), false);

    await fx.createApp("ghost", spec("db", ns));
    await fx.waitApp(
      "needs-ghost",
      "Synced",
      (a) => a.status?.sync?.status === "Synced" && !condition(a, "WaitingForDependencies"),
    );
    assert.equal(await exists("db", ns), true);
    assert.equal(await exists("web", ns), true);
  });

  test("cycles (two apps, and an app on itself) are refused with a condition naming the cycle; nothing applied", async () => {
    const ns = await fx.namespace("ctl-deps-cycle");
    await fx.createApp("cycle-a", spec("db", ns, [{ name: "cycle-b" }]));
    await fx.createApp("cycle-b", spec("web", ns, [{ name: "cycle-a" }]));
    const a = await fx.waitApp("cycle-a", "DependencyCycle", (x) => Boolean(condition(x, "DependencyCycle")));
    assert.equal(
      condition(a, "DependencyCycle")?.message,
      `spec.dependsOn forms a cycle: ${fx.appNs}/cycle-a → ${fx.appNs}/cycle-b → ${fx.appNs}/cycle-a; nothing is synced until it is broken`,
    );
    const b = await fx.waitApp("cycle-b", "DependencyCycle", (x) => Boolean(condition(x, "DependencyCycle")));
    assert.match(condition(b, "DependencyCycle")?.message ?? "", /cycle-b → .*cycle-a → .*cycle-b/);

    const selfNs = await fx.namespace("ctl-deps-self");
    await fx.createApp("narcissus", spec("db", selfNs, [{ name: "narcissus" }]));
    const self = await fx.waitApp("narcissus", "DependencyCycle", (x) =>
      Boolean(condition(x, "DependencyCycle")),
    );
    assert.match(condition(self, "DependencyCycle")?.message ?? "", /narcissus → .*narcissus;/);
    assert.equal(self.status?.sync?.status, "OutOfSync");

    assert.equal(await exists("db", ns), false);
    assert.equal(await exists("web", ns), false);
    assert.equal(await exists("db", selfNs), false);

    // Breaking the cycle lets both sync.
    await fx.patchApp("cycle-b", { spec: { dependsOn: null } });
    await fx.waitApp(
      "cycle-a",
      "Synced after the cycle is broken",
      (x) => x.status?.sync?.status === "Synced" && !condition(x, "DependencyCycle"),
    );
    assert.equal(await exists("db", ns), true);
    assert.equal(await exists("web", ns), true);
  });
});
