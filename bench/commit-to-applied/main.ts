// Commit-to-applied benchmark: how long from `git push` to the cluster running the commit? Each
// trial commits a new replica count (alternating 3 and 2), pushes, and at once sets the refresh
// annotation as a Git webhook would; a watch measures until the Deployment's spec.replicas has the
// new value, and until the Application's status.sync.revision names the pushed commit.
//   npx tsx bench/commit-to-applied/main.ts [--trials 50] [--quick] [--verbose]
// The poll interval is set to 60 s so every trial measures the webhook path, not polling.
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { git } from "../../src/engine/source/gitcli.js";
import { helloDeployment } from "../../src/localcluster/demo.js";
import { benchArgs, runBench } from "../lib/run.js";
import { formatCounts, formatSummary, goalLine, percentile } from "../lib/stats.js";
import {
  controllerQuiet,
  DEMO_PATH,
  DEPLOYMENT,
  rolledOut,
  startTetherBench,
  syncedHealthy,
} from "../lib/tether.js";

const INITIAL_REPLICAS = 2;
const BASELINE_ROUNDS = 30;
const GOAL_P50_MS = 2_000;

interface Trial {
  readonly replicas: number;
  /** Local `git commit` (not part of the figure: it happens before anything leaves the laptop). */
  readonly commitMs: number;
  readonly pushMs: number;
  /** Push started → refresh annotation PATCH returned. */
  readonly refreshedMs: number;
  /** Push started → spec.replicas at the new value (the figure). */
  readonly appliedMs: number;
  /** Push started → status.sync.revision is the pushed commit. */
  readonly revisionMs: number;
  /** A fetch of the new commit into a second clone, after the trial (what Tether's mirror must do). */
  readonly fetchMs: number;
  readonly dryRuns: number;
  readonly reconciles: number;
}

const elapsed = async (work: () => Promise<unknown>) => {
  const t = performance.now();
  await work();
  return performance.now() - t;
};

runBench(async (run) => {
  const args = benchArgs(50, 10);
  const progress = (line: string) => process.stderr.write(`# ${line}\n`);
  const bench = await startTetherBench({
    run,
    apps: 1,
    replicas: INITIAL_REPLICAS,
    pollIntervalMs: 60_000,
    progress,
  });
  const { controller, deployments, applications, workspace } = bench;
  const app = bench.apps[0];
  if (!app) throw new Error("no app");
  const quiet = () => controllerQuiet(controller, { quietMs: 300, timeoutMs: 30_000, signal: run.signal });
  await quiet();

  // A second clone stands in for Tether's mirror in the fetch baseline.
  const scratch = await fs.mkdtemp(path.join(os.tmpdir(), "tether-bench-fetch-"));
  run.defer("remove the fetch clone", () => fs.rm(scratch, { recursive: true, force: true }));
  await git(["clone", "--quiet", "--bare", bench.repoURL, scratch]);

  progress(`baseline: ${BASELINE_ROUNDS} bare \`git ls-remote\` calls`);
  const lsRemoteMs: number[] = [];
  for (let i = 0; i < BASELINE_ROUNDS && !run.interrupted; i++) {
    lsRemoteMs.push(await elapsed(() => git(["ls-remote", bench.repoURL])));
  }

  const trials: Trial[] = [];
  progress(`${args.trials} commit → applied trials`);
  await run.trials(args.trials, async (i) => {
    const replicas = i % 2 === 0 ? INITIAL_REPLICAS + 1 : INITIAL_REPLICAS;
    await workspace.write({ [`${DEMO_PATH}/deployment.yaml`]: helloDeployment(replicas) });
    let sha = "";
    const commitMs = await elapsed(
      async () => (sha = await workspace.commit(`bench: hello to ${replicas} replicas (trial ${i + 1})`)),
    );
    const g0 = deployments.get(app.namespace, DEPLOYMENT)?.metadata?.generation ?? 0;
    const opts = { timeoutMs: 60_000, signal: run.signal };
    const applied = deployments.next(
      app.namespace,
      DEPLOYMENT,
      (d) => (d.metadata?.generation ?? 0) > g0 && d.spec?.replicas === replicas,
      { ...opts, what: `spec.replicas ${replicas}` },
    );
    const revision = applications.next(
      bench.appNamespace,
      app.name,
      (a) => a.status?.sync?.revision === sha,
      { ...opts, what: `status.sync.revision ${sha.slice(0, 7)}` },
    );
    const dry0 = controller.comparer.dryRuns;
    const q0 = controller.queue.processed;
    const started = performance.now();
    await workspace.push();
    const pushed = performance.now();
    await bench.refresh(app);
    const refreshed = performance.now();
    const appliedAt = (await applied).at;
    const revisionAt = (await revision).at;
    await deployments.until(app.namespace, DEPLOYMENT, (d) => rolledOut(d, replicas), {
      ...opts,
      what: `rolled out at ${replicas}`,
    });
    await applications.until(bench.appNamespace, app.name, (a) => syncedHealthy(a, sha), {
      ...opts,
      what: "Synced and Healthy at the commit",
    });
    await quiet();
    const fetchMs = await elapsed(() =>
      git(["fetch", "--quiet", "origin", "+refs/heads/*:refs/heads/*"], { cwd: scratch }),
    );
    trials.push({
      replicas,
      commitMs,
      pushMs: pushed - started,
      refreshedMs: refreshed - started,
      appliedMs: appliedAt - started,
      revisionMs: revisionAt - started,
      fetchMs,
      dryRuns: controller.comparer.dryRuns - dry0,
      reconciles: controller.queue.processed - q0,
    });
    if (args.verbose)
      progress(
        `trial ${i + 1}: → ${replicas}: applied ${(appliedAt - started).toFixed(1)} ms, revision ${(revisionAt - started).toFixed(1)} ms`,
      );
  });

  const applied = trials.map((t) => t.appliedMs);
  const after = (f: (t: Trial) => number) => trials.map(f);
  console.log("");
  console.log(`commit → applied (push + refresh annotation, as a webhook; poll interval 60 s)`);
  console.log(
    `trials: ${trials.length}${run.interrupted ? " (interrupted: partial)" : ""}, replicas alternating ${INITIAL_REPLICAS + 1}/${INITIAL_REPLICAS}`,
  );
  console.log(formatSummary("push start → spec.replicas (figure)", applied));
  console.log(
    formatSummary(
      "push start → status.sync.revision",
      after((t) => t.revisionMs),
      38,
    ),
  );
  console.log(
    formatSummary(
      "push start → push done",
      after((t) => t.pushMs),
      38,
    ),
  );
  console.log(
    formatSummary(
      "push start → refresh PATCH done",
      after((t) => t.refreshedMs),
      38,
    ),
  );
  console.log(
    formatSummary(
      "refresh PATCH done → spec.replicas",
      after((t) => t.appliedMs - t.refreshedMs),
    ),
  );
  console.log(
    formatSummary(
      "spec.replicas → status.sync.revision",
      after((t) => t.revisionMs - t.appliedMs),
    ),
  );
  console.log(
    formatSummary(
      "local git commit (not in the figure)",
      after((t) => t.commitMs),
      38,
    ),
  );
  console.log(
    formatCounts(
      "dry-runs per trial (until quiet)",
      after((t) => t.dryRuns),
      38,
    ),
  );
  console.log(
    formatCounts(
      "reconciles per trial (until quiet)",
      after((t) => t.reconciles),
      38,
    ),
  );
  console.log(`baseline, same run, same Git server (no Tether in the path):`);
  console.log(
    formatSummary(
      "  git push (the trials' own pushes)",
      after((t) => t.pushMs),
      38,
    ),
  );
  console.log(formatSummary(`  bare git ls-remote (${lsRemoteMs.length} calls)`, lsRemoteMs));
  console.log(
    formatSummary(
      "  git fetch of one new commit",
      after((t) => t.fetchMs),
      38,
    ),
  );
  const p50 = percentile(applied, 50);
  console.log(goalLine("p50", p50, GOAL_P50_MS));
  const refreshP50 = percentile(
    after((t) => t.refreshedMs),
    50,
  );
  console.log(
    `Tether's share of the p50 (after the push and the refresh PATCH): ${(p50 - refreshP50).toFixed(1)} ms`,
  );
  if (args.verbose) process.stderr.write(bench.log.join("\n") + "\n");
});
