// Steady state (issue 11, benchmark 5): N synced apps and nothing changing. Over a quiet window
// it reports the controller process's RSS and CPU (from /proc), the writes to Applications and
// ConfigMaps counted by the apiserver itself (apiserver_request_total, before/after), and the
// apiserver requests per minute — then the same window with the controller stopped, so the
// control plane's own background traffic (kube-controller-manager, scheduler, kwok) is the
// baseline and the controller's share is the difference. Goals: < 200 MiB, < 5 % of a core,
// zero writes when nothing changed.
//   npm run bench -- steady-state [--apps 1000] [--objects 10] [--window 60] [--poll 60] [--quick]
import { setTimeout as delay } from "node:timers/promises";
import { apiserverRequests, formatDelta, requestDelta, totalRequests, writesTo } from "../lib/apiserver.js";
import type { ProcSample } from "../lib/controllerprocess.js";
import { metricSum } from "../lib/controllerprocess.js";
import { fleetArgs, startFleet, synced } from "../lib/fleet.js";
import { mib } from "../lib/initialsync.js";
import { runBench } from "../lib/run.js";
import { runtimeLine } from "../lib/controllerprocess.js";

const GOAL_RSS = 200 * 1024 * 1024;
const GOAL_CPU = 0.05;

runBench(async (run) => {
  const args = fleetArgs(
    { apps: 1000, objects: 10, window: 60, background: 30, poll: 60, settle: 5 },
    { apps: 20, window: 10, background: 5, settle: 2 },
  );
  const { apps, objects, window, background, poll, settle } = args.n;
  const progress = (line: string) => process.stderr.write(`# ${line}\n`);
  const fleet = await startFleet({
    run,
    apps: apps ?? 0,
    objectsPerApp: objects ?? 0,
    layout: "shared",
    runtime: args.runtime,
    progress,
  });
  await fleet.createApplications();
  const controller = fleet.startController({ pollInterval: `${poll}s` });
  await controller.started;
  progress(`waiting for ${apps} app(s) to be Synced`);
  await fleet.waitAll("initial sync", synced(fleet.initialCommit), 1_800_000);

  // Settled: no Application event for `settle` seconds (follow-up status writes of the initial
  // sync are over). Bounded by 120 s; a fleet that never settles is itself the finding.
  const settleMs = (settle ?? 0) * 1000;
  const settleDeadline = performance.now() + 120_000;
  const lastEvent = () =>
    Math.max(...fleet.apps.map((a) => fleet.applications.observed(fleet.appNamespace, a.name)?.at ?? 0));
  while (performance.now() - lastEvent() < settleMs && performance.now() < settleDeadline)
    await fleet.applications.changed(settleMs - (performance.now() - lastEvent()));
  progress(
    performance.now() - lastEvent() >= settleMs ? "settled" : "did not settle within 120 s; measuring anyway",
  );

  const windowMs = (window ?? 0) * 1000;
  progress(`quiet window of ${window} s with the controller running`);
  const eventsBefore = fleet.apps.map(
    (a) => fleet.applications.get(fleet.appNamespace, a.name)?.metadata?.resourceVersion,
  );
  const requestsBefore = await apiserverRequests(fleet.clients.config);
  const metricsBefore = await controller.metrics();
  const samples: ProcSample[] = [await controller.sample()];
  const end = performance.now() + windowMs;
  while (performance.now() < end && !run.interrupted) {
    await delay(Math.min(1_000, Math.max(0, end - performance.now())));
    samples.push(await controller.sample());
  }
  const requestsAfter = await apiserverRequests(fleet.clients.config);
  const metricsAfter = await controller.metrics();
  const eventsAfter = fleet.apps.map(
    (a) => fleet.applications.get(fleet.appNamespace, a.name)?.metadata?.resourceVersion,
  );
  const appsChanged = eventsAfter.filter((rv, i) => rv !== eventsBefore[i]).length;
  const first = samples[0] as ProcSample;
  const last = samples[samples.length - 1] as ProcSample;
  const elapsedS = (last.at - first.at) / 1000;
  const cpuShare = (last.cpuSeconds - first.cpuSeconds) / elapsedS;
  const rss = samples.map((s) => s.rssBytes);
  const delta = requestDelta(requestsBefore, requestsAfter);
  const withController = totalRequests(delta);
  const reconciles =
    metricSum(metricsAfter, "tether_reconcile_duration_seconds_count") -
    metricSum(metricsBefore, "tether_reconcile_duration_seconds_count");

  progress(`stopping the controller; background window of ${background} s`);
  await controller.stop();
  const bgBefore = await apiserverRequests(fleet.clients.config);
  const bgStart = performance.now();
  await delay((background ?? 0) * 1000);
  const bgDelta = requestDelta(bgBefore, await apiserverRequests(fleet.clients.config));
  const bgElapsedS = (performance.now() - bgStart) / 1000;

  const perMin = (n: number, s: number) => (n / s) * 60;
  console.log("");
  console.log(runtimeLine(args.runtime));
  console.log(
    `steady state: ${apps} synced apps × ${objects} ConfigMaps, poll ${poll} s, window ${elapsedS.toFixed(1)} s`,
  );
  console.log(
    `controller RSS: mean ${mib(rss.reduce((a, b) => a + b, 0) / rss.length)}, max ${mib(Math.max(...rss))}, peak since start (VmHWM) ${mib(last.peakRssBytes)}`,
  );
  const at = (q: number) => mib(rss[Math.min(rss.length - 1, Math.floor(q * (rss.length - 1)))] ?? NaN);
  console.log(
    `controller RSS over the window (start, 25 %, 50 %, 75 %, end): ${[0, 0.25, 0.5, 0.75, 1].map(at).join(", ")}`,
  );
  console.log(
    `controller CPU: ${(cpuShare * 100).toFixed(2)} % of a core (${(last.cpuSeconds - first.cpuSeconds).toFixed(2)} s over ${elapsedS.toFixed(1)} s)`,
  );
  console.log(`controller reconciles in the window: ${reconciles}`);
  console.log(
    `writes during the window (apiserver counts, all clients): applications ${writesTo(delta, ["applications"])}, configmaps ${writesTo(delta, ["configmaps"])}; Applications whose resourceVersion changed: ${appsChanged}`,
  );
  console.log(`apiserver requests/min with the controller: ${perMin(withController, elapsedS).toFixed(1)}`);
  console.log(formatDelta(delta));
  console.log(
    `apiserver requests/min without it (baseline, ${bgElapsedS.toFixed(1)} s): ${perMin(totalRequests(bgDelta), bgElapsedS).toFixed(1)}`,
  );
  console.log(
    `controller's share: ${(perMin(withController, elapsedS) - perMin(totalRequests(bgDelta), bgElapsedS)).toFixed(1)} requests/min`,
  );
  console.log(
    `goal RSS < 200 MiB: ${mib(Math.max(...rss))} (${Math.max(...rss) < GOAL_RSS ? "met" : "MISSED"})`,
  );
  console.log(
    `goal CPU < 5 % of a core: ${(cpuShare * 100).toFixed(2)} % (${cpuShare < GOAL_CPU ? "met" : "MISSED"})`,
  );
  console.log(
    `goal zero Application/object writes: ${writesTo(delta, ["applications", "configmaps"])} (${writesTo(delta, ["applications", "configmaps"]) === 0 ? "met" : "MISSED"})`,
  );
});
