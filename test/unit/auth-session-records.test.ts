// Secret tether-sessions as pure data (session-records.ts): round trip, garbage ignored with a
// named issue, pruning on write, and the size policy that fails closed (cut-offs, never forgetting).
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  cutoffKey,
  emptySessionRecords,
  parseSessionRecords,
  pruneSessionRecords,
  serializeSessionRecords,
  sessionCutoff,
  withCutoff,
  withRevocation,
} from "../../src/api/auth/session-records.js";

const NOW = Date.parse("2030-01-01T00:00:00Z");
const sec = Math.floor(NOW / 1000);
const sid = (n: number) => `sid${String(n).padStart(20, "0")}`;
const prune = { nowMs: NOW, sessionTtlSeconds: 3600 };

test("revocations and cut-offs round-trip through the Secret's data", () => {
  let records = withRevocation(emptySessionRecords(), sid(1), { exp: sec + 60, user: "alice" }, prune);
  records = withCutoff(records, "sso:bob@example.com", NOW, prune);
  const data = serializeSessionRecords(records);
  assert.ok(
    Object.keys(data).every((k) => /^[-._a-zA-Z0-9]{1,253}$/.test(k)),
    "valid Secret keys",
  );
  const { records: back, issues } = parseSessionRecords(data);
  assert.deepEqual(issues, []);
  assert.deepEqual(back.revoked.get(sid(1)), { exp: sec + 60, user: "alice" });
  assert.equal(sessionCutoff(back, "sso:bob@example.com"), NOW);
  assert.equal(sessionCutoff(back, "alice"), undefined);
});

test("garbage entries are ignored (a named session stays revoked), each with an issue naming the Secret and key", () => {
  const { records, issues } = parseSessionRecords({
    [`revoked.${sid(1)}`]: "not json",
    "revoked.x": '{"exp": 1, "user": "a"}',
    [`revoked.${sid(2)}`]: JSON.stringify({ exp: sec + 5, user: "ok" }),
    [cutoffKey("alice")]: JSON.stringify({ user: "mallory", before: NOW }),
    "cutoff-all": "{}",
    junk: "1",
  });
  // A readable session id with an unreadable value stays revoked (fail closed): the key names it.
  assert.deepEqual([...records.revoked.keys()].sort(), [sid(1), sid(2)].sort());
  assert.equal(records.revoked.get(sid(1))?.exp, Number.MAX_SAFE_INTEGER);
  assert.equal(records.cutoffs.size, 0, "a cut-off under another user's key is refused");
  assert.equal(records.cutoffAll, undefined);
  assert.equal(issues.length, 5);
  for (const issue of issues)
    assert.match(issue, /^Secret tether-sessions key \S+: .*\((ignored|the session stays revoked)\)$/);
  assert.equal(issues.filter((i) => i.endsWith("(the session stays revoked)")).length, 1);
});

test("writes prune expired revocations and cut-offs older than the session lifetime", () => {
  const records = {
    revoked: new Map([
      [sid(1), { exp: sec - 1, user: "a" }],
      [sid(2), { exp: sec + 10, user: "b" }],
    ]),
    cutoffs: new Map([
      ["old", NOW - 3601_000],
      ["new", NOW - 10],
    ]),
    cutoffAll: NOW - 7200_000,
  };
  const pruned = pruneSessionRecords(records, prune);
  assert.deepEqual([...pruned.revoked.keys()], [sid(2)]);
  assert.deepEqual([...pruned.cutoffs.keys()], ["new"]);
  assert.equal(pruned.cutoffAll, undefined);
});

test("past the limit the soonest-expiring revocations become cut-offs of their users (fail closed)", () => {
  let records = emptySessionRecords();
  const limits = { ...prune, maxRevocations: 3, maxCutoffs: 2 };
  for (let i = 1; i <= 4; i++)
    records = withRevocation(records, sid(i), { exp: sec + i, user: `u${i}` }, limits);
  assert.deepEqual([...records.revoked.keys()].sort(), [sid(2), sid(3), sid(4)]);
  assert.equal(sessionCutoff(records, "u1"), NOW, "u1's revoked session is still refused");
  // More users overflowing than cut-offs allowed: one cut-off for everyone.
  for (let i = 5; i <= 7; i++)
    records = withRevocation(records, sid(i), { exp: sec + i, user: `u${i}` }, limits);
  assert.ok(records.cutoffs.size <= 2, "folded into cutoff-all, then counting again");
  assert.equal(records.cutoffAll, NOW);
  assert.equal(sessionCutoff(records, "anyone"), NOW);
});
