// Two replicas that disagree on the hashing (one `--shard-key app`, one `--shard-key cluster`) over
// the same apps, started together: they both want some apps, and the per-app claim must still let
// exactly one of them reconcile each app. The ids are chosen so that the cluster-keyed replica wants
// every app (the destination is one cluster) and the app-keyed one about half: each app ends up
// held by one replica, no app is ever claimed or reconciled by both (their logs), and every app has
// one history entry (synced once, not twice).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { waitFor } from "../../src/lib/wait.js";
import type { Application } from "../../src/model/application.js";
import { assign, shardKey } from "../../src/controller/sharding/hash.js";
import { APP_GROUP, configMap, IN_CLUSTER } from "../helpers/app.js";
import type { ControllerProcess } from "../helpers/controllerprocess.js";
import { clients } from "../helpers/environment.js";
import type { ReplicaFixture } from "../helpers/replicas.js";
import { startReplicaFixture } from "../helpers/replicas.js";

const APPS = 10;
const LEASE_MS = 3_000;

describe("controller sharding: replicas with different shard keys never both hold an app", () => {
  let fx: ReplicaFixture;
  before(async () => {
    fx = await startReplicaFixture("mixed", { leaseMs: LEASE_MS });
  });
  after(() => fx?.stop());

  test("--shard-key app and --shard-key cluster over the same apps: one holder each, one sync each", async () => {
    const { appNs, target } = fx;
    const { url, ws } = await fx.repository("mixed");
    const files: Record<string, string> = {};
    for (let i = 0; i < APPS; i++) files[`app-${i}/cm.yaml`] = configMap(`cm-${i}`, { v: "1" });
    await ws.commitAndPush(files, "ten apps");
    const apps: Application[] = [];
    for (let i = 0; i < APPS; i++) {
      const app = {
        apiVersion: "tether.dev/v1alpha1",
        kind: "Application",
        metadata: { name: `app-${i}`, namespace: appNs },
        spec: {
          source: { repoURL: url, targetRevision: "main", path: `app-${i}` },
          destination: { server: IN_CLUSTER, namespace: target },
          syncPolicy: { automated: { prune: true } },
        },
      } as Application;
      apps.push(app);
      await clients().custom.createNamespacedCustomObject({ ...APP_GROUP, namespace: appNs, body: app });
    }
    // Ids for which the cluster key goes to the cluster-keyed replica, and the app-keyed one wants
    // some apps too: the two views overlap (both want those apps), which is what is tested.
    const pick = () => {
      for (let n = 0; n < 100; n++) {
        const [byApp, byCluster] = [`app-keyed-${n}`, `cluster-keyed-${n}`];
        const members = [byApp, byCluster];
        const wantedByApp = apps.filter((a) => assign(shardKey(a, "app"), members) === byApp).length;
        if (assign(shardKey(apps[0]!, "cluster"), members) === byCluster && wantedByApp >= 3)
          return { byApp, byCluster, contested: wantedByApp };
      }
      throw new Error("no pair of ids found");
    };
    const { byApp, byCluster, contested } = pick();
    const start = (id: string, key: "app" | "cluster") =>
      fx.start(id, { args: ["--shard-key", key], debug: true });
    const list = () => fx.apps();
    // Started together: both race for the contested apps.
    const a = start(byApp, "app");
    const c = start(byCluster, "cluster");
    const holders = await waitFor(
      `${APPS} apps Synced, each held by ${byApp} or ${byCluster}`,
      async () => {
        const items = await list();
        const ok =
          items.length === APPS &&
          items.every(
            (x) =>
              x.status?.sync?.status === "Synced" &&
              [byApp, byCluster].includes(x.status.controller?.replica ?? ""),
          );
        return ok
          ? new Map(items.map((x) => [`${appNs}/${x.metadata.name}`, x.status?.controller?.replica ?? ""]))
          : undefined;
      },
      { timeoutMs: 90_000, maxIntervalMs: 250, abort: Promise.race([a.died, c.died]) },
    );
    // Both replicas have seen each other and judged every app at least once more since.
    const bothMembers = (p: ControllerProcess) =>
      p.stderr().includes(`→ ${[byApp, byCluster].sort().join(", ")}`) ||
      p.stderr().includes(`members ${[byApp, byCluster].sort().join(", ")}`);
    await waitFor("both replicas see two members", () => (bothMembers(a) && bothMembers(c)) || undefined, {
      timeoutMs: 30_000,
    });
    await waitFor(
      "the replica not holding a contested app has been told to wait for it",
      () => [a, c].some((p) => p.stderr().includes("held by live replica")) || undefined,
      { timeoutMs: 30_000 },
    );

    // Each replica reconciles an app only between its own claim and its release (its log order),
    // and the reconcile spans of the two replicas for one app never overlap (one clock: same host).
    const spans = new Map<string, { by: string; from: number; to: number }[]>();
    for (const [id, p] of [
      [byApp, a],
      [byCluster, c],
    ] as const) {
      const holding = new Set<string>();
      for (const line of p.stderr().split("\n")) {
        const claimed = / sharding: claimed (\S+)/.exec(line)?.[1];
        const released = / sharding: released (\S+)/.exec(line)?.[1];
        const run = / reconciled (\S+) in (\d+) ms/.exec(line);
        if (claimed) holding.add(claimed);
        if (released) holding.delete(released);
        if (!run) continue;
        const [, key = "", ms = "0"] = run;
        assert.ok(holding.has(key), `${id} reconciled ${key} without holding its claim:\n${p.stderr()}`);
        const to = Date.parse(line.slice(0, 24));
        spans.set(key, [...(spans.get(key) ?? []), { by: id, from: to - Number(ms), to }]);
      }
    }
    // 2 ms: the span's rounding; between one replica's last reconcile and the other's first there
    // are a release and a claim written to the apiserver.
    for (const [key, list] of spans)
      for (const x of list)
        for (const y of list)
          if (x.by !== y.by && x.from + 2 < y.to && y.from + 2 < x.to)
            assert.fail(`${key} reconciled by ${x.by} and ${y.by} at once: ${JSON.stringify([x, y])}`);
    const handovers = [...spans.values()].filter((l) => new Set(l.map((x) => x.by)).size > 1).length;
    for (const app of await list())
      assert.equal(
        app.status?.history?.length,
        1,
        `${app.metadata.name}: history ${JSON.stringify(app.status?.history)}`,
      );
    const counts = [byApp, byCluster].map(
      (id) => `${id}: ${[...holders.values()].filter((h) => h === id).length}`,
    );
    process.stderr.write(
      `# mixed shard keys: ${contested} app(s) wanted by both; held ${counts.join(", ")}; ${handovers} handed over\n`,
    );
  });
});
