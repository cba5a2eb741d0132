import assert from "node:assert/strict";
import { test } from "node:test";
import { LeadingDebounce, WorkQueue } from "../../src/controller/queue.js";

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

test("a key queued many times runs once; added while running, it runs once more afterwards", async () => {
  const runs: string[] = [];
  const gate = deferred();
  let first = true;
  const queue = new WorkQueue({
    workers: 1,
    handler: async (key) => {
      runs.push(key);
      if (first) {
        first = false;
        await gate.promise;
      }
    },
  });
  queue.add("a");
  queue.add("a");
  queue.add("a"); // "a" is running: marks it dirty
  queue.add("b");
  queue.add("b");
  gate.resolve();
  await queue.idle();
  assert.deepEqual(runs, ["a", "b", "a"]);
});

test("a key is never processed by two workers at once", async () => {
  let concurrent = 0;
  let maxConcurrent = 0;
  const queue = new WorkQueue({
    workers: 4,
    handler: async () => {
      concurrent += 1;
      maxConcurrent = Math.max(maxConcurrent, concurrent);
      await new Promise((r) => setImmediate(r));
      concurrent -= 1;
    },
  });
  for (let i = 0; i < 20; i++) {
    queue.add("same");
    await new Promise((r) => setImmediate(r));
  }
  await queue.idle();
  assert.equal(maxConcurrent, 1);
});

test("failures are retried with growing backoff until the handler succeeds", async () => {
  let attempts = 0;
  const done = deferred();
  const errors: unknown[] = [];
  const queue = new WorkQueue({
    workers: 1,
    baseBackoffMs: 5,
    handler: () => {
      attempts += 1;
      if (attempts < 3) return Promise.reject(new Error(`attempt ${attempts}`));
      done.resolve();
      return Promise.resolve();
    },
    onError: (_key, error) => errors.push(error),
  });
  queue.add("app");
  await done.promise;
  assert.equal(attempts, 3);
  assert.deepEqual(
    errors.map((e) => (e as Error).message),
    ["attempt 1", "attempt 2"],
  );
  queue.stop();
});

test("leading debounce: the first event goes at once, a burst inside the window goes once at its end", () => {
  let now = 1_000;
  const scheduled: [string, number][] = [];
  const debounce = new LeadingDebounce(
    100,
    (key, delay) => scheduled.push([key, delay]),
    () => now,
  );
  debounce.event("a");
  now += 30;
  debounce.event("a");
  now += 40;
  debounce.event("a");
  debounce.event("b");
  now += 200;
  debounce.event("a");
  assert.deepEqual(scheduled, [
    ["a", 0],
    ["a", 70],
    ["a", 30],
    ["b", 0],
    ["a", 0],
  ]);
});
