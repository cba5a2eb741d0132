import assert from "node:assert/strict";
import { test } from "node:test";
import { parseNotificationConfig } from "../../src/controller/notifications/config.js";
import type { OutgoingRequest } from "../../src/controller/notifications/delivery.js";
import { DeliveryQueue } from "../../src/controller/notifications/delivery.js";
import { Notifier } from "../../src/controller/notifications/notifier.js";
import type { ConfigSource, ResolvedTarget } from "../../src/controller/notifications/source.js";
import type { Application } from "../../src/model/application.js";

const app = (status: Application["status"], labels: Record<string, string> = {}): Application => ({
  apiVersion: "tether.dev/v1alpha1",
  kind: "Application",
  metadata: { name: "web", namespace: "apps", labels },
  spec: { project: "shop", source: { repoURL: "http://git/x" }, destination: { namespace: "web" } },
  status,
});

function setup(current: { app: Application | undefined }) {
  const { config } = parseNotificationConfig({
    targets: "- {name: hook, type: webhook, url: 'http://x/hook'}",
    triggers: "- {on: [sync-succeeded, sync-failed, health-degraded, drift-corrected], targets: [hook]}",
  });
  const target: ResolvedTarget = {
    name: "hook",
    type: "webhook",
    url: "http://x/hook",
    headers: {},
    timeoutMs: 1_000,
    maxAttempts: 1,
  };
  const source: ConfigSource = {
    load: () => Promise.resolve({ config, targets: new Map([["hook", target]]) }),
    redact: (t) => t,
  };
  const sent: Record<string, unknown>[] = [];
  const queue = new DeliveryQueue({
    send: (req: OutgoingRequest) => {
      sent.push(JSON.parse(req.body) as Record<string, unknown>);
      return Promise.resolve({ status: 200 });
    },
  });
  const notifier = new Notifier({
    source,
    queue,
    current: () => current.app,
    clock: () => new Date(0),
    log: () => undefined,
  });
  return { notifier, sent };
}

test("Events recorded during a reconcile are sent when it ends, with the revision the reconcile wrote", async () => {
  const before = app({ sync: { status: "OutOfSync", revision: "old" } });
  const current = { app: before };
  const { notifier, sent } = setup(current);
  notifier.begin("apps/web");
  notifier.observe(before, "Normal", "SyncStarted", "sync of new started");
  notifier.observe(before, "Normal", "SyncSucceeded", "synced at new1234: 1 configured");
  await notifier.idle();
  assert.equal(sent.length, 0, "nothing leaves while the reconcile runs");
  current.app = app({
    sync: { status: "Synced", revision: "new1234567" },
    operationState: { phase: "Succeeded", revision: "new1234567", startedAt: "t", initiatedBy: "auto" },
    revisionInfo: { revision: "new1234567", author: "Ada <ada@example.com>", message: "bump\n\nbody" },
  });
  notifier.end("apps/web");
  await notifier.idle();
  assert.deepEqual(sent, [
    {
      trigger: "sync-succeeded",
      text: "Application web synced to new1234567 (Ada <ada@example.com>: bump)",
      app: { namespace: "apps", name: "web", project: "shop" },
      revision: "new1234567",
      author: "Ada <ada@example.com>",
      commitMessage: "bump",
      status: "Succeeded",
      detail: "synced at new1234: 1 configured",
      time: "1970-01-01T00:00:00.000Z",
    },
  ]);
});

test("one notification per transition: retries of a failed sync at one revision, and re-runs, send nothing new", async () => {
  const failed = app({
    operationState: { phase: "Failed", revision: "r1", startedAt: "t", initiatedBy: "auto" },
  });
  const current = { app: failed };
  const { notifier, sent } = setup(current);
  for (let i = 0; i < 3; i++) {
    notifier.begin("apps/web");
    notifier.observe(failed, "Warning", "SyncFailed", `attempt ${i}`);
    notifier.end("apps/web");
  }
  notifier.begin("apps/web");
  notifier.end("apps/web"); // a reconcile with no Event at all
  await notifier.idle();
  assert.deepEqual(
    sent.map((s) => [s["trigger"], s["detail"]]),
    [["sync-failed", "attempt 0"]],
  );
  assert.deepEqual(notifier.stats, { events: 3, suppressed: 2, queued: 1 });
});

test("an Event outside a reconcile is sent at once; non-trigger Events only re-arm", async () => {
  const degraded = app({ health: { status: "Degraded" }, sync: { status: "Synced", revision: "r1" } });
  const { notifier, sent } = setup({ app: degraded });
  notifier.observe(degraded, "Warning", "HealthDegraded", "health Healthy → Degraded");
  notifier.observe(degraded, "Normal", "HealthProgressing", "health Degraded → Progressing");
  notifier.observe(degraded, "Warning", "HealthDegraded", "health Progressing → Degraded");
  await notifier.idle();
  assert.deepEqual(
    sent.map((s) => [s["trigger"], s["status"], s["revision"]]),
    [
      ["health-degraded", "Degraded", "r1"],
      ["health-degraded", "Degraded", "r1"],
    ],
  );
});
