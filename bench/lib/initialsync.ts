// Initial sync, measured against a raw server-side-apply client in the same run: the same
// ConfigMaps (ownership marks included, so the bytes sent are Tether's) PATCHed with SSA by a
// plain loop at a matched concurrency into namespaces of their own, then Tether syncing the
// fleet from "controller has listed the Applications" to "every app Synced at the commit".
import fs from "node:fs";
import { parse } from "yaml";
import { prepareDesired } from "../../src/controller/desired.js";
import type { RenderedKubeObject } from "../../src/model/ref.js";
import type { BenchRun } from "./run.js";
import { apiserverRequests, formatDelta, requestDelta, writesTo } from "./apiserver.js";
import { metricSum } from "./controllerprocess.js";
import { type Fleet, configMapManifest, mapLimit, startFleet, synced } from "./fleet.js";

export interface InitialSyncResult {
  readonly fleet: Fleet;
  readonly objects: number;
  /** Baseline: concurrency → ms for all objects. */
  readonly baselineMs: Map<number, number>;
  /** Controller ready (Applications listed) → last app Synced. */
  readonly tetherMs: number;
  /** Process spawned → last app Synced (Node + tsx start-up included). */
  readonly tetherFromSpawnMs: number;
  readonly peakRssBytes: number;
  readonly cpuSeconds: number;
  readonly reconciles: number;
}

export async function measureInitialSync(options: {
  run: BenchRun;
  runtime: "dist" | "tsx";
  apps: number;
  objectsPerApp: number;
  workers: number;
  /** Concurrencies for the raw SSA baseline; the first is the matched one used for the ratio. */
  baselineConcurrency: readonly number[];
  timeoutMs: number;
  progress: (line: string) => void;
}): Promise<InitialSyncResult> {
  const { run, progress } = options;
  const fleet = await startFleet({
    run,
    apps: options.apps,
    objectsPerApp: options.objectsPerApp,
    layout: "shared",
    runtime: options.runtime,
    progress,
  });
  const objects = options.apps * options.objectsPerApp;

  const baselineMs = new Map<number, number>();
  for (const [round, concurrency] of options.baselineConcurrency.entries()) {
    const namespaces = await fleet.namespaces(`${fleet.appNamespace}-b${round}`, options.apps);
    const desired = (
      await Promise.all(
        namespaces.map((namespace, i) =>
          prepareDesired({
            // Same-length marks of another installation: the bytes are Tether's, but the
            // controller must not see these as its own (it would prune them: not rendered).
            app: `${fleet.appNamespace}/bas-${i}`,
            installationId: fleet.installationId.replace(/./g, "0"),
            namespace,
            rendered: Array.from({ length: options.objectsPerApp }, (_, j) => ({
              object: parse(configMapManifest(`cm-${j}`, 0)) as RenderedKubeObject,
              sourceFile: `objects/cm-${j}.yaml`,
            })),
            resources: fleet.resources,
          }),
        ),
      )
    ).flat();
    run.check();
    progress(`baseline: ${desired.length} raw SSA PATCHes, concurrency ${concurrency}`);
    const [countsBefore, secondsBefore] = [
      await apiserverRequests(fleet.clients.config),
      await apiserverRequests(fleet.clients.config, SECONDS),
    ];
    const t = performance.now();
    const machine = machineCpu();
    await mapLimit(desired, concurrency, (d) => fleet.resources.apply(d.object));
    baselineMs.set(concurrency, performance.now() - t);
    const baselineBusy = machineBusy(machine);
    const applies =
      requestDelta(countsBefore, await apiserverRequests(fleet.clients.config)).get("APPLY configmaps") ?? 0;
    const applySeconds =
      requestDelta(secondsBefore, await apiserverRequests(fleet.clients.config, SECONDS)).get(
        "APPLY configmaps",
      ) ?? 0;
    console.log(
      `baseline (concurrency ${concurrency}): ${applies} APPLY configmaps, ${applySeconds.toFixed(1)} s in the apiserver, ${applies > 0 ? ((applySeconds / applies) * 1000).toFixed(1) : "?"} ms each; machine CPU busy ${baselineBusy}`,
    );
  }

  progress(`creating ${options.apps} Application(s)`);
  await fleet.createApplications();
  run.check();
  const before = await apiserverRequests(fleet.clients.config);
  const secondsBefore = await apiserverRequests(fleet.clients.config, SECONDS);
  const controller = fleet.startController({ workers: options.workers });
  const readyAt = await controller.started;
  const machine = machineCpu();
  progress(
    `controller ready after ${(readyAt - controller.spawnedAt).toFixed(0)} ms; waiting for ${options.apps} app(s) to be Synced`,
  );
  const doneAt = await fleet.waitAll("initial sync", synced(fleet.initialCommit), options.timeoutMs);
  const tetherBusy = machineBusy(machine);
  const after = await apiserverRequests(fleet.clients.config);
  const secondsAfter = await apiserverRequests(fleet.clients.config, SECONDS);
  const sample = await controller.sample();
  const metrics = await controller.metrics();
  const delta = requestDelta(before, after);
  if (options.baselineConcurrency.length > 0) {
    console.log(`apiserver requests during Tether's sync (all clients):\n${formatDelta(delta)}`);
    console.log(
      `  writes to configmaps: ${writesTo(delta, ["configmaps"])}, to applications: ${writesTo(delta, ["applications"])}`,
    );
    // Time inside the apiserver (queueing included) by kind: what each kind of request costs it.
    const seconds = requestDelta(secondsBefore, secondsAfter);
    const busiest = [...seconds.entries()].sort((a, b) => b[1] - a[1]).slice(0, 5);
    console.log(
      `  machine CPU busy during Tether's sync: ${tetherBusy} (all processes: apiserver, etcd, controller, this bench…)`,
    );
    console.log("  apiserver time by kind (sum of request durations, mean per request):");
    for (const [kind, total] of busiest) {
      const count = delta.get(kind) ?? 0;
      console.log(
        `    ${kind.padEnd(28)} ${total.toFixed(1).padStart(7)} s  ${count > 0 ? ((total / count) * 1000).toFixed(1) : "?"} ms`,
      );
    }
  }
  return {
    fleet,
    objects,
    baselineMs,
    tetherMs: doneAt - readyAt,
    tetherFromSpawnMs: doneAt - controller.spawnedAt,
    peakRssBytes: sample.peakRssBytes,
    cpuSeconds: sample.cpuSeconds,
    reconciles: metricSum(metrics, "tether_reconcile_duration_seconds_count"),
  };
}

const SECONDS = "apiserver_request_duration_seconds_sum";

/** The machine's CPU counters (/proc/stat): busy and total jiffies; undefined off Linux. */
function machineCpu(): { busy: number; total: number } | undefined {
  try {
    const fields = (fs.readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "")
      .trim()
      .split(/\s+/)
      .slice(1, 9)
      .map(Number);
    const total = fields.reduce((a, b) => a + b, 0);
    return { busy: total - (fields[3] ?? 0) - (fields[4] ?? 0), total };
  } catch {
    return undefined;
  }
}

/** Share of all cores busy since `start`, as text. */
function machineBusy(start: ReturnType<typeof machineCpu>): string {
  const end = machineCpu();
  if (!start || !end || end.total === start.total) return "unknown";
  return `${(((end.busy - start.busy) / (end.total - start.total)) * 100).toFixed(0)} % of all cores`;
}

export const rate = (objects: number, ms: number) => (objects / ms) * 1000;
export const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
