import assert from "node:assert/strict";
import { test } from "node:test";
import type { LeaderLease } from "../../src/controller/sharding/leader.js";
import { leaderStep, observeLeader } from "../../src/controller/sharding/leader.js";

const WALL = "2026-01-01T00:00:00.000000Z";
const lease = (
  holder: string,
  version: string,
  extra: Partial<NonNullable<LeaderLease["spec"]>> = {},
): LeaderLease => ({
  metadata: { name: "tether-controller-leader", resourceVersion: version },
  spec: {
    holderIdentity: holder,
    leaseDurationSeconds: 3,
    acquireTime: WALL,
    renewTime: WALL,
    leaseTransitions: 2,
    ...extra,
  },
});

test("no Lease: create it as holder with zero transitions", () => {
  const step = leaderStep({
    lease: undefined,
    observation: undefined,
    me: "a",
    durationMs: 3000,
    nowMs: 0,
    wallTime: WALL,
  });
  assert.equal(step.kind, "create");
  assert.equal(step.kind === "create" && step.spec.holderIdentity, "a");
  assert.equal(step.kind === "create" && step.spec.leaseTransitions, 0);
});

test("own Lease: renew, keeping acquireTime and transitions", () => {
  const l = lease("a", "1");
  const step = leaderStep({
    lease: l,
    observation: observeLeader(undefined, l, 0),
    me: "a",
    durationMs: 3000,
    nowMs: 10_000,
    wallTime: "later",
  });
  assert.deepEqual(
    step.kind === "write" && [
      step.spec.renewTime,
      step.spec.acquireTime,
      step.spec.leaseTransitions,
      step.from,
    ],
    ["later", WALL, 2, undefined],
  );
});

test("another holder: followed until this replica has not seen it change for its duration", () => {
  const l = lease("b", "7");
  let o = observeLeader(undefined, l, 1000);
  assert.equal(
    leaderStep({ lease: l, observation: o, me: "a", durationMs: 3000, nowMs: 3999, wallTime: WALL }).kind,
    "follow",
  );
  // A re-read at the same version is not a renewal.
  o = observeLeader(o, l, 3500);
  const step = leaderStep({
    lease: l,
    observation: o,
    me: "a",
    durationMs: 3000,
    nowMs: 4000,
    wallTime: WALL,
  });
  assert.deepEqual(
    step.kind === "write" && [step.spec.holderIdentity, step.spec.leaseTransitions, step.from],
    ["a", 3, "b"],
  );
  // A renewal (new version) seen at 3500 restarts the wait.
  const renewed = lease("b", "8");
  o = observeLeader(o, renewed, 3500);
  assert.equal(
    leaderStep({ lease: renewed, observation: o, me: "a", durationMs: 3000, nowMs: 6000, wallTime: WALL })
      .kind,
    "follow",
  );
});

test("the holder's own duration counts, and a released Lease is taken at once", () => {
  const long = lease("b", "1", { leaseDurationSeconds: 60 });
  const o = observeLeader(undefined, long, 0);
  assert.equal(
    leaderStep({ lease: long, observation: o, me: "a", durationMs: 3000, nowMs: 59_000, wallTime: WALL })
      .kind,
    "follow",
  );
  const released = lease("", "2", { leaseDurationSeconds: 1 });
  const step = leaderStep({
    lease: released,
    observation: observeLeader(o, released, 59_000),
    me: "a",
    durationMs: 3000,
    nowMs: 59_000,
    wallTime: WALL,
  });
  assert.deepEqual(
    step.kind === "write" && [step.spec.holderIdentity, step.spec.leaseDurationSeconds, step.from],
    ["a", 3, undefined],
  );
});
