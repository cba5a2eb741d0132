// Rolling sync plan: steps by labels, a step starts only when every app of the earlier steps is
// Synced and Healthy, maxUpdate caps a step's concurrent syncs, failed syncs are not re-requested.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { RolloutApp } from "../../src/engine/appset/rollout.js";
import { maxUpdateOf, planRollingSync } from "../../src/engine/appset/rollout.js";
import type { ApplicationSetRolloutStep } from "../../src/model/applicationset.js";

const steps: ApplicationSetRolloutStep[] = ["dev", "staging", "prod"].map((env) => ({
  matchExpressions: [{ key: "env", operator: "In", values: [env] }],
}));
const now = new Date("2025-01-01T00:00:00Z");
const app = (name: string, env: string, state: Partial<RolloutApp> = {}): RolloutApp => ({
  name,
  labels: { env },
  sync: "OutOfSync",
  health: "Missing",
  observed: true,
  syncRequested: false,
  ...state,
});
const healthy = { sync: "Synced", health: "Healthy" } as const;

test("only the first step syncs while it is not Synced and Healthy", () => {
  const plan = planRollingSync(
    steps,
    [app("dev-a", "dev"), app("dev-b", "dev"), app("stg", "staging"), app("prod", "prod")],
    undefined,
    now,
  );
  assert.deepEqual(plan.sync, ["dev-a", "dev-b"]);
  assert.deepEqual(
    plan.statuses.map((s) => [s.application, s.step, s.status]),
    [
      ["dev-a", "1", "Pending"],
      ["dev-b", "1", "Pending"],
      ["prod", "3", "Waiting"],
      ["stg", "2", "Waiting"],
    ],
  );
  assert.match(plan.statuses.find((s) => s.application === "stg")?.message ?? "", /waiting for step 1/);
  assert.equal(plan.progressing, true);
});

test("a step whose apps are syncing or unhealthy holds back the next", () => {
  for (const dev of [
    { syncRequested: true },
    { operation: { phase: "Running" as const, revision: "a" } },
    { sync: "Synced" as const, health: "Progressing" as const },
    { sync: "Synced" as const, health: "Degraded" as const },
    { ...healthy, observed: false },
  ]) {
    const plan = planRollingSync(steps, [app("dev", "dev", dev), app("stg", "staging")], undefined, now);
    assert.deepEqual(plan.sync, [], JSON.stringify(dev));
  }
});

test("the next step starts once the earlier ones are Synced and Healthy", () => {
  const plan = planRollingSync(
    steps,
    [app("dev", "dev", healthy), app("stg", "staging"), app("prod", "prod")],
    undefined,
    now,
  );
  assert.deepEqual(plan.sync, ["stg"]);
  const done = planRollingSync(
    steps,
    [app("dev", "dev", healthy), app("stg", "staging", healthy), app("prod", "prod", healthy)],
    undefined,
    now,
  );
  assert.deepEqual(done.sync, []);
  assert.equal(done.progressing, false);
  assert.ok(done.statuses.every((s) => s.status === "Healthy"));
});

test("maxUpdate limits how many apps of a step sync at once, counting those already syncing", () => {
  const limited = steps.map((s, i) => (i === 0 ? { ...s, maxUpdate: 1 } : s));
  const first = planRollingSync(limited, [app("a", "dev"), app("b", "dev")], undefined, now);
  assert.deepEqual(first.sync, ["a"]);
  const second = planRollingSync(
    limited,
    [app("a", "dev", { syncRequested: true }), app("b", "dev")],
    undefined,
    now,
  );
  assert.deepEqual(second.sync, []);
  const third = planRollingSync(limited, [app("a", "dev", healthy), app("b", "dev")], undefined, now);
  assert.deepEqual(third.sync, ["b"]);
  assert.equal(maxUpdateOf({ matchExpressions: [], maxUpdate: "50%" }, 5), 2);
  assert.equal(maxUpdateOf({ matchExpressions: [], maxUpdate: "10%" }, 3), 1);
  assert.equal(maxUpdateOf({ matchExpressions: [], maxUpdate: 0 }, 3), 0);
  assert.equal(maxUpdateOf({ matchExpressions: [] }, 3), 3);
});

test("a sync that failed at the current revision is not requested again; a new revision is", () => {
  const failed = {
    syncRevision: "abc",
    operation: { phase: "Failed" as const, revision: "abc", message: "boom" },
  };
  const plan = planRollingSync(steps, [app("dev", "dev", failed)], undefined, now);
  assert.deepEqual(plan.sync, []);
  assert.match(plan.statuses[0]?.message ?? "", /last sync failed: boom/);
  const moved = planRollingSync(
    steps,
    [app("dev", "dev", { ...failed, syncRevision: "def" })],
    undefined,
    now,
  );
  assert.deepEqual(moved.sync, ["dev"]);
});

test("apps matching no step are never synced by the rollout and do not hold it", () => {
  const plan = planRollingSync(steps, [app("qa", "qa"), app("dev", "dev", healthy)], undefined, now);
  assert.deepEqual(plan.sync, []);
  assert.equal(plan.progressing, false);
  assert.deepEqual(plan.statuses.find((s) => s.application === "qa")?.step, "");
});

test("lastTransitionTime changes only when an app's state changes", () => {
  const previous = [
    {
      application: "dev",
      step: "1",
      status: "Healthy" as const,
      message: "",
      lastTransitionTime: "2024-01-01T00:00:00.000Z",
    },
  ];
  const same = planRollingSync(steps, [app("dev", "dev", healthy)], previous, now);
  assert.equal(same.statuses[0]?.lastTransitionTime, "2024-01-01T00:00:00.000Z");
  const changed = planRollingSync(steps, [app("dev", "dev")], previous, now);
  assert.equal(changed.statuses[0]?.lastTransitionTime, now.toISOString());
});

test("after a push, an earlier step Synced at the old commit holds back a later app that already sees the new one", () => {
  const source = "https://git/x.git#main";
  const apps = [
    app("dev", "dev", { ...healthy, source, syncRevision: "new" }),
    app("stg", "staging", { ...healthy, source, syncRevision: "old" }),
    app("prod", "prod", { source, syncRevision: "new" }),
  ];
  const plan = planRollingSync(steps, apps, undefined, now);
  assert.deepEqual(plan.sync, [], "prod waits: staging has not looked at Git since the push");
  assert.match(plan.statuses.find((s) => s.application === "stg")?.message ?? "", /older commit than new/);
  // Once staging has seen the commit (and synced it), prod may go.
  const later = planRollingSync(
    steps,
    [
      apps[0] as RolloutApp,
      app("stg", "staging", { ...healthy, source, syncRevision: "new" }),
      apps[2] as RolloutApp,
    ],
    undefined,
    now,
  );
  assert.deepEqual(later.sync, ["prod"]);
  // Another repository's commits say nothing about this one.
  const other = planRollingSync(
    steps,
    [
      apps[0] as RolloutApp,
      app("stg", "staging", { ...healthy, source: "https://git/y.git#main", syncRevision: "old" }),
      apps[2] as RolloutApp,
    ],
    undefined,
    now,
  );
  assert.deepEqual(other.sync, ["prod"]);
});
