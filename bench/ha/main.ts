// Controller replicas (issue 19): the first sync of N apps × M ConfigMaps with 1 replica and then
// with R replicas sharing the apps through Leases (the same fleet, its Applications and objects
// deleted in between; a third run with one replica and `--sharding off` shows what the per-app claims
// cost), and the failover after SIGKILL of a replica over T trials: a ConfigMap of one of its apps is
// drifted right after the kill, and the bench times from the kill (after the dead replica's last
// apply) until that object is repaired by its successor, and until every app it held has another
// holder (a fresh replica replaces the killed one and the apps settle before the next trial). All
// processes share this machine's cores, so more replicas add no CPU here: the ratio shows the cost
// of sharding, not a cluster's speed-up.
//   npm run bench -- ha [--apps 1000] [--objects 10] [--replicas 3] [--trials 5] [--lease 15] [--quick]
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { assign, shardKey } from "../../src/controller/sharding/hash.js";
import { ensureComponent } from "../../src/toolchain/binaries.js";
import { freePort } from "../../src/localcluster/ports.js";
import { waitFor } from "../../src/lib/wait.js";
import type { Application } from "../../src/model/application.js";
import { GROUP, VERSION } from "../../src/model/application.js";
import type { BenchControllerProcess } from "../lib/controllerprocess.js";
import { runtimeLine, startControllerProcess } from "../lib/controllerprocess.js";
import type { Fleet } from "../lib/fleet.js";
import { fleetArgs, mapLimit, startFleet, synced } from "../lib/fleet.js";
import type { BenchRun } from "../lib/run.js";
import { runBench } from "../lib/run.js";
import { formatSummary } from "../lib/stats.js";

const holder = (app: Application) => app.status?.controller?.replica;

runBench(async (run) => {
  const args = fleetArgs(
    { apps: 1000, objects: 10, workers: 4, replicas: 3, trials: 5, lease: 15 },
    { apps: 30, trials: 2, lease: 3 },
  );
  const { apps, objects, workers, replicas, trials, lease } = args.n as Record<
    "apps" | "objects" | "workers" | "replicas" | "trials" | "lease",
    number
  >;
  const progress = (line: string) => process.stderr.write(`# ${line}\n`);
  const fleet = await startFleet({
    run,
    apps,
    objectsPerApp: objects,
    layout: "shared",
    runtime: args.runtime,
    progress,
  });
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), "tether-bench-ha-"));
  run.defer("remove the replicas' caches", () => fs.rm(tmp, { recursive: true, force: true }));
  const helm = await ensureComponent("helm");
  const kustomize = await ensureComponent("kustomize");
  const live = new Map<string, BenchControllerProcess>();
  const startReplica = async (id: string, sharding = true) => {
    const p = startControllerProcess({
      kubeconfig: fleet.env.kubeconfigPath,
      namespace: fleet.appNamespace,
      systemNamespace: fleet.systemNamespace,
      cacheDir: path.join(tmp, id),
      pollInterval: "60s",
      workers,
      helm,
      kustomize,
      metricsPort: await freePort(),
      runtime: args.runtime,
      extraArgs: [
        "--replica-id",
        id,
        "--lease-duration",
        `${lease}s`,
        ...(sharding ? [] : ["--sharding", "off"]),
      ],
    });
    live.set(id, p);
    run.defer(`stop replica ${id}`, () => p.stop());
    return p;
  };

  const firstSync = async (count: number, prefix: string, sharding = true) => {
    progress(
      `first sync with ${count} replica(s), sharding ${sharding ? "on" : "off"}: creating ${apps} Application(s)`,
    );
    await fleet.createApplications();
    const started = await Promise.all(
      Array.from({ length: count }, (_, i) => startReplica(`${prefix}-${i}`, sharding)),
    );
    const spawnedAt = Math.min(...started.map((p) => p.spawnedAt));
    const readyAt = Math.min(...(await Promise.all(started.map((p) => p.started))));
    const doneAt = await fleet.waitAll(
      `first sync, ${count} replica(s)`,
      synced(fleet.initialCommit),
      1_800_000,
    );
    const samples = await Promise.all(started.map((p) => p.sample()));
    const held = new Map<string, number>();
    for (const app of fleet.apps) {
      const a = fleet.applications.get(fleet.appNamespace, app.name);
      const by = (a && holder(a)) ?? "(none)";
      held.set(by, (held.get(by) ?? 0) + 1);
    }
    return {
      fromReadyMs: doneAt - readyAt,
      fromSpawnMs: doneAt - spawnedAt,
      cpuSeconds: samples.reduce((s, x) => s + x.cpuSeconds, 0),
      held: [...held]
        .sort()
        .map(([id, n]) => `${id} ${n}`)
        .join(", "),
    };
  };

  const unsharded = await firstSync(1, "plain", false);
  await reset(run, fleet, live, progress);
  const one = await firstSync(1, "single");
  await reset(run, fleet, live, progress);
  const many = await firstSync(replicas, "ha");

  // Failover: SIGKILL the replica holding the most apps, drift a ConfigMap of one of them at once;
  // timed until the drift is repaired and until all of its apps have another holder.
  const failovers: number[] = [];
  const repairs: number[] = [];
  let next = replicas;
  await run.trials(trials, async (trial) => {
    const current = () => fleet.apps.map((a) => fleet.applications.get(fleet.appNamespace, a.name));
    const counts = new Map<string, number>();
    for (const a of current()) if (a && holder(a)) counts.set(holder(a)!, (counts.get(holder(a)!) ?? 0) + 1);
    const [victim = "", victimApps = 0] = [...counts].sort((a, b) => b[1] - a[1])[0] ?? [];
    progress(`failover trial ${trial + 1}: SIGKILL ${victim} (holds ${victimApps} app(s))`);
    const killedAt = performance.now();
    await live.get(victim)?.kill();
    live.delete(victim);
    const drifted = fleet.apps.find((a) => {
      const app = fleet.applications.get(fleet.appNamespace, a.name);
      return app !== undefined && holder(app) === victim;
    });
    const repaired = drifted ? repairOf(fleet, drifted.namespace) : Promise.resolve(Number.NaN);
    const doneAt = await fleet.waitAll(
      `apps of ${victim} taken over`,
      (a) => holder(a) !== undefined && holder(a) !== victim,
      600_000,
    );
    failovers.push(doneAt - killedAt);
    repairs.push((await repaired) - killedAt);
    // A new replica replaces it; the next trial starts once every app is with its assigned replica.
    const id = `ha-${next++}`;
    await (
      await startReplica(id)
    ).started;
    const ids = [...live.keys()];
    await fleet.waitAll("rebalanced", (a) => holder(a) === assign(shardKey(a, "app"), ids), 600_000);
  });

  // Member set changes each surviving replica saw (each re-spreads the apps): a kill and the
  // replacement's start are two; the replicas started for the 3-replica sync count their own joins.
  const rebalances: string[] = [];
  for (const [id, p] of live) {
    const text = await p.metrics();
    const count = /^tether_shard_rebalances_total (\S+)$/m.exec(text)?.[1] ?? "?";
    rebalances.push(`${id} ${count}`);
  }

  console.log("");
  console.log(runtimeLine(args.runtime));
  console.log(
    `machine: ${os.cpus().length} core(s) shared by the apiserver, etcd, every replica and this bench`,
  );
  console.log(
    `first sync: ${apps} apps × ${objects} ConfigMaps = ${apps * objects} objects, ${workers} workers per replica, lease ${lease} s`,
  );
  for (const [label, r] of [
    ["1, unsharded", unsharded],
    ["1 replica", one],
    [`${replicas} replicas`, many],
  ] as const)
    console.log(
      `  ${label.padEnd(12)} first ready → all Synced ${r.fromReadyMs.toFixed(0)} ms, spawn → all Synced ${r.fromSpawnMs.toFixed(0)} ms, controller CPU ${r.cpuSeconds.toFixed(1)} s; held: ${r.held}`,
    );
  console.log(
    `  ratio ${replicas} replicas / 1 replica (first ready → all Synced): ${(many.fromReadyMs / one.fromReadyMs).toFixed(2)} (time; < 1 is faster)`,
  );
  console.log(
    `  ratio 1 replica sharded / unsharded (the per-app claims): ${(one.fromReadyMs / unsharded.fromReadyMs).toFixed(2)}`,
  );
  console.log(
    `  rebalances seen (tether_shard_rebalances_total) by the replicas alive at the end: ${rebalances.join(", ")}`,
  );
  console.log(formatSummary(`failover after SIGKILL (lease ${lease} s): kill → drift repaired`, repairs));
  console.log(
    formatSummary(`failover after SIGKILL (lease ${lease} s): kill → all its apps held`, failovers),
  );
});

/**
 * Drifts ConfigMap cm-0 in `namespace` and resolves with the time (performance.now()) its data is
 * back: the first apply of the successor, seen by polling every 100 ms (the sampling error).
 */
async function repairOf(fleet: Fleet, namespace: string): Promise<number> {
  const { core } = fleet.clients;
  // A JSON patch: client-node sends its patches as application/json-patch+json.
  await core.patchNamespacedConfigMap({
    name: "cm-0",
    namespace,
    body: [{ op: "replace", path: "/data/generation", value: "drifted" }],
  });
  let at = Number.NaN;
  await waitFor(
    `${namespace}/cm-0 repaired`,
    async () => {
      const cm = await core.readNamespacedConfigMap({ name: "cm-0", namespace });
      if (cm.data?.["generation"] === "drifted") return undefined;
      at = performance.now();
      return true;
    },
    { timeoutMs: 600_000, intervalMs: 100, maxIntervalMs: 100 },
  );
  return at;
}

/** Stops the replicas, deletes the Applications and the objects they made: the next sync is a first one. */
async function reset(
  run: BenchRun,
  fleet: Fleet,
  live: Map<string, BenchControllerProcess>,
  progress: (line: string) => void,
): Promise<void> {
  progress("stopping the replica(s); deleting the Applications and their ConfigMaps");
  await Promise.all([...live.values()].map((p) => p.stop()));
  live.clear();
  await fleet.clients.custom.deleteCollectionNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    plural: "applications",
    namespace: fleet.appNamespace,
  });
  await waitFor("Applications deleted", () => fleet.count(() => true) === 0 || undefined, {
    timeoutMs: 300_000,
    intervalMs: 500,
  });
  await mapLimit(fleet.apps, 16, (app) =>
    fleet.clients.core.deleteCollectionNamespacedConfigMap({
      namespace: app.namespace,
      labelSelector: "bench=fleet",
    }),
  );
  run.check();
}
