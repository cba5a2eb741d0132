import assert from "node:assert/strict";
import { test } from "node:test";
import { parseNotificationConfig } from "../../src/controller/notifications/config.js";
import { matchesSelector, parseSelector } from "../../src/controller/notifications/selector.js";
import { TransitionDedupe, targetsFor } from "../../src/controller/notifications/triggers.js";

test("dedupe: a sync outcome is notified once per revision; the opposite outcome re-arms it", () => {
  const d = new TransitionDedupe();
  assert.equal(d.observe("ns/a", "SyncFailed", "r1"), "sync-failed");
  assert.equal(d.observe("ns/a", "SyncFailed", "r1"), undefined, "a retry at the same revision");
  assert.equal(d.observe("ns/a", "SyncFailed", "r2"), "sync-failed", "a new revision fails too");
  assert.equal(d.observe("ns/a", "SyncSucceeded", "r2"), "sync-succeeded");
  assert.equal(d.observe("ns/a", "SyncSucceeded", "r2"), undefined);
  assert.equal(d.observe("ns/a", "SyncFailed", "r2"), "sync-failed", "success cleared the failure");
  assert.equal(d.observe("ns/b", "SyncFailed", "r1"), "sync-failed", "per app");
});

test("dedupe: health-degraded once until health leaves Degraded; every drift correction counts", () => {
  const d = new TransitionDedupe();
  assert.equal(d.observe("ns/a", "HealthDegraded", "r1"), "health-degraded");
  assert.equal(d.observe("ns/a", "HealthDegraded", "r2"), undefined);
  assert.equal(d.observe("ns/a", "HealthProgressing", "r2"), undefined);
  assert.equal(d.observe("ns/a", "HealthDegraded", "r2"), "health-degraded");
  assert.equal(d.observe("ns/a", "DriftCorrected", "r2"), "drift-corrected");
  assert.equal(d.observe("ns/a", "DriftCorrected", "r2"), "drift-corrected");
  assert.equal(d.observe("ns/a", "SyncStarted", "r2"), undefined, "not a trigger");
});

test("dedupe memory is bounded: the least recently notified app is forgotten first", () => {
  const d = new TransitionDedupe(2);
  d.observe("a", "SyncFailed", "r");
  d.observe("b", "SyncFailed", "r");
  d.observe("a", "SyncFailed", "r2"); // a is now the most recent
  d.observe("c", "SyncFailed", "r"); // evicts b
  assert.equal(d.observe("a", "SyncFailed", "r2"), undefined);
  assert.equal(d.observe("b", "SyncFailed", "r"), "sync-failed");
});

test("label selectors: equality, inequality, sets, existence", () => {
  const labels = { team: "payments", env: "prod" };
  const m = (s: string) => matchesSelector(parseSelector(s), labels);
  assert.ok(m(""));
  assert.ok(m("team=payments"));
  assert.ok(m("team==payments,env"));
  assert.ok(!m("team!=payments"));
  assert.ok(m("env in (prod, stage)"));
  assert.ok(!m("env notin (prod)"));
  assert.ok(m("!legacy"));
  assert.ok(!m("legacy"));
  assert.throws(() => parseSelector("team=pay ments"), /not a valid label value/);
  assert.throws(() => parseSelector("bad key=x"), /not a valid label key/);
});

test("targets: triggers matched by name and selector, each target once; opt-out and opt-in annotations", () => {
  const { config } = parseNotificationConfig({
    targets: "- {name: a, type: webhook, url: 'http://x/a'}\n- {name: b, type: slack, url: 'http://x/b'}",
    triggers:
      "- {on: [sync-failed], targets: [a, b]}\n- {on: sync-failed, targets: [a], selector: team=payments}\n- {on: drift-corrected, targets: [b], selector: team=payments}",
  });
  const payments = { labels: { team: "payments" } };
  assert.deepEqual(targetsFor(config, "sync-failed", payments), ["a", "b"]);
  assert.deepEqual(targetsFor(config, "drift-corrected", payments), ["b"]);
  assert.deepEqual(targetsFor(config, "drift-corrected", { labels: { team: "web" } }), []);
  assert.deepEqual(targetsFor(config, "sync-succeeded", payments), []);
  const optedOut = { ...payments, annotations: { "notifications.tether.dev/enabled": "false" } };
  assert.deepEqual(targetsFor(config, "sync-failed", optedOut), []);
  const optInConfig = { ...config, optIn: true };
  assert.deepEqual(targetsFor(optInConfig, "sync-failed", payments), []);
  assert.deepEqual(
    targetsFor(optInConfig, "sync-failed", {
      ...payments,
      annotations: { "notifications.tether.dev/enabled": "true" },
    }),
    ["a", "b"],
  );
});
