// Soak (issue 23): N apps × M ConfigMaps (one monorepo, app i renders apps/app-i) for a long run,
// with a Git commit every minute changing a few apps' objects, a drift every 10 s (an edit, a
// patch or a delete of a managed object, as kubectl does them) and a webhook storm every 15
// minutes (bench/webhook-storm's sender). The controller's RSS (/proc), JS heap used, event-loop
// delay p99, active handles (its own /metrics) and the apiserver's requests per minute are sampled
// at a fixed period; their slopes per hour are least-squares fits over the samples after a warm-up
// (the first twelfth of the run: 10 minutes of 2 hours). Fails (exit 1) on a stuck app (not Synced
// at the newest commit within --bound seconds of the end) or a lost object (missing, or a drift
// not repaired, by then). Goals: heap slope < 5 MiB/h after the warm-up; event-loop p99 < 100 ms.
//   npm run bench -- soak [--apps 1000] [--objects 10] [--minutes 120] [--commit 60] [--drift 10]
//     [--storm 900] [--rate 100] [--seconds 30] [--sample 10] [--poll 60] [--bound 300] [--quick]
// Objects are ConfigMaps (no scale subresource), so a drift is an edit (GET + PUT), a JSON patch
// (kubectl patch) or a delete, in turn. The commits are pushed without a webhook (the controller
// finds them by polling, as an install without webhooks does); the storms deliver one per push.
import { execFile } from "node:child_process";
import { setTimeout as delay } from "node:timers/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { errorStatus } from "../../src/kube/client.js";
import { errorMessage } from "../../src/lib/errormessage.js";
import { apiserverRequests, totalRequests } from "../lib/apiserver.js";
import { metricSum, runtimeLine } from "../lib/controllerprocess.js";
import { configMapManifest, fleetArgs, startFleet, synced } from "../lib/fleet.js";
import { runBench } from "../lib/run.js";
import { percentile, slope } from "../lib/stats.js";
import { buildCommits, startWebhookReceiver, stormInWorker } from "../lib/storm.js";

const MiB = 1024 * 1024;
const GOAL_HEAP_MIB_PER_H = 5;
const GOAL_LAG_P99_MS = 100;
/** Share of the apps a regular commit changes (one object each), at least one. */
const COMMIT_SHARE = 0.02;
const DRIFTS = ["edit", "patch", "delete"] as const;

interface Sample {
  /** Seconds since the soak began. */
  readonly t: number;
  readonly rss: number;
  readonly heap: number;
  readonly lagP99: number;
  readonly handles: number;
  /** apiserver_request_total, all clients. */
  readonly requests: number;
}

runBench(async (run) => {
  const args = fleetArgs(
    {
      apps: 1000,
      objects: 10,
      minutes: 120,
      commit: 60,
      drift: 10,
      storm: 900,
      rate: 100,
      seconds: 30,
      sample: 10,
      poll: 60,
      bound: 300,
    },
    {
      apps: 50,
      objects: 5,
      minutes: 2,
      commit: 20,
      drift: 5,
      storm: 60,
      rate: 10,
      seconds: 5,
      sample: 2,
      poll: 10,
      bound: 90,
    },
  );
  const { apps: appCount = 0, objects = 0, minutes = 0, commit = 1, drift = 1, storm = 1 } = args.n;
  const { rate = 0, seconds = 0, sample = 1, poll = 60, bound = 0 } = args.n;
  if (appCount < 1 || objects < 1 || commit < 1 || drift < 1 || storm < 1 || sample < 1)
    throw new Error("--apps, --objects, --commit, --drift, --storm and --sample must be at least 1");
  const progress = (line: string) => process.stderr.write(`# ${line}\n`);
  const fleet = await startFleet({
    run,
    apps: appCount,
    objectsPerApp: objects,
    layout: "own",
    runtime: args.runtime,
    progress,
  });
  const { apps, workspace } = fleet;
  const file = (i: number, j: number) => `${apps[i]?.path}/cm-${j}.yaml`;
  // What Git says each object's data.generation is: the end state every object must reach.
  const generations = apps.map(() => Array.from({ length: objects }, () => 0));
  let nextGeneration = 1;

  await fleet.createApplications();
  const logFile = path.join(os.tmpdir(), `tether-soak-controller-${process.pid}.log`);
  const controller = fleet.startController({ pollInterval: `${poll}s`, logFile });
  progress(`controller log: ${logFile}`);
  await controller.started;
  progress(`waiting for ${appCount} app(s) to be Synced`);
  await fleet.waitAll("initial sync", synced(fleet.initialCommit), 1_800_000);
  const webhooks = await startWebhookReceiver(run, fleet);

  const durationS = minutes * 60;
  const warmupS = durationS / 12;
  const start = performance.now();
  const end = start + durationS * 1000;
  const elapsedS = () => (performance.now() - start) / 1000;
  // Each loop acts at start + k·period until the end; an action that overruns delays the next.
  const every = async (periodS: number, action: (k: number) => Promise<void>) => {
    for (let k = 1; start + k * periodS * 1000 < end && !run.interrupted; k++) {
      await delay(Math.max(0, start + k * periodS * 1000 - performance.now()));
      if (run.interrupted) return;
      await action(k);
    }
  };

  // Commits and storms both move main: one at a time.
  let head = fleet.initialCommit;
  let gitTurn = Promise.resolve();
  const withGit = (step: () => Promise<void>) => {
    const next = gitTurn.then(step);
    gitTurn = next.catch(() => undefined);
    return next;
  };
  let commits = 0;
  let commitCursor = 0;
  const commitLoop = every(commit, (k) =>
    withGit(async () => {
      const files: Record<string, string> = {};
      const changes: [number, number, number][] = [];
      for (let n = 0; n < Math.max(1, Math.round(appCount * COMMIT_SHARE)); n++) {
        const i = commitCursor++ % appCount;
        const j = k % objects;
        const generation = nextGeneration++;
        files[file(i, j)] = configMapManifest(`cm-${j}`, generation);
        changes.push([i, j, generation]);
      }
      head = await workspace.commitAndPush(files, `soak: commit ${k}`);
      for (const [i, j, generation] of changes) (generations[i] as number[])[j] = generation;
      commits += 1;
    }),
  );

  const storms: { pushes: number; ms: number; responses: [number, number][] }[] = [];
  let stormCursor = 0;
  const stormLoop = every(storm, (k) =>
    withGit(async () => {
      const pushes = rate * seconds;
      const targets = Array.from({ length: pushes }, () => [stormCursor++ % appCount, nextGeneration++]);
      const changes = targets.map(([i = 0, g = 0]) => ({ [file(i, 0)]: configMapManifest("cm-0", g) }));
      const branch = `storm-${k}`;
      const shas = await buildCommits(workspace.dir, head, changes, branch);
      await promisify(execFile)("git", ["push", "--quiet", "origin", branch], { cwd: workspace.dir });
      progress(`storm ${k}: ${pushes} pushes at ${rate}/s`);
      const outcome = await stormInWorker(run, {
        ...webhooks,
        // The sender moves main to shas[1..pushes]: index 0 is main before the storm.
        shas: [head, ...shas],
        changedFiles: [[], ...changes.map((c) => Object.keys(c))],
        rate,
        pushes,
        before: head,
      });
      head = outcome.before;
      await workspace.resetHard(head);
      for (const [i = 0, g = 0] of targets) (generations[i] as number[])[0] = g;
      storms.push({ pushes, ms: outcome.stormMs, responses: outcome.responses });
    }),
  );

  const drifts = { edit: 0, patch: 0, delete: 0, skipped: 0, failed: 0 };
  const driftLoop = every(drift, async (k) => {
    const i = k % appCount;
    const name = `cm-${Math.floor(k / appCount) % objects}`;
    const namespace = apps[i]?.namespace ?? "";
    const kind = DRIFTS[k % DRIFTS.length] ?? "edit";
    const { core } = fleet.clients;
    try {
      if (kind === "edit") {
        const cm = await core.readNamespacedConfigMap({ name, namespace });
        cm.data = { ...cm.data, generation: `drifted-${k}` };
        await core.replaceNamespacedConfigMap({ name, namespace, body: cm });
      } else if (kind === "patch")
        await core.patchNamespacedConfigMap({
          name,
          namespace,
          body: [{ op: "replace", path: "/data/generation", value: `drifted-${k}` }],
        });
      else await core.deleteNamespacedConfigMap({ name, namespace });
      drifts[kind] += 1;
    } catch (error) {
      // Being re-created or re-applied at that moment (404, 409): the next drift goes elsewhere.
      // An apiserver that drops the request under a storm's load (no status, 429, 5xx) is the
      // bench's failure to drift, not the controller's: counted and printed, the soak goes on.
      const status = errorStatus(error);
      if (status === 404 || status === 409) drifts.skipped += 1;
      else if (status === undefined || status === 429 || status >= 500) {
        drifts.failed += 1;
        progress(`drift ${k} (${kind} of ${namespace}/${name}) not made: ${errorMessage(error)}`);
      } else throw error;
    }
  });

  const samples: Sample[] = [];
  // A scrape that fails while the controller runs (its event loop too busy to answer within the
  // timeout) is counted and printed, not fatal; a controller that is gone ends the soak, saying how.
  let missedScrapes = 0;
  const takeSample = async () => {
    const ended = () => controller.ended();
    const scrape = await Promise.all([
      controller.sample(),
      controller.metrics(),
      apiserverRequests(fleet.clients.config),
    ]).catch((error: unknown) => {
      const how = ended();
      if (how) throw new Error(`the controller ended (${how}):\n${controller.log().slice(-4000)}`);
      missedScrapes += 1;
      const cause = error instanceof Error && error.cause ? ` (${errorMessage(error.cause)})` : "";
      progress(`sample at ${Math.round(elapsedS())} s missed: ${errorMessage(error)}${cause}`);
      return undefined;
    });
    if (!scrape) return;
    const [proc, text, requests] = scrape;
    samples.push({
      t: elapsedS(),
      rss: proc.rssBytes,
      heap: metricSum(text, "nodejs_heap_size_used_bytes"),
      lagP99: metricSum(text, "nodejs_eventloop_lag_p99_seconds"),
      handles: metricSum(text, "nodejs_active_handles_total"),
      requests: totalRequests(requests),
    });
  };
  progress(
    `soak: ${durationS} s; commit every ${commit} s, drift every ${drift} s, storm every ${storm} s, sample every ${sample} s`,
  );
  await takeSample(); // also resets the event-loop histogram: the initial sync is not counted
  await Promise.all([commitLoop, stormLoop, driftLoop, every(sample, takeSample)]);
  await takeSample();

  // The end: every app Synced at the newest commit, every object as Git says, within the bound.
  progress(`waiting up to ${bound} s for every app at ${head.slice(0, 8)} and every object repaired`);
  const deadline = performance.now() + bound * 1000;
  let stuck = 0;
  const endedAt = performance.now();
  let convergedS: number | undefined;
  try {
    await fleet.waitAll("after the last commit", synced(head), bound * 1000);
    convergedS = (performance.now() - endedAt) / 1000;
  } catch {
    stuck = appCount - fleet.count(synced(head));
    // Why: the first few stuck apps as their status says (revision, sync, operation, conditions).
    const shown = apps
      .map((a) => fleet.applications.get(fleet.appNamespace, a.name))
      .filter((a) => a !== undefined && !synced(head)(a))
      .slice(0, 5);
    for (const a of shown) {
      const s = a?.status;
      const conditions = (s?.conditions ?? []).map((c) => `${c.type}/${c.reason}: ${c.message}`).join("; ");
      progress(
        `stuck ${a?.metadata.name}: ${s?.sync?.status} at ${s?.sync?.revision?.slice(0, 8)}, reconciled ${s?.reconciledAt}, operation ${s?.operationState?.phase} at ${s?.operationState?.revision?.slice(0, 8)}${conditions ? `, ${conditions}` : ""}`,
      );
    }
  }
  const check = async () => {
    const list = await fleet.clients.core.listConfigMapForAllNamespaces({ labelSelector: "bench=fleet" });
    const seen = new Map(
      list.items.map((cm) => [`${cm.metadata?.namespace}/${cm.metadata?.name}`, cm.data?.["generation"]]),
    );
    const found = { missing: 0, drifted: 0, stale: 0 };
    for (const [i, app] of apps.entries())
      for (let j = 0; j < objects; j++) {
        const value = seen.get(`${app.namespace}/cm-${j}`);
        if (value === undefined) found.missing += 1;
        else if (value.startsWith("drifted")) found.drifted += 1;
        else if (value !== String(generations[i]?.[j])) found.stale += 1;
      }
    return found;
  };
  let objectsAtEnd = await check();
  while (
    objectsAtEnd.missing + objectsAtEnd.drifted + objectsAtEnd.stale > 0 &&
    performance.now() < deadline
  ) {
    await delay(2_000);
    objectsAtEnd = await check();
  }
  const alive = controller.running();

  const hours = (s: Sample) => s.t / 3600;
  const after = samples.filter((s) => s.t >= warmupS);
  const fit = (value: (s: Sample) => number) => slope(after.map((s) => [hours(s), value(s)] as const));
  const perMinute = samples.slice(1).map((s, n) => {
    const before = samples[n] as Sample;
    return { t: s.t, value: ((s.requests - before.requests) / (s.t - before.t)) * 60 };
  });
  const heapSlope = fit((s) => s.heap / MiB);
  const lags = samples.slice(1).map((s) => s.lagP99 * 1000);
  const lagP99 = percentile(lags, 99);
  const f = (v: number, digits = 2) => (Number.isFinite(v) ? v.toFixed(digits) : "-");
  const first = samples[0] as Sample;
  const last = samples[samples.length - 1] as Sample;
  const responses = new Map<number, number>();
  for (const s of storms)
    for (const [code, n] of s.responses) responses.set(code, (responses.get(code) ?? 0) + n);

  console.log("");
  console.log(runtimeLine(args.runtime));
  console.log(
    `soak: ${appCount} apps × ${objects} ConfigMaps for ${f(elapsedS() / 60, 1)} min; commit every ${commit} s, drift every ${drift} s, storm every ${storm} s (${rate}/s for ${seconds} s), poll ${poll} s`,
  );
  console.log(
    `done: ${commits} commits, ${drifts.edit + drifts.patch + drifts.delete} drifts (edit ${drifts.edit}, patch ${drifts.patch}, delete ${drifts.delete}, skipped ${drifts.skipped}, not made ${drifts.failed}), ${storms.length} storms (${storms.reduce((a, s) => a + s.pushes, 0)} pushes; responses ${[...responses].map(([code, n]) => `${code}×${n}`).join(", ") || "none"})`,
  );
  console.log(
    `samples: ${samples.length} every ${sample} s; slopes fitted over ${after.length} after a ${f(warmupS / 60, 1)} min warm-up`,
  );
  console.log(
    `controller RSS: ${f(first.rss / MiB, 1)} → ${f(last.rss / MiB, 1)} MiB, slope ${f(fit((s) => s.rss / MiB))} MiB/h`,
  );
  console.log(
    `controller heap used: ${f(first.heap / MiB, 1)} → ${f(last.heap / MiB, 1)} MiB, slope ${f(heapSlope)} MiB/h`,
  );
  console.log(
    `controller active handles: ${first.handles} → ${last.handles}, slope ${f(fit((s) => s.handles))} /h`,
  );
  console.log(
    `controller event-loop delay p99 (per ${sample} s sample): p99 ${f(lagP99, 1)} ms, max ${f(Math.max(...lags), 1)} ms, slope ${f(fit((s) => s.lagP99 * 1000))} ms/h`,
  );
  console.log(
    `apiserver requests/min (all clients): mean ${f(perMinute.reduce((a, p) => a + p.value, 0) / perMinute.length, 1)}, slope ${f(slope(perMinute.filter((p) => p.t >= warmupS).map((p) => [p.t / 3600, p.value] as const)), 1)} /min per h`,
  );
  console.log(
    `apps stuck (not Synced at the newest commit within ${bound} s): ${stuck}${convergedS === undefined ? "" : ` (all Synced at it ${f(convergedS, 1)} s after the soak's end)`}`,
  );
  console.log(
    `objects lost (missing or drift not repaired within ${bound} s): ${objectsAtEnd.missing + objectsAtEnd.drifted} (missing ${objectsAtEnd.missing}, drifted ${objectsAtEnd.drifted}); not at Git's generation: ${objectsAtEnd.stale}`,
  );
  console.log(`controller still running: ${alive ? "yes" : "NO"}`);
  console.log(
    `metrics scrapes missed (controller too busy to answer): ${missedScrapes} of ${samples.length + missedScrapes}`,
  );
  console.log(
    `goal heap slope < ${GOAL_HEAP_MIB_PER_H} MiB/h after the warm-up: ${f(heapSlope)} MiB/h (${Number.isFinite(heapSlope) ? (heapSlope < GOAL_HEAP_MIB_PER_H ? "met" : "MISSED") : "no data"})`,
  );
  console.log(
    `goal event-loop delay p99 < ${GOAL_LAG_P99_MS} ms: ${f(lagP99, 1)} ms (${Number.isFinite(lagP99) ? (lagP99 < GOAL_LAG_P99_MS ? "met" : "MISSED") : "no data"})`,
  );
  const lost = objectsAtEnd.missing + objectsAtEnd.drifted;
  if (stuck > 0 || lost > 0 || objectsAtEnd.stale > 0 || !alive)
    throw new Error(
      `soak failed: ${stuck} stuck app(s), ${lost} lost object(s), ${objectsAtEnd.stale} object(s) not at Git's generation${alive ? "" : ", the controller exited"}`,
    );
});
