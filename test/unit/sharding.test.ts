import assert from "node:assert/strict";
import { test } from "node:test";
import { assign, shardKey } from "../../src/controller/sharding/hash.js";
import {
  isLive,
  liveMembers,
  observe,
  replicaIdError,
  toReplicaId,
} from "../../src/controller/sharding/members.js";
import { claimDecision } from "../../src/controller/sharding/claim.js";
import { FencedError, fenceReason, fencedResources } from "../../src/controller/sharding/fence.js";
import type { ResourceClient } from "../../src/kube/resources.js";
import type { Application } from "../../src/model/application.js";

/** A seeded generator (mulberry32): the property checks below are deterministic. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const keys = (n: number, rnd: () => number) =>
  Array.from({ length: n }, (_, i) => `ns-${Math.floor(rnd() * 1e6)}/app-${i}`);

test("assign is deterministic and independent of member order", () => {
  const members = ["a", "b", "c", "d"];
  for (const key of keys(200, random(1))) {
    const owner = assign(key, members);
    assert.ok(owner && members.includes(owner));
    assert.equal(assign(key, [...members].reverse()), owner);
  }
  assert.equal(assign("x/y", []), undefined);
});

test("property: removing one of N members moves only its keys; adding one moves only keys to it, ~1/(N+1)", () => {
  const rnd = random(42);
  for (let round = 0; round < 20; round++) {
    const n = 2 + Math.floor(rnd() * 6);
    const members = Array.from({ length: n }, (_, i) => `replica-${Math.floor(rnd() * 1e9)}-${i}`);
    const ks = keys(2000, rnd);
    const before = new Map(ks.map((k) => [k, assign(k, members)]));
    // Removal: a key moves only if its owner left.
    const gone = members[Math.floor(rnd() * n)] as string;
    const fewer = members.filter((m) => m !== gone);
    for (const k of ks) {
      const after = assign(k, fewer);
      if (before.get(k) !== gone)
        assert.equal(after, before.get(k), `${k} moved though ${gone} did not hold it`);
    }
    // Addition: a key moves only to the newcomer, and about 1/(N+1) of them do.
    const joined = `replica-new-${round}`;
    let moved = 0;
    for (const k of ks) {
      const after = assign(k, [...members, joined]);
      if (after !== before.get(k)) {
        assert.equal(after, joined);
        moved += 1;
      }
    }
    const expected = ks.length / (n + 1);
    assert.ok(
      Math.abs(moved - expected) < expected * 0.25,
      `moved ${moved}, expected ~${expected.toFixed(0)} of ${ks.length} with ${n} members`,
    );
  }
});

test("the spread over members is even within a few percent", () => {
  const members = ["r0", "r1", "r2"];
  const counts = new Map<string, number>();
  for (const k of keys(3000, random(7)))
    counts.set(assign(k, members) ?? "", (counts.get(assign(k, members) ?? "") ?? 0) + 1);
  for (const m of members) assert.ok(Math.abs((counts.get(m) ?? 0) - 1000) < 120, `${m}: ${counts.get(m)}`);
});

test("shardKey: app mode is namespace/name; cluster mode groups by destination server, else name", () => {
  const app = (destination: Record<string, string>) =>
    ({ metadata: { namespace: "team", name: "web" }, spec: { destination } }) as unknown as Application;
  assert.equal(shardKey(app({ server: "https://k:6443" }), "app"), "team/web");
  assert.equal(shardKey(app({ server: "https://k:6443/" }), "cluster"), "server:https://k:6443");
  assert.equal(shardKey(app({ name: "prod" }), "cluster"), "name:prod");
  assert.equal(shardKey(app({}), "cluster"), "team/web");
});

const lease = (
  name: string,
  version: string,
  holder = name.replace("tether-controller-", ""),
  seconds = 3,
) => ({
  metadata: { name, resourceVersion: version },
  spec: { holderIdentity: holder, leaseDurationSeconds: seconds },
});

test("a member is live while this replica saw a renewal within its duration, by its own clock", () => {
  let o = observe(undefined, lease("tether-controller-a", "1"), 1000, 15_000);
  assert.ok(o);
  assert.equal(o.durationMs, 3000);
  assert.ok(isLive(o, 3999));
  assert.ok(!isLive(o, 4000));
  // The same version again (a re-list) is no renewal.
  o = observe(o, lease("tether-controller-a", "1"), 3500, 15_000);
  assert.ok(o && !isLive(o, 4000));
  // A new version is.
  o = observe(o, lease("tether-controller-a", "2"), 3900, 15_000);
  assert.ok(o && isLive(o, 6000));
  // Released (holder cleared): gone at once.
  o = observe(o, lease("tether-controller-a", "3", ""), 4000, 15_000);
  assert.ok(o && !isLive(o, 4001));
  assert.equal(observe(undefined, lease("other-lease", "1"), 0, 15_000), undefined);
  const a = observe(undefined, lease("tether-controller-a", "1"), 0, 15_000);
  const b = observe(undefined, lease("tether-controller-b", "1"), 2000, 15_000);
  assert.deepEqual(liveMembers([b!, a!], 2500), ["a", "b"]);
  assert.deepEqual(liveMembers([b!, a!], 3500), ["b"]);
});

test("replica ids: validated as DNS labels; hostnames are made into one", () => {
  assert.equal(replicaIdError("tether-controller-0"), undefined);
  assert.match(replicaIdError("Bad_ID") ?? "", /lowercase/);
  assert.equal(toReplicaId("Host.Example_1-42"), "host-example-1-42");
  assert.equal(replicaIdError(toReplicaId("x".repeat(100))), undefined);
});

test("claim decisions", () => {
  const live = (id: string) => id === "b";
  const d = (claim: { replica: string } | undefined, assignee: string | undefined, confirmed = false) =>
    claimDecision({ claim, me: "a", assignee, confirmed, isLive: live });
  assert.equal(d(undefined, "a").kind, "take");
  assert.equal(d({ replica: "a" }, "a", true).kind, "held");
  // Ours but not confirmed since the Lease lapsed, or handed over to us: written again (a
  // conflict reveals a takeover).
  assert.equal(d({ replica: "a" }, "a", false).kind, "take");
  assert.equal(d({ replica: "b" }, "a").kind, "wait");
  assert.deepEqual(d({ replica: "c" }, "a"), { kind: "take", from: "c" });
  // Held and confirmed here, assigned elsewhere: handed straight to the assignee (never unowned).
  assert.deepEqual(d({ replica: "a" }, "b", true), { kind: "handover", to: "b" });
  // Held here unconfirmed (handed over by a replica that hashes differently): cleared, not bounced.
  assert.equal(d({ replica: "a" }, "b", false).kind, "release");
  // No live member to hand to.
  assert.equal(d({ replica: "a" }, undefined, true).kind, "release");
  assert.equal(d({ replica: "b" }, "b").kind, "skip");
  assert.equal(d(undefined, "b").kind, "skip");
  assert.equal(d(undefined, undefined).kind, "skip");
});

test("fence: applies stop at lastRenewSent + duration − margin", () => {
  const f = (now: number, last = 1000) =>
    fenceReason({ lastRenewSentMs: last, durationMs: 3000, marginMs: 1000, nowMs: now });
  assert.equal(f(2999), undefined);
  assert.match(f(3000) ?? "", /renewed 2.0 s ago/);
  assert.match(
    fenceReason({ lastRenewSentMs: undefined, durationMs: 3000, marginMs: 1000, nowMs: 0 }) ?? "",
    /not been written/,
  );
});

test("timing argument: a successor never takes over before the old holder has stopped, for any watch delay", () => {
  // Old holder's renewal sent at s (its clock); the apiserver commits it at s + d1; a successor sees
  // it at s + d1 + d2 and takes over at that + duration. The old holder stops at s + duration − margin.
  const rnd = random(3);
  for (let i = 0; i < 1000; i++) {
    const duration = 3000;
    const margin = 1000;
    const s = rnd() * 1e6;
    const d1 = rnd() * 2000;
    const d2 = rnd() * 2000;
    const stopsAt = s + duration - margin;
    const successorObservation = observe(
      undefined,
      lease("tether-controller-old", "9"),
      s + d1 + d2,
      duration,
    );
    assert.ok(successorObservation);
    // Until the old holder stopped (plus the margin), it is still live to the successor.
    assert.ok(isLive(successorObservation, stopsAt + margin - 1));
  }
});

test("fenced client: every write is checked first and reported; dry-runs and reads pass", async () => {
  const calls: string[] = [];
  const inner = {
    apply: (o: { metadata?: { name?: string } }, options: { dryRun?: boolean } = {}) => {
      calls.push(`apply ${o.metadata?.name}${options.dryRun ? " (dry-run)" : ""}`);
      return Promise.resolve(o);
    },
    replace: (o: { metadata?: { name?: string } }) => (
      calls.push(`replace ${o.metadata?.name}`),
      Promise.resolve(o)
    ),
    remove: (ref: { name: string }) => (
      calls.push(`remove ${ref.name}`),
      Promise.resolve("deleted" as const)
    ),
    read: () => (calls.push("read"), Promise.resolve(undefined)),
  } as unknown as ResourceClient;
  let fenced = false;
  const check = () => {
    if (fenced) throw new FencedError("fenced");
  };
  const seen: string[] = [];
  const client = fencedResources(inner, check, (verb, what) => seen.push(`${verb} ${what}`));
  assert.equal(fencedResources(inner, check), client, "one wrapper per (client, check)");
  const cm = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "a", namespace: "ns" } };
  await client.apply(cm);
  await client.replace(cm);
  await client.remove({ apiVersion: "v1", kind: "ConfigMap", namespace: "ns", name: "a" });
  assert.deepEqual(seen, ["apply ConfigMap ns/a", "replace ConfigMap ns/a", "remove ConfigMap ns/a"]);
  fenced = true;
  await assert.rejects(() => client.apply(cm), FencedError);
  await assert.rejects(() => client.replace(cm), FencedError);
  await assert.rejects(() => client.remove({ apiVersion: "v1", kind: "ConfigMap", name: "a" }), FencedError);
  await client.apply(cm, { dryRun: true });
  await client.read({ apiVersion: "v1", kind: "ConfigMap", name: "a" });
  assert.deepEqual(calls, ["apply a", "replace a", "remove a", "apply a (dry-run)", "read"]);
  assert.equal(seen.length, 3, "a refused write is not reported");
});
