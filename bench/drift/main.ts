// Drift benchmark: how fast does Tether undo an imperative change? Each trial does what
// `kubectl scale deploy/hello --replicas=N` does (a patch of the scale subresource) and measures,
// with a watch, until the Deployment's spec.replicas is back at the Git value.
//   npx tsx bench/drift/main.ts [--trials 50] [--quick] [--verbose]
// Self-heal pauses an object healed 5 times within 120 s (src/controller/selfheal.ts), so the
// trials rotate over several copies of the demo app, each healed at most HEALS_PER_APP times.
import { parse } from "yaml";
import type { V1Deployment } from "@kubernetes/client-node";
import { DRIFT_DEBOUNCE_MS } from "../../src/controller/controller.js";
import { prepareDesired } from "../../src/controller/desired.js";
import { helloDeployment } from "../../src/localcluster/demo.js";
import type { RenderedKubeObject } from "../../src/model/ref.js";
import { benchArgs, runBench } from "../lib/run.js";
import { formatCounts, formatSummary, goalLine, percentile } from "../lib/stats.js";
import {
  type TetherBench,
  controllerQuiet,
  DEMO_PATH,
  DEPLOYMENT,
  rolledOut,
  startTetherBench,
  syncedHealthy,
} from "../lib/tether.js";

const GIT_REPLICAS = 2;
const HEALS_PER_APP = 4;
const BASELINE_ROUNDS = 30;
const GOAL_P50_MS = 1_000;
const GOAL_P99_MS = 2_000;

interface Trial {
  readonly app: string;
  readonly drift: number;
  /** Scale PATCH sent → its response. */
  readonly scaleMs: number;
  /** Scale PATCH sent → our watch sees the drifted replicas. */
  readonly driftSeenMs: number;
  /** Scale PATCH sent → our watch sees spec.replicas back at the Git value (the figure). */
  readonly revertedMs: number;
  readonly dryRunsUntilReverted: number;
  readonly reconcilesUntilReverted: number;
  /** Until the controller went quiet again (follow-up reconciles on status changes included). */
  readonly dryRunsPerTrial: number;
  readonly reconcilesPerTrial: number;
}

/** The raw apiserver cost of what a heal is made of, on the same Deployment, without Tether. */
async function baseline(
  bench: TetherBench,
): Promise<{ applyMs: number[]; dryRunMs: number[]; getMs: number[] }> {
  const app = bench.apps[0];
  if (!app) throw new Error("no app");
  // Exactly the object Tether applies (ownership marks included), so the apply is a no-op write.
  const [desired] = await prepareDesired({
    app: `${bench.appNamespace}/${app.name}`,
    installationId: bench.controller.installationId,
    namespace: app.namespace,
    rendered: [
      {
        object: parse(helloDeployment(GIT_REPLICAS)) as RenderedKubeObject,
        sourceFile: `${DEMO_PATH}/deployment.yaml`,
      },
    ],
    resources: bench.resources,
  });
  if (!desired) throw new Error("prepareDesired returned nothing");
  const rvBefore = bench.deployments.get(app.namespace, DEPLOYMENT)?.metadata?.resourceVersion;
  const applyMs: number[] = [];
  const dryRunMs: number[] = [];
  const getMs: number[] = [];
  for (let i = 0; i < BASELINE_ROUNDS; i++) {
    let t = performance.now();
    await bench.resources.apply(desired.object, { force: true });
    applyMs.push(performance.now() - t);
    t = performance.now();
    await bench.resources.apply(desired.object, { force: true, dryRun: true });
    dryRunMs.push(performance.now() - t);
    t = performance.now();
    await bench.clients.apps.readNamespacedDeployment({ name: DEPLOYMENT, namespace: app.namespace });
    getMs.push(performance.now() - t);
  }
  const live = await bench.clients.apps.readNamespacedDeployment({
    name: DEPLOYMENT,
    namespace: app.namespace,
  });
  if (live.metadata?.resourceVersion !== rvBefore) {
    console.log(
      `note: the baseline apply changed the Deployment (rv ${rvBefore} → ${live.metadata?.resourceVersion})`,
    );
  }
  return { applyMs, dryRunMs, getMs };
}

runBench(async (run) => {
  const args = benchArgs(50, 10);
  const appCount = Math.ceil(args.trials / HEALS_PER_APP);
  const progress = (line: string) => process.stderr.write(`# ${line}\n`);
  const bench = await startTetherBench({
    run,
    apps: appCount,
    replicas: GIT_REPLICAS,
    pollIntervalMs: 60_000,
    progress,
  });
  const { controller, deployments } = bench;
  const quiet = () => controllerQuiet(controller, { quietMs: 300, timeoutMs: 30_000, signal: run.signal });
  await quiet();

  progress(`baseline: ${BASELINE_ROUNDS} rounds of SSA apply / dry-run / GET on the same Deployment`);
  const base = await baseline(bench);

  const trials: Trial[] = [];
  progress(`${args.trials} drift trials over ${appCount} app(s)`);
  await run.trials(args.trials, async (i) => {
    const app = bench.apps[i % bench.apps.length];
    if (!app) throw new Error("no app");
    const drift = i % 2 === 0 ? GIT_REPLICAS - 1 : GIT_REPLICAS + 1;
    const before = deployments.get(app.namespace, DEPLOYMENT);
    const g0 = before?.metadata?.generation ?? 0;
    const opts = { timeoutMs: 30_000, signal: run.signal };
    const driftSeen = deployments.next(app.namespace, DEPLOYMENT, (d) => d.spec?.replicas === drift, {
      ...opts,
      what: "drift visible",
    });
    const reverted = deployments.next(
      app.namespace,
      DEPLOYMENT,
      (d: V1Deployment) => (d.metadata?.generation ?? 0) > g0 && d.spec?.replicas === GIT_REPLICAS,
      { ...opts, what: `spec.replicas back to ${GIT_REPLICAS}` },
    );
    const dry0 = controller.comparer.dryRuns;
    const q0 = controller.queue.processed;
    const sent = performance.now();
    await bench.clients.apps.patchNamespacedDeploymentScale({
      name: DEPLOYMENT,
      namespace: app.namespace,
      body: [{ op: "replace", path: "/spec/replicas", value: drift }],
    });
    const scaled = performance.now();
    const seen = await driftSeen;
    const back = await reverted;
    const dryRunsUntilReverted = controller.comparer.dryRuns - dry0;
    const reconcilesUntilReverted = controller.queue.processed - q0;
    await deployments.until(app.namespace, DEPLOYMENT, (d) => rolledOut(d, GIT_REPLICAS), {
      ...opts,
      timeoutMs: 60_000,
      what: "rolled out again",
    });
    await bench.applications.until(bench.appNamespace, app.name, (a) => syncedHealthy(a), {
      ...opts,
      what: "Synced and Healthy again",
    });
    await quiet();
    trials.push({
      app: app.name,
      drift,
      scaleMs: scaled - sent,
      driftSeenMs: seen.at - sent,
      revertedMs: back.at - sent,
      dryRunsUntilReverted,
      reconcilesUntilReverted,
      dryRunsPerTrial: controller.comparer.dryRuns - dry0,
      reconcilesPerTrial: controller.queue.processed - q0,
    });
    if (args.verbose)
      progress(`trial ${i + 1}: ${app.name} scale→${drift}: reverted in ${(back.at - sent).toFixed(1)} ms`);
  });

  const reverted = trials.map((t) => t.revertedMs);
  console.log("");
  console.log(`drift → reverted (kubectl scale of the demo Deployment; Git says ${GIT_REPLICAS} replicas)`);
  console.log(
    `trials: ${trials.length}${run.interrupted ? " (interrupted: partial)" : ""}, apps: ${appCount}, DRIFT_DEBOUNCE_MS ${DRIFT_DEBOUNCE_MS} ms`,
  );
  console.log(formatSummary("scale sent → replicas back (figure)", reverted));
  console.log(
    formatSummary(
      "scale response → replicas back",
      trials.map((t) => t.revertedMs - t.scaleMs),
    ),
  );
  console.log(
    formatSummary(
      "scale sent → scale response",
      trials.map((t) => t.scaleMs),
    ),
  );
  console.log(
    formatSummary(
      "scale sent → drift seen by a watch",
      trials.map((t) => t.driftSeenMs),
    ),
  );
  console.log(
    formatSummary(
      "drift seen → replicas back",
      trials.map((t) => t.revertedMs - t.driftSeenMs),
    ),
  );
  console.log(
    formatCounts(
      "dry-runs until reverted",
      trials.map((t) => t.dryRunsUntilReverted),
    ),
  );
  console.log(
    formatCounts(
      "reconciles finished before revert",
      trials.map((t) => t.reconcilesUntilReverted),
    ),
  );
  console.log(
    formatCounts(
      "dry-runs per trial (until quiet)",
      trials.map((t) => t.dryRunsPerTrial),
    ),
  );
  console.log(
    formatCounts(
      "reconciles per trial (until quiet)",
      trials.map((t) => t.reconcilesPerTrial),
    ),
  );
  console.log(`baseline, same run, same Deployment (${BASELINE_ROUNDS} rounds, no Tether in the path):`);
  console.log(formatSummary("  SSA apply PATCH (no-op write)", base.applyMs));
  console.log(formatSummary("  SSA apply PATCH dryRun=All", base.dryRunMs));
  console.log(formatSummary("  GET deployment", base.getMs));
  const p50 = percentile(reverted, 50);
  console.log(goalLine("p50", p50, GOAL_P50_MS));
  console.log(goalLine("p99", percentile(reverted, 99), GOAL_P99_MS));
  const floor =
    percentile(
      trials.map((t) => t.driftSeenMs),
      50,
    ) +
    DRIFT_DEBOUNCE_MS +
    percentile(base.applyMs, 50);
  console.log(
    `floor (drift seen + ${DRIFT_DEBOUNCE_MS} ms debounce + one apply, p50s): ${floor.toFixed(1)} ms; Tether's own share of the p50: ${(p50 - floor).toFixed(1)} ms`,
  );
  if (args.verbose) process.stderr.write(bench.log.join("\n") + "\n");
});
