// ratelimit.ts: login lockout per username and per client address, with an injected clock.
import assert from "node:assert/strict";
import { test } from "node:test";
import { clientKey, LoginRateLimiter } from "../../src/api/auth/index.js";

function limiter(options: { maxEntries?: number } = {}) {
  const clock = { now: 0 };
  const rl = new LoginRateLimiter({ now: () => clock.now, ...options });
  return { rl, clock };
}
const alice = { username: "alice", ip: "10.0.0.1" };

function fail(rl: LoginRateLimiter, attempt: { username: string; ip: string }, times: number) {
  for (let i = 0; i < times; i++) {
    assert.equal(rl.check(attempt).allowed, true, `attempt ${i + 1} allowed`);
    rl.recordFailure(attempt);
  }
}

test("5 failures within 5 minutes lock the user for 30 s", () => {
  const { rl, clock } = limiter();
  fail(rl, alice, 4);
  assert.deepEqual(rl.check(alice), { allowed: true });
  rl.recordFailure(alice);
  assert.deepEqual(rl.check(alice), { allowed: false, retryAfterMs: 30_000 });
  clock.now = 29_999;
  assert.equal(rl.check(alice).allowed, false);
  clock.now = 30_000;
  assert.equal(rl.check(alice).allowed, true);
});

test("failures older than the window do not count", () => {
  const { rl, clock } = limiter();
  fail(rl, alice, 4);
  clock.now = 5 * 60_000;
  fail(rl, alice, 4);
  assert.equal(rl.check(alice).allowed, true);
});

test("lockouts grow exponentially and are capped", () => {
  const { rl, clock } = limiter();
  const seen: number[] = [];
  for (let round = 0; round < 7; round++) {
    fail(rl, alice, 5);
    const decision = rl.check(alice);
    assert.equal(decision.allowed, false);
    if (!decision.allowed) {
      seen.push(decision.retryAfterMs);
      clock.now += decision.retryAfterMs;
    }
  }
  assert.deepEqual(seen, [30_000, 60_000, 120_000, 240_000, 480_000, 900_000, 900_000]);
});

test("success resets the username counter", () => {
  const { rl } = limiter();
  fail(rl, alice, 4);
  rl.recordSuccess(alice);
  fail(rl, { ...alice, ip: "10.0.0.2" }, 4);
  assert.equal(rl.check({ ...alice, ip: "10.0.0.3" }).allowed, true);
});

test("per-address limit: spraying many usernames from one address is locked", () => {
  const { rl } = limiter();
  for (let i = 0; i < 5; i++) rl.recordFailure({ username: `user${i}`, ip: "10.0.0.9" });
  assert.equal(rl.check({ username: "someone-else", ip: "10.0.0.9" }).allowed, false);
  assert.equal(rl.check({ username: "someone-else", ip: "10.0.0.10" }).allowed, true);
  // A success on the attacker's own account does not clear the address counter.
  rl.recordSuccess({ username: "user0", ip: "10.0.0.9" });
  assert.equal(rl.check({ username: "someone-else", ip: "10.0.0.9" }).allowed, false);
});

test("per-username limit: many addresses against one user are locked; case-insensitive", () => {
  const { rl } = limiter();
  for (let i = 0; i < 5; i++) rl.recordFailure({ username: i % 2 ? "Alice" : "alice", ip: `10.1.0.${i}` });
  assert.equal(rl.check({ username: "ALICE", ip: "192.168.1.1" }).allowed, false);
});

test("IPv6 addresses share a /64; IPv4-mapped addresses map to IPv4", () => {
  assert.equal(clientKey("2001:db8:1:2:aaaa::1"), "2001:0db8:0001:0002::/64");
  assert.equal(clientKey("2001:db8:1:2:ffff:1:2:3"), "2001:0db8:0001:0002::/64");
  assert.equal(clientKey("::1"), "0000:0000:0000:0000::/64");
  assert.equal(clientKey("::ffff:10.0.0.1"), "10.0.0.1");
  const { rl } = limiter();
  for (let i = 0; i < 5; i++) rl.recordFailure({ username: `u${i}`, ip: `2001:db8:1:2::${i + 1}` });
  assert.equal(rl.check({ username: "v", ip: "2001:db8:1:2:ffff::9" }).allowed, false);
});

test("memory is bounded: idle entries are forgotten, the table never exceeds maxEntries", () => {
  const { rl, clock } = limiter({ maxEntries: 50 });
  for (let i = 0; i < 1000; i++) rl.recordFailure({ username: `u${i}`, ip: `10.2.${i >> 8}.${i & 255}` });
  assert.ok(rl.size <= 50, `size ${rl.size}`);
  clock.now = 2 * 60 * 60_000;
  rl.recordFailure(alice);
  assert.equal(rl.size, 2, "everything idle for over an hour was swept");
});
