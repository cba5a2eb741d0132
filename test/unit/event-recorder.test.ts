// The Event recorder's queue: a reconcile never waits, at most EVENT_WRITERS Events are written at
// once and in the order recorded, and a queue past EVENT_QUEUE_LIMIT drops its oldest and says so.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { CoreV1Event } from "@kubernetes/client-node";
import { EVENT_QUEUE_LIMIT, EVENT_WRITERS, kubeEventRecorder } from "../../src/controller/events.js";
import type { Application } from "../../src/model/application.js";

const app = {
  apiVersion: "tether.dev/v1alpha1",
  kind: "Application",
  metadata: { name: "web", namespace: "apps", uid: "u1" },
  spec: {},
} as unknown as Application;

function fakeCore() {
  const pending: { body: CoreV1Event; resolve: () => void }[] = [];
  const written: string[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  return {
    pending,
    written,
    maxInFlight: () => maxInFlight,
    core: {
      createNamespacedEvent: (p: { namespace: string; body: CoreV1Event }) =>
        new Promise<CoreV1Event>((resolve) => {
          inFlight += 1;
          maxInFlight = Math.max(maxInFlight, inFlight);
          pending.push({
            body: p.body,
            resolve: () => {
              inFlight -= 1;
              written.push(p.body.reason ?? "");
              resolve(p.body);
            },
          });
        }),
    },
  };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

test("Events are written at most EVENT_WRITERS at a time, in the order recorded", async () => {
  const fake = fakeCore();
  const recorder = kubeEventRecorder(
    fake.core,
    () => undefined,
    () => new Date(0),
  );
  for (let i = 0; i < 10; i++) recorder.record(app, "Normal", `R${i}`, "m");
  assert.equal(fake.pending.length, EVENT_WRITERS, "the rest wait");
  while (fake.pending.length > 0) {
    fake.pending.shift()?.resolve();
    await settle();
  }
  assert.deepEqual(
    fake.written,
    Array.from({ length: 10 }, (_, i) => `R${i}`),
  );
  assert.equal(fake.maxInFlight(), EVENT_WRITERS);
});

test("an Event names the app, caps its message at 1 KiB and carries the time", () => {
  const fake = fakeCore();
  kubeEventRecorder(
    fake.core,
    () => undefined,
    () => new Date("2026-01-01T00:00:00Z"),
  ).record(app, "Warning", "SyncFailed", "x".repeat(2000));
  const body = fake.pending[0]?.body;
  assert.equal(body?.involvedObject.name, "web");
  assert.equal(body?.involvedObject.uid, "u1");
  assert.equal(body?.metadata?.namespace, "apps");
  assert.equal(body?.type, "Warning");
  assert.equal(body?.message?.length, 1024);
  assert.equal(body?.lastTimestamp?.toISOString(), "2026-01-01T00:00:00.000Z");
});

test("past EVENT_QUEUE_LIMIT waiting, the oldest waiting Events are dropped and the drop is logged", async () => {
  const fake = fakeCore();
  const lines: string[] = [];
  const recorder = kubeEventRecorder(
    fake.core,
    (line) => lines.push(line),
    () => new Date(0),
    1,
  );
  const total = EVENT_QUEUE_LIMIT + 3;
  for (let i = 0; i < total; i++) recorder.record(app, "Normal", `R${i}`, "m");
  // One in flight (R0), 1,002 recorded after it: the two oldest waiting (R1, R2) are dropped.
  assert.match(lines[0] ?? "", /events are written slower than recorded: 1 dropped/);
  while (fake.pending.length > 0) {
    fake.pending.shift()?.resolve();
    await settle();
  }
  assert.equal(fake.written.length, EVENT_QUEUE_LIMIT + 1);
  assert.deepEqual(fake.written.slice(0, 3), ["R0", "R3", "R4"]);
  assert.equal(fake.written.at(-1), `R${total - 1}`);
});
