// The Event recorder's queue: a reconcile never waits, at most EVENT_WRITERS Events are written at
// once and in the order recorded, a queue past EVENT_QUEUE_LIMIT drops its oldest and says so, and
// repeats fold into one Event with a count as client-go's correlator folds them.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { CoreV1Event } from "@kubernetes/client-node";
import { EVENT_QUEUE_LIMIT, EVENT_WRITERS, kubeEventRecorder } from "../../src/controller/events.js";
import { AGGREGATE_MAX_MESSAGES, COMBINED_PREFIX } from "../../src/controller/eventcorrelator.js";
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
  const patches: { name: string; body: Partial<CoreV1Event> }[] = [];
  const bodies: CoreV1Event[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  let created = 0;
  return {
    pending,
    written,
    patches,
    bodies,
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
              bodies.push(p.body);
              resolve({ ...p.body, metadata: { ...p.body.metadata, name: `e${created++}` } });
            },
          });
        }),
      patchNamespacedEvent: (p: { namespace: string; name: string; body: object }) => {
        patches.push({ name: p.name, body: p.body });
        return Promise.resolve({} as CoreV1Event);
      },
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

async function drain(fake: ReturnType<typeof fakeCore>): Promise<void> {
  await settle();
  while (fake.pending.length > 0) {
    fake.pending.shift()?.resolve();
    await settle();
    await settle();
  }
}

test("1,000 identical failures make one Event whose count is 1,000", async () => {
  const fake = fakeCore();
  let now = 0;
  const recorder = kubeEventRecorder(
    fake.core,
    () => undefined,
    () => new Date(now),
  );
  // Half while the create waits in the queue or flies, half after it was written.
  for (let i = 0; i < 500; i++, now += 1000) recorder.record(app, "Warning", "SyncFailed", "boom");
  await drain(fake);
  for (let i = 0; i < 500; i++, now += 1000) {
    recorder.record(app, "Warning", "SyncFailed", "boom");
    if (i % 100 === 0) await settle();
  }
  await drain(fake);
  assert.deepEqual(fake.written, ["SyncFailed"], "one Event object");
  const last = fake.patches.at(-1);
  assert.equal(last?.name, "e0");
  assert.equal(last?.body.count, 1000);
  assert.equal(last?.body.lastTimestamp?.getTime(), 999_000);
  assert.ok(fake.patches.length < 20, `${fake.patches.length} patches: repeats fold while one is queued`);
});

test("repeats recorded before the create is sent fold into it", async () => {
  const fake = fakeCore();
  const recorder = kubeEventRecorder(
    fake.core,
    () => undefined,
    () => new Date(0),
    1,
  );
  recorder.record(app, "Normal", "First", "m");
  for (let i = 0; i < 5; i++) recorder.record(app, "Warning", "SyncFailed", "boom");
  await drain(fake);
  assert.deepEqual(fake.written, ["First", "SyncFailed"]);
  assert.equal(fake.patches.length, 0);
});

test("different messages or reasons are different Events until one reason has many messages", async () => {
  const fake = fakeCore();
  const recorder = kubeEventRecorder(
    fake.core,
    () => undefined,
    () => new Date(0),
  );
  recorder.record(app, "Normal", "Synced", "at a");
  recorder.record(app, "Normal", "Healthy", "at a");
  for (let i = 0; i < AGGREGATE_MAX_MESSAGES + 5; i++)
    recorder.record(app, "Warning", "SyncFailed", `attempt ${i}`);
  await drain(fake);
  // 2 + 10 distinct messages, then the rest combined into one Event (folded while it was queued).
  assert.equal(fake.bodies.length, 2 + AGGREGATE_MAX_MESSAGES + 1);
  const combined = { body: fake.bodies.at(-1) ?? {} } as { body: Partial<CoreV1Event> };
  assert.equal(combined?.body.message, `${COMBINED_PREFIX}attempt ${AGGREGATE_MAX_MESSAGES + 4}`);
  assert.equal(combined?.body.count, 5);
});

test("a repeat of an Event that expired is written anew with its count", async () => {
  const fake = fakeCore();
  const recorder = kubeEventRecorder(
    {
      createNamespacedEvent: fake.core.createNamespacedEvent,
      patchNamespacedEvent: () => Promise.reject(Object.assign(new Error("gone"), { code: 404 })),
    },
    () => undefined,
    () => new Date(0),
  );
  recorder.record(app, "Warning", "SyncFailed", "boom");
  await drain(fake);
  recorder.record(app, "Warning", "SyncFailed", "boom");
  await drain(fake);
  assert.deepEqual(fake.written, ["SyncFailed", "SyncFailed"]);
});
