// Initial sync throughput (issue 11, benchmark 3): N apps × M ConfigMaps, Tether's objects/s
// divided by a raw server-side-apply client's objects/s (the same objects, concurrency matched to
// the controller's workers) on the same apiserver in the same run. Goal: ratio ≥ 0.7.
//   npm run bench -- initial-sync [--apps 1000] [--objects 10] [--workers 4] [--quick]
import { fleetArgs } from "../lib/fleet.js";
import { measureInitialSync, mib, rate } from "../lib/initialsync.js";
import { runBench } from "../lib/run.js";
import { runtimeLine } from "../lib/controllerprocess.js";

const GOAL_RATIO = 0.7;

runBench(async (run) => {
  const args = fleetArgs({ apps: 1000, objects: 10, workers: 4 }, { apps: 20 });
  const { apps, objects, workers } = args.n as { apps: number; objects: number; workers: number };
  const progress = (line: string) => process.stderr.write(`# ${line}\n`);
  const result = await measureInitialSync({
    run,
    runtime: args.runtime,
    apps,
    objectsPerApp: objects,
    workers,
    baselineConcurrency: [workers],
    timeoutMs: 1_800_000,
    progress,
  });
  const baseMs = result.baselineMs.get(workers) ?? NaN;
  const baseRate = rate(result.objects, baseMs);
  const tetherRate = rate(result.objects, result.tetherMs);
  console.log("");
  console.log(runtimeLine(args.runtime));
  console.log(
    `initial sync: ${apps} apps × ${objects} ConfigMaps = ${result.objects} objects, ${workers} workers`,
  );
  console.log(
    `raw SSA client (concurrency ${workers}):  ${baseMs.toFixed(0)} ms  ${baseRate.toFixed(1)} objects/s`,
  );
  console.log(
    `tether (controller ready → all Synced): ${result.tetherMs.toFixed(0)} ms  ${tetherRate.toFixed(1)} objects/s`,
  );
  console.log(
    `tether (process spawn → all Synced):    ${result.tetherFromSpawnMs.toFixed(0)} ms  ${rate(result.objects, result.tetherFromSpawnMs).toFixed(1)} objects/s`,
  );
  console.log(
    `controller: ${result.reconciles} reconciles, peak RSS ${mib(result.peakRssBytes)}, CPU ${result.cpuSeconds.toFixed(1)} s`,
  );
  const ratio = tetherRate / baseRate;
  console.log(
    `ratio tether/raw SSA: ${ratio.toFixed(2)} (goal ≥ ${GOAL_RATIO}: ${ratio >= GOAL_RATIO ? "met" : "MISSED"})`,
  );
});
