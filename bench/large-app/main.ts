// One large app (issue 11, benchmark 4): a single Application of N ConfigMaps, time from the
// controller having listed it to Synced, against a raw server-side-apply client applying the same
// objects in the same run — one at a time (how one app's objects are applied) and 8 at a time.
// Goal: < 30 s for 2,000 objects.
//   npm run bench -- large-app [--objects 2000] [--quick]
import { fleetArgs } from "../lib/fleet.js";
import { measureInitialSync, mib, rate } from "../lib/initialsync.js";
import { runBench } from "../lib/run.js";
import { runtimeLine } from "../lib/controllerprocess.js";

const GOAL_MS = 30_000;

runBench(async (run) => {
  const args = fleetArgs({ objects: 2000 }, { objects: 200 });
  const objects = args.n["objects"] ?? 0;
  const progress = (line: string) => process.stderr.write(`# ${line}\n`);
  const result = await measureInitialSync({
    run,
    runtime: args.runtime,
    apps: 1,
    objectsPerApp: objects,
    workers: 4,
    baselineConcurrency: [1, 8],
    timeoutMs: 600_000,
    progress,
  });
  console.log("");
  console.log(runtimeLine(args.runtime));
  console.log(`one app of ${objects} ConfigMaps`);
  for (const [concurrency, ms] of result.baselineMs)
    console.log(
      `raw SSA client (concurrency ${concurrency}):  ${ms.toFixed(0)} ms  ${rate(objects, ms).toFixed(1)} objects/s`,
    );
  console.log(
    `tether (controller ready → Synced):  ${result.tetherMs.toFixed(0)} ms  ${rate(objects, result.tetherMs).toFixed(1)} objects/s`,
  );
  console.log(`tether (process spawn → Synced):     ${result.tetherFromSpawnMs.toFixed(0)} ms`);
  console.log(
    `controller: ${result.reconciles} reconciles, peak RSS ${mib(result.peakRssBytes)}, CPU ${result.cpuSeconds.toFixed(1)} s`,
  );
  const sequential = result.baselineMs.get(1) ?? NaN;
  console.log(`ratio tether time / raw SSA sequential time: ${(result.tetherMs / sequential).toFixed(2)}`);
  console.log(
    `goal time to Synced < ${GOAL_MS} ms: ${result.tetherMs.toFixed(0)} ms (${result.tetherMs < GOAL_MS ? "met" : "MISSED"})`,
  );
});
