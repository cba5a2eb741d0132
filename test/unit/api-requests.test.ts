// metadataWrite (what an API write of an Application stores and which rights its request
// annotations need) and withoutHiddenApps (/metrics without the series of apps a caller may not see).
import assert from "node:assert/strict";
import { test } from "node:test";
import { withoutHiddenApps } from "../../src/api/metrics.js";
import { metadataWrite } from "../../src/api/requests.js";

test("request annotations added or changed need their right; left out they are kept", () => {
  const current = { annotations: { "tether.dev/sync": "true", note: "x" } };
  assert.deepEqual(metadataWrite(current, { annotations: { note: "y" } }).requests, []);
  assert.deepEqual(metadataWrite(current, { annotations: { note: "y" } }).annotations, {
    note: "y",
    "tether.dev/sync": "true",
  });
  assert.deepEqual(
    metadataWrite(current, { annotations: { "tether.dev/sync": "true" } }).requests,
    [],
    "unchanged",
  );
  assert.deepEqual(metadataWrite(current, { annotations: { "tether.dev/sync": "{}" } }).requests, [
    { key: "tether.dev/sync", right: "sync" },
  ]);
  assert.deepEqual(
    metadataWrite(undefined, { annotations: { "tether.dev/rollback": "2", "tether.dev/refresh": "hard" } })
      .requests.map((r) => r.right)
      .sort(),
    ["get", "rollback"],
  );
  assert.deepEqual(
    metadataWrite(current, {}).annotations,
    current.annotations,
    "no annotations in the body: all kept",
  );
});

test("Tether's own marks: repeating them is fine, setting or changing them is refused, leaving them out keeps them", () => {
  const current = {
    labels: { "tether.dev/managed": "inst", team: "a" },
    annotations: { "tether.dev/tracking-id": "t" },
  };
  const same = metadataWrite(current, {
    labels: { "tether.dev/managed": "inst" },
    annotations: { "tether.dev/tracking-id": "t" },
  });
  assert.deepEqual(same.marks, []);
  const omitted = metadataWrite(current, { labels: { team: "b" }, annotations: {} });
  assert.deepEqual(omitted.marks, []);
  assert.deepEqual(omitted.labels, { team: "b", "tether.dev/managed": "inst" });
  assert.deepEqual(omitted.annotations, { "tether.dev/tracking-id": "t" });
  assert.deepEqual(metadataWrite(current, { annotations: { "tether.dev/tracking-id": "other" } }).marks, [
    "metadata.annotations.tether.dev/tracking-id",
  ]);
  assert.deepEqual(metadataWrite(undefined, { labels: { "tether.dev/application-set": "x" } }).marks, [
    "metadata.labels.tether.dev/application-set",
  ]);
  assert.deepEqual(
    metadataWrite(undefined, { annotations: { "tether.dev/manifest-generate-paths": "." } }).marks,
    [],
    "settings are the user's",
  );
});

const METRICS = [
  "# HELP tether_app_info One series per Application",
  "# TYPE tether_app_info gauge",
  'tether_app_info{namespace="apps",name="seen",project="a",sync="Synced",health="Healthy"} 1',
  'tether_app_info{namespace="apps",name="hidden",project="b",sync="Synced",health="Healthy"} 1',
  'tether_sync_total{namespace="apps",name="hidden",result="succeeded"} 3',
  'tether_app_health_status{namespace="we\\"ird\\\\ns",name="seen",health_status="Healthy"} 1',
  'tether_reconcile_duration_seconds_bucket{le="0.5",result="ok"} 4',
  "tether_queue_depth 0",
  "",
].join("\n");

test("withoutHiddenApps drops every series carrying a hidden app's namespace and name, keeps the rest", () => {
  const seen = new Set(["apps/seen", 'we"ird\\ns/seen']);
  const text = withoutHiddenApps(METRICS, (namespace, name) => seen.has(`${namespace}/${name}`));
  assert.doesNotMatch(text, /hidden/);
  assert.match(text, /name="seen",project="a"/);
  assert.match(text, /we\\"ird/, "escaped label values are read as the exposition format writes them");
  assert.match(text, /tether_reconcile_duration_seconds_bucket/);
  assert.match(text, /tether_queue_depth 0/);
  assert.match(text, /# TYPE tether_app_info gauge/);
  assert.doesNotMatch(
    withoutHiddenApps(METRICS, () => false),
    /name="/,
  );
});
