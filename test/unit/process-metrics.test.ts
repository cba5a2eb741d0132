// The controller's process metrics (heap, event-loop delay, handles) that the soak bench reads
// from its /metrics: present once on a registry, and a second registration does not throw.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Registry } from "prom-client";
import { registerProcessMetrics } from "../../src/controller/metrics.js";

test("registerProcessMetrics: heap, event-loop delay p99 and active handles, registered once", async () => {
  const registry = new Registry();
  registerProcessMetrics(registry);
  registerProcessMetrics(registry);
  const text = await registry.metrics();
  for (const name of [
    "nodejs_heap_size_used_bytes",
    "nodejs_eventloop_lag_p99_seconds",
    "nodejs_active_handles_total",
    "process_resident_memory_bytes",
  ])
    assert.match(text, new RegExp(`^${name} \\d`, "m"), name);
});
