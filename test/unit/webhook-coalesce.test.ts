// RefreshCoalescer with fake times: bursts collapse to one refresh per key, and a steady stream
// cannot postpone a key past maxDelayMs.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { PushEvent } from "../../src/api/webhooks/index.js";
import { pushKey, RefreshCoalescer } from "../../src/api/webhooks/index.js";

test("a burst of pushes for the same keys gives one refresh set after the quiet period", () => {
  const c = new RefreshCoalescer({ quietMs: 2000, maxDelayMs: 10_000 });
  c.add(["tether/frontend"], 0);
  c.add(["tether/frontend", "tether/backend"], 500);
  c.add(["tether/frontend"], 1500);
  assert.equal(c.size, 2);
  assert.deepEqual(c.due(2000), []);
  assert.equal(c.nextDueAt(), 2500);
  assert.deepEqual(c.due(2500), ["tether/backend"]);
  assert.deepEqual(c.due(3499), []);
  assert.deepEqual(c.due(3500), ["tether/frontend"]);
  assert.equal(c.size, 0);
  assert.equal(c.nextDueAt(), undefined);
  // After being handed out, a key starts a fresh window.
  c.add(["tether/frontend"], 4000);
  assert.deepEqual(c.due(6000), ["tether/frontend"]);
});

test("a steady stream is flushed at maxDelayMs after the first push", () => {
  const c = new RefreshCoalescer({ quietMs: 1000, maxDelayMs: 3000 });
  for (let t = 0; t <= 2900; t += 500) {
    c.add(["repo@refs/heads/main"], t);
    assert.deepEqual(c.due(t), []);
  }
  assert.equal(c.nextDueAt(), 3000);
  assert.deepEqual(c.due(3000), ["repo@refs/heads/main"]);
});

test("pushKey: URL forms of one repository and one ref coalesce together", () => {
  const base: PushEvent = {
    provider: "github",
    repoURLs: ["https://github.com/Acme/Platform.git"],
    ref: "refs/heads/main",
    branch: "main",
    after: "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
    changedPaths: undefined,
    deleted: false,
  };
  assert.equal(pushKey(base), "https://github.com/acme/platform@refs/heads/main");
  assert.equal(pushKey({ ...base, repoURLs: ["https://github.com/acme/platform/"] }), pushKey(base));
  assert.notEqual(pushKey({ ...base, ref: "refs/heads/dev" }), pushKey(base));
  assert.throws(() => new RefreshCoalescer({ quietMs: 5, maxDelayMs: 1 }), RangeError);
});
