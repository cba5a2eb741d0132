// Webhook storm (issue 11, load): N apps in one monorepo (app i renders apps/app-i), then a storm
// of pushes at R/s for S seconds, each followed at once by a signed GitHub push webhook to the API
// (in this process) naming the files it changed; then a last push touching every app. Every app
// must end Synced at that last commit, none stuck, controller memory bounded (peak RSS printed).
// Baseline, same run: one push touching every app without a storm, time until all are Synced.
//   npm run bench -- webhook-storm [--apps 1000] [--rate 100] [--seconds 30] [--quick]
// A real `git push` costs ~60 ms here, so a "push" is what a push does on the server once the
// objects are there: the commits are built up front (git fast-import, pushed to a side branch)
// and each push moves refs/heads/main on the server's bare repository (lock file + rename, as git
// does). Only loopback targets; every loop is bounded.
import { execFile } from "node:child_process";
import { setTimeout as delay } from "node:timers/promises";
import { promisify } from "node:util";
import { apiserverRequests, formatDelta, requestDelta } from "../lib/apiserver.js";
import type { ProcSample } from "../lib/controllerprocess.js";
import { metricSum } from "../lib/controllerprocess.js";
import { configMapManifest, fleetArgs, startFleet, synced } from "../lib/fleet.js";
import { mib } from "../lib/initialsync.js";
import { runBench } from "../lib/run.js";
import { buildCommits, startWebhookReceiver, stormInWorker } from "../lib/storm.js";
import { pusher, type SenderInput } from "./sender.js";
import { runtimeLine } from "../lib/controllerprocess.js";

runBench(async (run) => {
  const args = fleetArgs(
    { apps: 1000, rate: 100, seconds: 30, poll: 60 },
    { apps: 20, rate: 10, seconds: 5 },
  );
  const { apps: appCount = 0, rate = 0, seconds = 0, poll = 60 } = args.n;
  const progress = (line: string) => process.stderr.write(`# ${line}\n`);
  const fleet = await startFleet({
    run,
    apps: appCount,
    objectsPerApp: 1,
    layout: "own",
    runtime: args.runtime,
    progress,
  });
  const file = (i: number) => `apps/app-${i}/cm-0.yaml`;
  const pushes = rate * seconds;

  progress(`building ${pushes + 2} commits`);
  const everyApp = (generation: number) =>
    Object.fromEntries(fleet.apps.map((_, i) => [file(i), configMapManifest("cm-0", generation)]));
  const changes = [
    everyApp(1),
    ...Array.from({ length: pushes }, (_, k) => ({ [file(k % appCount)]: configMapManifest("cm-0", k + 2) })),
    everyApp(pushes + 2),
  ];
  const shas = await buildCommits(fleet.workspace.dir, fleet.initialCommit, changes);
  await promisify(execFile)("git", ["push", "--quiet", "origin", "storm"], { cwd: fleet.workspace.dir });
  const changedFiles = changes.map((c) => Object.keys(c));

  await fleet.createApplications();
  const controller = fleet.startController({ pollInterval: `${poll}s` });
  await controller.started;
  progress(`waiting for ${appCount} app(s) to be Synced`);
  await fleet.waitAll("initial sync", synced(fleet.initialCommit), 1_800_000);

  const target = { shas, changedFiles, ...(await startWebhookReceiver(run, fleet)) };
  const main = pusher(target, fleet.initialCommit);
  const { move, responses } = main; // baseline push

  const samples: ProcSample[] = [];
  let sampling = true;
  const sampler = (async () => {
    while (sampling && !run.interrupted) {
      samples.push(await controller.sample());
      await delay(500);
    }
  })();

  progress("baseline: one push touching every app, no storm");
  let t = performance.now();
  await (
    await move(0)
  )();
  const baselineMs = (await fleet.waitAll("baseline push", synced(shas[0]), 1_800_000)) - t;

  const requestsBefore = await apiserverRequests(fleet.clients.config);
  const metricsBefore = await controller.metrics();
  progress(`storm: ${pushes} pushes at ${rate}/s (sender in a worker thread)`);
  const input: SenderInput = { ...target, rate, pushes, before: main.head() };
  const outcome = await stormInWorker(run, input);
  for (const [code, n] of outcome.responses) responses.set(code, (responses.get(code) ?? 0) + n);
  const finalPush = pusher(target, outcome.before);
  const maxInFlight = outcome.maxInFlight;
  const stormMs = outcome.stormMs;
  progress("last push touching every app");
  t = performance.now();
  await (
    await finalPush.move(pushes + 1)
  )();
  for (const [code, n] of finalPush.responses) responses.set(code, (responses.get(code) ?? 0) + n);
  const final = shas[pushes + 1];
  let convergedMs = NaN;
  try {
    convergedMs = (await fleet.waitAll("after the storm", synced(final), 600_000)) - t;
  } catch (error) {
    console.log(String(error));
  }
  sampling = false;
  await sampler;
  const stuck = fleet.apps.length - fleet.count(synced(final));
  const metricsAfter = await controller.metrics();
  const delta = requestDelta(requestsBefore, await apiserverRequests(fleet.clients.config));
  const last = await controller.sample();
  const diff = (name: string) => metricSum(metricsAfter, name) - metricSum(metricsBefore, name);

  console.log("");
  console.log(runtimeLine(args.runtime));
  console.log(
    `webhook storm: ${appCount} apps, ${pushes} pushes in ${(stormMs / 1000).toFixed(1)} s (target ${rate}/s, achieved ${((pushes / stormMs) * 1000).toFixed(1)}/s, max ${maxInFlight} deliveries in flight)`,
  );
  console.log(`webhook responses: ${[...responses].map(([code, n]) => `${code}×${n}`).join(", ")}`);
  console.log(`baseline, one push touching every app (no storm) → all Synced: ${baselineMs.toFixed(0)} ms`);
  console.log(
    `after the storm, last push → all Synced at it: ${convergedMs.toFixed(0)} ms (ratio to baseline ${(convergedMs / baselineMs).toFixed(2)})`,
  );
  console.log(`apps not Synced at the newest commit: ${stuck}`);
  console.log(
    `controller: ${diff("tether_reconcile_duration_seconds_count")} reconciles, ${diff("tether_sync_total")} syncs during storm + convergence`,
  );
  console.log(
    `controller RSS: max sampled ${mib(Math.max(...samples.map((s) => s.rssBytes)))}, peak since start (VmHWM) ${mib(last.peakRssBytes)}; CPU ${last.cpuSeconds.toFixed(1)} s since start`,
  );
  console.log(`apiserver requests during storm + convergence (all clients):\n${formatDelta(delta)}`);
  console.log(
    `goal: every app Synced at the newest commit: ${stuck === 0 ? "met" : `MISSED (${stuck} stuck)`}`,
  );
});
