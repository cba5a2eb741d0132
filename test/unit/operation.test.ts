import assert from "node:assert/strict";
import { test } from "node:test";
import { recordOperation } from "../../src/engine/status/operation.js";

const base = {
  previous: {},
  revision: {
    revision: "a".repeat(40),
    author: "Ada <ada@x>",
    date: "2026-01-01T00:00:00Z",
    message: "scale",
  },
  source: { repoURL: "https://git/x.git", path: "hello" },
  initiatedBy: "auto" as const,
  retryCount: 0,
  startedAt: "2026-01-01T00:00:01.000Z",
  finishedAt: new Date("2026-01-01T00:00:02Z"),
  keepSyncError: false,
};

test("a successful sync records the change set, a history entry with the commit, and clears SyncError", () => {
  const status = {
    conditions: [
      {
        type: "SyncError",
        status: "True" as const,
        reason: "SyncFailed",
        message: "old",
        lastTransitionTime: "t",
      },
    ],
  };
  const results = [
    { apiVersion: "apps/v1", kind: "Deployment", namespace: "demo", name: "hello", action: "configured" },
  ];
  const { status: next, phase, summary } = recordOperation({ ...base, status, results });
  assert.equal(phase, "Succeeded");
  assert.equal(summary, "1 change(s) applied");
  assert.deepEqual(next.conditions, []);
  assert.deepEqual(next.operationState?.results, [
    {
      ref: { group: "apps", version: "v1", kind: "Deployment", namespace: "demo", name: "hello" },
      action: "configured",
      message: undefined,
    },
  ]);
  assert.deepEqual(
    next.history?.map((h) => [h.id, h.result, h.author, h.message, h.initiatedBy]),
    [[1, "Succeeded", "Ada <ada@x>", "scale", "auto"]],
  );
});

test("a failed sync names the failing objects in SyncError and the history; an empty-render refusal keeps its condition", () => {
  const results = [
    { apiVersion: "v1", kind: "ConfigMap", name: "a", action: "failed", message: "forbidden" },
  ];
  const failed = recordOperation({ ...base, status: {}, results });
  assert.equal(failed.phase, "Failed");
  assert.match(
    failed.status.conditions?.find((c) => c.type === "SyncError")?.message ?? "",
    /ConfigMap a: forbidden/,
  );
  const kept = recordOperation({
    ...base,
    keepSyncError: true,
    status: {
      conditions: [
        {
          type: "SyncError",
          status: "True",
          reason: "EmptyRender",
          message: "empty",
          lastTransitionTime: "t",
        },
      ],
    },
    results: [],
  });
  assert.equal(kept.status.conditions?.[0]?.reason, "EmptyRender");
});
