// Three `tether controller` replicas share twelve apps through member Leases (3 s): every app is
// held by exactly one live replica, as rendezvous hashing says; a replica killed (SIGKILL) loses
// its apps to the others, which repair drift in them; a replica frozen (SIGSTOP) stops counting
// after its lease duration, and once resumed applies nothing for the apps it lost until it claims
// them again; scaling 2 → 4 → 3 leaves no app without a holder for long (see the bound below).
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import { after, before, describe, test } from "node:test";
import { waitFor } from "../../src/lib/wait.js";
import type { Application } from "../../src/model/application.js";
import { assign } from "../../src/controller/sharding/hash.js";
import { mergePatch } from "../../src/kube/apis.js";
import { APP_GROUP, configMap, IN_CLUSTER } from "../helpers/app.js";
import { clients } from "../helpers/environment.js";
import type { ReplicaFixture } from "../helpers/replicas.js";
import { startReplicaFixture } from "../helpers/replicas.js";

const APPS = 12;
// 5 s, not less: on a loaded 2-core machine a handover took 2.9 s of process time alone, and the
// bound asserted below is one lease duration.
const LEASE_MS = 5_000;

describe("controller sharding: replicas share apps through Leases, fenced", () => {
  let fx: ReplicaFixture;
  before(async () => {
    fx = await startReplicaFixture("shard", { leaseMs: LEASE_MS });
  });
  after(() => fx?.stop());

  test("every app has one live holder; kill, freeze and scale move apps without overlap", async () => {
    const { appNs, target, replicas } = fx;
    const { url, ws } = await fx.repository("shards");
    const files: Record<string, string> = {};
    for (let i = 0; i < APPS; i++) files[`app-${i}/cm.yaml`] = configMap(`cm-${i}`, { v: "1" });
    await ws.commitAndPush(files, "twelve apps");
    for (let i = 0; i < APPS; i++) {
      await clients().custom.createNamespacedCustomObject({
        ...APP_GROUP,
        namespace: appNs,
        body: {
          apiVersion: "tether.dev/v1alpha1",
          kind: "Application",
          metadata: { name: `app-${i}`, namespace: appNs },
          spec: {
            source: { repoURL: url, targetRevision: "main", path: `app-${i}` },
            destination: { server: IN_CLUSTER, namespace: target },
            syncPolicy: { automated: { prune: true, selfHeal: true } },
          },
        },
      });
    }
    const start = (id: string) => fx.start(id, { debug: true });
    const list = () => fx.apps();
    const holders = (apps: Application[]) =>
      new Map(apps.map((a) => [`${appNs}/${a.metadata.name}`, a.status?.controller?.replica]));
    /** Every app Synced and held by the replica rendezvous hashing gives it among `live`. */
    const settled = (live: string[], what: string) =>
      waitFor(
        what,
        async () => {
          const apps = await list();
          const ok =
            apps.length === APPS &&
            apps.every(
              (a) =>
                a.status?.sync?.status === "Synced" &&
                a.status.controller?.replica === assign(`${appNs}/${a.metadata.name}`, live),
            );
          return ok ? holders(apps) : undefined;
        },
        {
          timeoutMs: 90_000,
          maxIntervalMs: 250,
          abort: Promise.race(live.map((id) => replicas.get(id)!.died)),
        },
      );

    // 1. Three replicas: every app synced, held by its assigned replica, spread over all three.
    for (const id of ["r0", "r1", "r2"]) start(id);
    let held = await settled(
      ["r0", "r1", "r2"],
      "12 apps Synced, each held by its assigned replica of r0, r1, r2",
    );
    assert.equal(new Set(held.values()).size, 3, `apps spread over all three: ${JSON.stringify([...held])}`);

    // 2. SIGKILL r0: its apps get a new holder; drift in one of them is repaired within 20 s.
    const ofR0 = [...held].filter(([, r]) => r === "r0").map(([k]) => k);
    const killedAt = performance.now();
    await replicas.get("r0")!.kill();
    replicas.delete("r0");
    held = await settled(["r1", "r2"], "r0's apps taken over by r1 and r2");
    const failoverMs = performance.now() - killedAt;
    process.stderr.write(
      `# failover after SIGKILL (lease ${LEASE_MS / 1000} s): ${(failoverMs / 1000).toFixed(1)} s for ${ofR0.length} app(s)\n`,
    );
    const drifted = (ofR0[0] ?? "").split("/")[1] ?? "";
    const cm = `cm-${drifted.replace("app-", "")}`;
    await mergePatch(clients().raw, `/api/v1/namespaces/${target}/configmaps`, cm, {
      data: { v: "drifted" },
    });
    const driftedAt = performance.now();
    await waitFor(
      `${target}/${cm} repaired after drift`,
      async () => {
        const live = await clients().core.readNamespacedConfigMap({ name: cm, namespace: target });
        return live.data?.["v"] === "1" ? true : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 100, maxIntervalMs: 250 },
    );
    process.stderr.write(
      `# drift repaired by the new holder in ${((performance.now() - driftedAt) / 1000).toFixed(1)} s\n`,
    );

    // 3. SIGSTOP r1: after its lease duration its apps move to r2. SIGCONT: it applies nothing for
    // an app it lost before claiming it again (its log: every reconcile after a claim).
    const r1 = replicas.get("r1")!;
    r1.signal("SIGSTOP");
    const ofR1 = [...held].filter(([, r]) => r === "r1").map(([k]) => k);
    await settled(["r2"], "r1 frozen: all apps held by r2");
    // Log lines are judged by their timestamps: lines written just before the stop may arrive later.
    const resumedAt = new Date().toISOString();
    r1.signal("SIGCONT");
    held = await settled(["r1", "r2"], "r1 resumed: apps spread over r1 and r2 again");
    const regained = ofR1.filter((k) => held.get(k) === "r1");
    const linesAfter = () =>
      r1
        .stderr()
        .split("\n")
        .filter((l) => l.slice(0, 24) >= resumedAt);
    await waitFor(
      "r1 logs its claims",
      () =>
        regained.every((k) => linesAfter().some((l) => l.includes(`sharding: claimed ${k}`))) || undefined,
      { timeoutMs: 10_000 },
    );
    const after = linesAfter();
    if (process.env["TETHER_SHARD_LOG"])
      await fs.writeFile(process.env["TETHER_SHARD_LOG"], `resumed at ${resumedAt}\n${r1.stderr()}`);
    // Two ways r1 could act for an app it lost: a reconcile that began after the resume without a
    // claim (the gate failed), or a write of a reconcile that was in flight across the freeze (the
    // fence failed: its Lease is fresh again once renewed, but its claim went with the old epoch).
    const claimedAt = (key: string) => after.findIndex((l) => l.includes(`sharding: claimed ${key}`));
    for (const key of ofR1) {
      const claimed = claimedAt(key);
      const before = claimed >= 0 ? after.slice(0, claimed) : after;
      const writes = before.filter((l) => l.includes(`sharding: ${key} writes:`));
      assert.deepEqual(writes, [], `r1 wrote for ${key} before claiming it again:\n${after.join("\n")}`);
      const begunAfterResume = before.filter((l) => {
        const span = new RegExp(`reconciled ${key} in (\\d+) ms`).exec(l);
        return span && Date.parse(l.slice(0, 24)) - Number(span[1]) >= Date.parse(resumedAt);
      });
      assert.deepEqual(
        begunAfterResume,
        [],
        `r1 began a reconcile of ${key} before claiming it again:\n${after.join("\n")}`,
      );
    }

    // 4. Scale 2 → 4 → 3 (r1 stopped cleanly): no app left without a holder (see the bound below).
    const unownedSince = new Map<string, number>();
    let worstUnownedMs = 0;
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const now = performance.now();
        for (const a of await list()) {
          const key = a.metadata.name;
          if (a.status?.controller?.replica) unownedSince.delete(key);
          else if (!unownedSince.has(key)) unownedSince.set(key, now);
          worstUnownedMs = Math.max(worstUnownedMs, now - (unownedSince.get(key) ?? now));
        }
        // A sampling period, not a wait on a condition: it bounds the measurement's error.
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    start("r3");
    start("r4");
    await settled(["r1", "r2", "r3", "r4"], "scaled to four: r1, r2, r3, r4");
    await replicas.get("r1")!.stop();
    replicas.delete("r1");
    await settled(["r2", "r3", "r4"], "r1 stopped: r2, r3, r4");
    watching = false;
    await watcher;
    process.stderr.write(
      `# longest time an app had no holder while scaling: ${(worstUnownedMs / 1000).toFixed(1)} s\n`,
    );
    // Issue 19: no app without a holder for a lease duration. A replica hands an app it is no longer
    // assigned straight to its assignee, so an app is never unclaimed while scaling.
    assert.ok(worstUnownedMs < LEASE_MS, `an app had no holder for ${worstUnownedMs.toFixed(0)} ms`);
  });
});
