import assert from "node:assert/strict";
import { test } from "node:test";
import type {
  DeliveryItem,
  DeliveryResult,
  OutgoingRequest,
} from "../../src/controller/notifications/delivery.js";
import { DeliveryQueue } from "../../src/controller/notifications/delivery.js";

const item = (target: string, body = "{}", extra: Partial<DeliveryItem> = {}): DeliveryItem => ({
  target,
  url: `http://127.0.0.1:9/${target}/secret-token-abcdef`,
  headers: {},
  body,
  timeoutMs: 1_000,
  maxAttempts: 3,
  what: `sync-failed ns/${target}`,
  ...extra,
});

function recorder() {
  const results: [string, DeliveryResult][] = [];
  const lines: string[] = [];
  return {
    results,
    lines,
    onResult: (t: string, r: DeliveryResult) => results.push([t, r]),
    log: (l: string) => lines.push(l),
  };
}

test("a failing target is retried with exponential backoff up to maxAttempts, then given up", async () => {
  const r = recorder();
  const times: number[] = [];
  const queue = new DeliveryQueue({
    send: () => {
      times.push(performance.now());
      return Promise.resolve({ status: 503 });
    },
    baseBackoffMs: 20,
    ...r,
  });
  queue.enqueue(item("a"));
  await queue.idle();
  assert.equal(times.length, 3);
  assert.ok((times[1] as number) - (times[0] as number) >= 19);
  assert.ok((times[2] as number) - (times[1] as number) >= 39, "the second wait doubles");
  assert.deepEqual(
    r.results.map((x) => x[1]),
    ["retried", "retried", "failed"],
  );
  assert.match(
    r.lines.at(-1) ?? "",
    /notification to a failed \(HTTP 503\) after 3 attempt\(s\), giving up: sync-failed ns\/a/,
  );
});

test("fails twice then succeeds: delivered once; a 4xx other than 429 is not retried", async () => {
  const r = recorder();
  let calls = 0;
  const queue = new DeliveryQueue({
    send: (req) => {
      if (req.url.includes("/bad/")) return Promise.resolve({ status: 400 });
      calls += 1;
      if (calls <= 2)
        return Promise.reject(Object.assign(new Error("fetch failed"), { cause: { code: "ECONNRESET" } }));
      return Promise.resolve({ status: 204 });
    },
    baseBackoffMs: 1,
    ...r,
  });
  queue.enqueue(item("flaky"));
  queue.enqueue(item("bad"));
  await queue.idle();
  assert.deepEqual(
    r.results.filter((x) => x[0] === "flaky").map((x) => x[1]),
    ["retried", "retried", "delivered"],
  );
  assert.deepEqual(
    r.results.filter((x) => x[0] === "bad").map((x) => x[1]),
    ["failed"],
  );
  assert.ok(r.lines.some((l) => l.includes("ECONNRESET")));
  assert.ok(
    r.lines.every((l) => !l.includes("secret-token")),
    "no URL in any log line",
  );
});

test("an attempt that hangs times out, even when the sender ignores its abort signal", async () => {
  const r = recorder();
  const queue = new DeliveryQueue({ send: () => new Promise(() => undefined), baseBackoffMs: 1, ...r });
  queue.enqueue(item("hang", "{}", { timeoutMs: 30, maxAttempts: 2 }));
  await queue.idle();
  assert.deepEqual(
    r.results.map((x) => x[1]),
    ["retried", "failed"],
  );
  assert.match(r.lines.at(-1) ?? "", /\(timed out\) after 2 attempt/);
});

test("a hanging target holds only its own lane: other targets are delivered meanwhile", async () => {
  const r = recorder();
  const delivered: string[] = [];
  const queue = new DeliveryQueue({
    send: (req: OutgoingRequest) => {
      if (req.url.includes("/hang/")) return new Promise(() => undefined);
      delivered.push(req.body);
      return Promise.resolve({ status: 200 });
    },
    perTarget: 1,
    ...r,
  });
  for (let i = 0; i < 3; i++) queue.enqueue(item("hang", `h${i}`, { timeoutMs: 60_000 }));
  for (let i = 0; i < 3; i++) queue.enqueue(item("ok", `o${i}`));
  while (delivered.length < 3) await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(delivered, ["o0", "o1", "o2"], "in order");
  assert.equal(queue.size, 3, "the hanging target's three are still pending");
  queue.stop();
  await queue.idle();
});

test("the queue is bounded: beyond the limit messages are dropped and counted, enqueue never blocks", async () => {
  const r = recorder();
  const queue = new DeliveryQueue({ send: () => new Promise(() => undefined), limit: 2, ...r });
  assert.equal(queue.enqueue(item("a")), true);
  assert.equal(queue.enqueue(item("a")), true);
  assert.equal(queue.enqueue(item("b")), false);
  assert.deepEqual(r.results, [["b", "dropped"]]);
  queue.stop();
  assert.equal(queue.enqueue(item("a")), false, "stopped");
  await queue.idle();
});

test("stop aborts in-flight attempts and cancels retries", async () => {
  const r = recorder();
  const signals: AbortSignal[] = [];
  const queue = new DeliveryQueue({
    send: (req) => {
      signals.push(req.signal);
      return new Promise(() => undefined);
    },
    ...r,
  });
  queue.enqueue(item("a", "{}", { timeoutMs: 60_000 }));
  while (signals.length === 0) await new Promise((resolve) => setImmediate(resolve));
  queue.stop();
  await queue.idle();
  assert.equal(signals[0]?.aborted, true);
  assert.deepEqual(r.results, [], "neither delivered nor failed: dropped by the stop");
});
