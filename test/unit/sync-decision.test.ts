import assert from "node:assert/strict";
import { test } from "node:test";
import { retryWaitMs } from "../../src/engine/status/retry.js";
import { decideSync } from "../../src/engine/plan/decideSync.js";
import type { OperationState, SyncPolicy } from "../../src/model/application.js";

const op = (phase: OperationState["phase"], revision: string, retryCount = 0): OperationState => ({
  phase,
  revision,
  retryCount,
  startedAt: "t",
  initiatedBy: "auto",
});
const NOW = new Date("2026-01-01T00:01:00Z");
const auto: SyncPolicy = { automated: { prune: true } };
const heal: SyncPolicy = { automated: { prune: true, selfHeal: true } };

const cases: [
  string,
  Parameters<typeof decideSync>[0],
  ReturnType<typeof decideSync>["initiatedBy"],
  boolean?,
][] = [
  [
    "manual app, not requested",
    {
      policy: undefined,
      requested: false,
      outOfSync: true,
      revision: "b",
      lastOperation: undefined,
      now: NOW,
    },
    undefined,
  ],
  [
    "manual app, requested",
    {
      policy: undefined,
      requested: true,
      outOfSync: false,
      revision: "b",
      lastOperation: undefined,
      now: NOW,
    },
    "manual",
  ],
  [
    "automated, new revision",
    {
      policy: auto,
      requested: false,
      outOfSync: true,
      revision: "b",
      lastOperation: op("Succeeded", "a"),
      now: NOW,
    },
    "auto",
  ],
  [
    "automated, in sync",
    {
      policy: heal,
      requested: false,
      outOfSync: false,
      revision: "b",
      lastOperation: op("Succeeded", "a"),
      now: NOW,
    },
    undefined,
  ],
  [
    "automated without selfHeal leaves drift alone",
    {
      policy: auto,
      requested: false,
      outOfSync: true,
      revision: "a",
      lastOperation: op("Succeeded", "a"),
      now: NOW,
    },
    undefined,
  ],
  [
    "selfHeal corrects drift",
    {
      policy: heal,
      requested: false,
      outOfSync: true,
      revision: "a",
      lastOperation: op("Succeeded", "a"),
      now: NOW,
    },
    "auto",
    true,
  ],
  [
    "failed at this revision, no retries",
    {
      policy: heal,
      requested: false,
      outOfSync: true,
      revision: "a",
      lastOperation: op("Failed", "a"),
      now: NOW,
    },
    undefined,
  ],
  [
    "failed at this revision, retries left",
    {
      policy: { ...heal, retry: { limit: 2 } },
      requested: false,
      outOfSync: true,
      revision: "a",
      lastOperation: op("Failed", "a", 1),
      now: NOW,
    },
    "auto",
  ],
  [
    "failed at this revision, retries used",
    {
      policy: { ...heal, retry: { limit: 2 } },
      requested: false,
      outOfSync: true,
      revision: "a",
      lastOperation: op("Failed", "a", 2),
      now: NOW,
    },
    undefined,
  ],
  [
    "failed at an older revision, new commit",
    {
      policy: auto,
      requested: false,
      outOfSync: true,
      revision: "b",
      lastOperation: op("Failed", "a"),
      now: NOW,
    },
    "auto",
  ],
  [
    "interrupted mid-sync resumes",
    {
      policy: auto,
      requested: false,
      outOfSync: true,
      revision: "a",
      lastOperation: op("Running", "a"),
      now: NOW,
    },
    "auto",
  ],
];

for (const [name, input, expected, selfHeal] of cases) {
  test(`sync decision: ${name}`, () => {
    const decision = decideSync(input);
    assert.equal(decision.initiatedBy, expected);
    assert.equal(decision.selfHeal, selfHeal ?? false);
  });
}

test("sync decision: a retry counts up from the failed operation", () => {
  const policy = { ...heal, retry: { limit: 3 } };
  assert.equal(
    decideSync({
      policy,
      requested: false,
      outOfSync: true,
      revision: "a",
      lastOperation: op("Failed", "a", 1),
      now: NOW,
    }).retryCount,
    2,
  );
  assert.equal(
    decideSync({
      policy,
      requested: false,
      outOfSync: true,
      revision: "b",
      lastOperation: op("Failed", "a", 1),
      now: NOW,
    }).retryCount,
    0,
  );
});

test("sync decision: a failed sync is retried only once its backoff, counted from its finish, is over", () => {
  const policy: SyncPolicy = { ...heal, retry: { limit: 3, backoff: { duration: "2s", factor: 2 } } };
  // Retry number 2 waits 4 s after the first retry failed at 00:01:00.
  const failed = { ...op("Failed", "a", 1), finishedAt: "2026-01-01T00:01:00Z" };
  const at = (seconds: number) =>
    decideSync({
      policy,
      requested: false,
      outOfSync: true,
      revision: "a",
      lastOperation: failed,
      now: new Date(NOW.getTime() + seconds * 1000),
    });
  assert.equal(at(1).initiatedBy, undefined, "a watch event 1 s later does not retry early");
  assert.equal(retryWaitMs(failed, policy.retry?.backoff, new Date(NOW.getTime() + 1000)), 3_000);
  assert.equal(at(4).initiatedBy, "auto");
  assert.equal(at(4).retryCount, 2);
  assert.equal(retryWaitMs(failed, policy.retry?.backoff, new Date(NOW.getTime() + 4000)), 0);
  const asked = decideSync({
    policy,
    requested: true,
    outOfSync: true,
    revision: "a",
    lastOperation: failed,
    now: NOW,
  });
  assert.equal(asked.initiatedBy, "manual", "a user's sync request does not wait for the backoff");
  const newCommit = decideSync({
    policy,
    requested: false,
    outOfSync: true,
    revision: "b",
    lastOperation: failed,
    now: NOW,
  });
  assert.equal(newCommit.initiatedBy, "auto", "a new commit does not wait either");
});
