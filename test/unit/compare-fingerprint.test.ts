import assert from "node:assert/strict";
import { test } from "node:test";
import { liveFingerprint } from "../../src/controller/compare.js";

test("live fingerprint: status-only updates of a generation-tracked object keep it; spec or metadata changes move it", () => {
  const base = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: {
      name: "a",
      generation: 3,
      resourceVersion: "10",
      labels: { x: "1" },
      managedFields: [{ manager: "kcm" }],
    },
  };
  const statusOnly = {
    ...base,
    metadata: {
      ...base.metadata,
      resourceVersion: "11",
      managedFields: [{ manager: "kcm", operation: "Update" }],
    },
  };
  assert.deepEqual(liveFingerprint(statusOnly), liveFingerprint(base));
  assert.notDeepEqual(
    liveFingerprint({ ...base, metadata: { ...base.metadata, generation: 4 } }),
    liveFingerprint(base),
  );
  assert.notDeepEqual(
    liveFingerprint({ ...base, metadata: { ...base.metadata, labels: { x: "2" } } }),
    liveFingerprint(base),
  );
});

test("live fingerprint: objects without generation (ConfigMap) follow resourceVersion; absent is its own value", () => {
  const cm = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c", resourceVersion: "5" } };
  assert.equal(liveFingerprint(cm), "5");
  assert.equal(liveFingerprint({ ...cm, metadata: { ...cm.metadata, resourceVersion: "6" } }), "6");
  assert.equal(liveFingerprint(undefined), "absent");
});
