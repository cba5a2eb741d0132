// The end of a reconcile (src/engine/plan/conclude.ts): from a plan and what executing it did, the
// final status, its Events and the requeue — as values.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { OperationProgress } from "../../src/engine/apply/operation.js";
import { concludeReconcile, OPERATION_RECHECK_MS } from "../../src/engine/plan/conclude.js";
import type { Plan } from "../../src/engine/plan/types.js";
import type { OperationState } from "../../src/model/application.js";

const REV = "c".repeat(40);
const now = new Date("2026-03-02T12:00:00Z");
const op: OperationState = {
  phase: "Running",
  id: "ccccccc-x",
  revision: REV,
  startedAt: now.toISOString(),
  initiatedBy: "auto",
  retryCount: 0,
};

function plan(overrides: Partial<Plan> = {}): Plan {
  return {
    status: { operationState: op },
    syncStatus: "OutOfSync",
    operation: { kind: "start", op },
    verdict: { initiatedBy: "auto", selfHeal: false, retryCount: 0 },
    apply: [],
    prune: [],
    pruneAllowed: true,
    inventory: [],
    sharedWith: {},
    emptyRenderBlocked: false,
    healPaused: [],
    retryLimit: 0,
    events: [],
    handled: [],
    ...overrides,
  };
}

function conclude(p: Plan, progress: OperationProgress | undefined, previous = {}) {
  return concludeReconcile({
    plan: p,
    previous,
    status: p.status,
    revision: { revision: REV, author: "a", date: now.toISOString(), message: "m" },
    source: { repoURL: "https://git.example.com/r.git" },
    sourceType: "Directory",
    progress,
    comparisons: [],
    resources: [],
    health: { status: "Healthy" },
    healthErrors: [],
    retryBackoff: undefined,
    finishedAt: now,
    now,
    pollAfterMs: 180_000,
  });
}

const entry = { apiVersion: "v1", kind: "ConfigMap", namespace: "apps", name: "a" };

test("a sync that ends in its reconcile: SyncSucceeded, no separate Synced Event, Synced", () => {
  const done = conclude(plan(), {
    op: {
      ...op,
      results: [{ ref: { group: "", version: "v1", kind: "ConfigMap", name: "a" }, action: "unchanged" }],
    },
    entries: [{ ...entry, action: "unchanged" }],
    outcome: "Succeeded",
  });
  assert.equal(done.status.sync?.status, "Synced");
  assert.equal(done.status.operationState?.phase, "Succeeded");
  assert.deepEqual(
    done.events.map((e) => e.reason),
    ["SyncSucceeded"],
  );
  assert.equal(done.requeueAfterMs, 180_000);
});

test("a sync that waits: SyncStarted when it started here, the operation's backstop requeue", () => {
  const waiting = {
    op: { ...op, step: "Sync/1" },
    entries: [],
    outcome: "Running" as const,
    message: "wave 1",
  };
  const started = conclude(plan(), waiting);
  assert.deepEqual(
    started.events.map((e) => e.reason),
    ["SyncStarted", "Synced"],
  );
  assert.equal(started.requeueAfterMs, OPERATION_RECHECK_MS);
  const continued = conclude(plan({ operation: { kind: "continue", op } }), waiting, {
    sync: { status: "Synced" },
  });
  assert.deepEqual(continued.events, []);
});

test("kept because prune is off (a reason code, not its text): still OutOfSync", () => {
  const kept = conclude(plan({ pruneAllowed: false }), {
    op,
    entries: [{ ...entry, action: "kept", reason: "PruneDisabled", message: "anything at all" }],
    outcome: "Succeeded",
  });
  assert.equal(kept.status.sync?.status, "OutOfSync");
});

test("a failed sync with retries left is looked at again when its backoff is over; a window caps the requeue", () => {
  const failed = conclude(plan({ retryLimit: 2 }), { op, entries: [], outcome: "Failed", message: "boom" });
  assert.equal(failed.status.operationState?.phase, "Failed");
  assert.ok(failed.requeueAfterMs > 0 && failed.requeueAfterMs < 180_000, String(failed.requeueAfterMs));
  assert.ok(failed.events.some((e) => e.reason === "SyncFailed"));
  const capped = conclude(
    plan({ operation: { kind: "skip", why: "GateClosed" }, windowOpensAt: new Date(now.getTime() + 60_000) }),
    undefined,
  );
  assert.equal(capped.requeueAfterMs, 60_500);
});
