// The benchmarks' quick modes, in CI: each runs as its own process against this run's control
// plane (TETHER_KUBECONFIG) and must finish and print well-formed figures. No thresholds: timings
// on a shared CI machine are not a verdict (docs/performance.md holds the full-mode figures).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { describe, test } from "node:test";
import { repoRoot } from "../../src/toolchain/components.js";
import { testEnv } from "../helpers/environment.js";

const NUMBER = String.raw`\d+(?:\.\d+)?`;

/** Runs `bench/<name>/main.ts` with `args`; resolves with stdout, rejects with the output on failure. */
function runBench(name: string, args: string[], timeoutMs: number): Promise<string> {
  const env = { ...process.env, TETHER_KUBECONFIG: testEnv.kubeconfig };
  const child = spawn(process.execPath, ["--import", "tsx", `bench/${name}/main.ts`, ...args], {
    cwd: repoRoot,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c: Buffer) => (stdout += c.toString("utf8")));
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString("utf8")));
  return new Promise((resolve, reject) => {
    // SIGINT first: the bench stops, prints what it has and cleans up what it created.
    const timer = setTimeout(() => child.kill("SIGINT"), timeoutMs);
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      if (process.env["TETHER_TEST_VERBOSE"]) process.stderr.write(stdout);
      if (code === 0 && !stderr.includes("bench: SIG")) resolve(stdout);
      else reject(new Error(`bench ${name} exited (${code ?? signal}):\n${stdout}\n${stderr.slice(-4000)}`));
    });
  });
}

function assertLines(output: string, patterns: readonly RegExp[]): void {
  for (const pattern of patterns) assert.match(output, pattern);
  assert.doesNotMatch(output, /NaN/, "every figure is a number");
}

describe("benchmarks, quick mode", { concurrency: 2 }, () => {
  test("drift", async () => {
    const out = await runBench("drift", ["--trials", "3"], 180_000);
    assertLines(out, [
      new RegExp(`scale sent → replicas back \\(figure\\)\\s+p50 ${NUMBER} ms`),
      new RegExp(`SSA apply PATCH \\(no-op write\\)\\s+p50 ${NUMBER} ms`),
    ]);
  });

  test("commit-to-applied", async () => {
    const out = await runBench("commit-to-applied", ["--trials", "3"], 180_000);
    assertLines(out, [new RegExp(`push start → spec.replicas \\(figure\\)\\s+p50 ${NUMBER} ms`)]);
  });

  test("initial-sync", async () => {
    const out = await runBench("initial-sync", ["--quick"], 240_000);
    assertLines(out, [
      new RegExp(`raw SSA client \\(concurrency 4\\):\\s+${NUMBER} ms\\s+${NUMBER} objects/s`),
      new RegExp(`tether \\(controller ready → all Synced\\):\\s+${NUMBER} ms\\s+${NUMBER} objects/s`),
      new RegExp(`ratio tether/raw SSA: ${NUMBER}`),
    ]);
  });

  test("ha", async () => {
    // Three first syncs (unsharded, one replica, three) and two failovers: longer than the others.
    const out = await runBench("ha", ["--quick"], 420_000);
    assertLines(out, [
      new RegExp(`1, unsharded\\s+first ready → all Synced ${NUMBER} ms`),
      new RegExp(`1 replica\\s+first ready → all Synced ${NUMBER} ms`),
      new RegExp(`3 replicas\\s+first ready → all Synced ${NUMBER} ms`),
      new RegExp(`ratio 3 replicas / 1 replica \\(first ready → all Synced\\): ${NUMBER}`),
      new RegExp(`ratio 1 replica sharded / unsharded \\(the per-app claims\\): ${NUMBER}`),
      /rebalances seen \(tether_shard_rebalances_total\) by the replicas alive at the end: \S+ \d+/,
      new RegExp(`failover after SIGKILL \\(lease 3 s\\): kill → drift repaired\\s+p50 ${NUMBER} ms`),
      new RegExp(`failover after SIGKILL \\(lease 3 s\\): kill → all its apps held\\s+p50 ${NUMBER} ms`),
    ]);
  });

  test("large-app", async () => {
    const out = await runBench("large-app", ["--quick"], 240_000);
    assertLines(out, [
      new RegExp(`raw SSA client \\(concurrency 1\\):\\s+${NUMBER} ms`),
      new RegExp(`tether \\(controller ready → Synced\\):\\s+${NUMBER} ms`),
      new RegExp(`goal time to Synced < 30000 ms: ${NUMBER} ms`),
    ]);
  });

  test("steady-state", async () => {
    const out = await runBench("steady-state", ["--quick"], 240_000);
    assertLines(out, [
      new RegExp(`controller RSS: mean ${NUMBER} MiB, max ${NUMBER} MiB`),
      new RegExp(`controller CPU: ${NUMBER} % of a core`),
      /writes during the window \(apiserver counts, all clients\): applications \d+, configmaps \d+/,
      new RegExp(`apiserver requests/min with the controller: ${NUMBER}`),
    ]);
  });

  test("webhook-storm", async () => {
    const out = await runBench("webhook-storm", ["--quick"], 300_000);
    assertLines(out, [
      /webhook responses: (\d+×\d+)(, \d+×\d+)*/,
      new RegExp(`after the storm, last push → all Synced at it: ${NUMBER} ms`),
      /apps not Synced at the newest commit: \d+/,
      new RegExp(`controller RSS: max sampled ${NUMBER} MiB`),
    ]);
  });
});
