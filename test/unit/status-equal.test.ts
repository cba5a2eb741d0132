// Whether a reconcile must write status: by content, never by key order or reconciledAt alone.
import assert from "node:assert/strict";
import { test } from "node:test";
import { statusesEqual } from "../../src/engine/status/conditions.js";

test("the same status with keys in another order (as the apiserver returns it) is equal", () => {
  const built = {
    sync: { status: "Synced" as const, revision: "abc" },
    resources: [{ group: "", kind: "ConfigMap", namespace: "ns", name: "a", status: "Synced" as const }],
  };
  const stored = {
    resources: [{ group: "", kind: "ConfigMap", name: "a", namespace: "ns", status: "Synced" as const }],
    sync: { revision: "abc", status: "Synced" as const },
  };
  assert.ok(statusesEqual(built, stored));
});

test("reconciledAt alone is not a change; any other field, or an array's order, is", () => {
  assert.ok(
    statusesEqual(
      { reconciledAt: "t1", observedGeneration: 1 },
      { reconciledAt: "t2", observedGeneration: 1 },
    ),
  );
  assert.ok(!statusesEqual({ observedGeneration: 1 }, { observedGeneration: 2 }));
  const a = { kind: "A", name: "a", group: "", status: "Synced" as const };
  const b = { kind: "B", name: "b", group: "", status: "Synced" as const };
  assert.ok(!statusesEqual({ resources: [a, b] }, { resources: [b, a] }));
  assert.ok(statusesEqual({ health: undefined, observedGeneration: 1 }, { observedGeneration: 1 }));
});

test("a field present on one side only, a nested difference or an extra array item is a change", () => {
  assert.ok(!statusesEqual({ observedGeneration: 1 }, { observedGeneration: 1, sourceType: "Directory" }));
  assert.ok(!statusesEqual({ sourceType: "Directory" }, {}));
  assert.ok(!statusesEqual({ sync: { status: "Synced" } }, { sync: { status: "OutOfSync" } }));
  assert.ok(
    !statusesEqual(
      { conditions: [] },
      { conditions: [{ type: "X", status: "True", reason: "R", message: "m", lastTransitionTime: "t" }] },
    ),
  );
  assert.ok(!statusesEqual({ conditions: [] }, {}), "an empty list is not an absent one (JSON differs)");
  assert.ok(
    statusesEqual({ sync: { status: "Synced", revision: undefined } }, { sync: { status: "Synced" } }),
  );
});
