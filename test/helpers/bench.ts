// Runs a benchmark's quick mode as its own process against this run's control plane
// (TETHER_KUBECONFIG), for test/bench: resolves with its stdout when it exits 0.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { repoRoot } from "../../src/toolchain/components.js";
import { testEnv } from "./environment.js";

export const NUMBER = String.raw`\d+(?:\.\d+)?`;

/** Runs `bench/<name>/main.ts` with `args`; resolves with stdout, rejects with the output on failure. */
export function runBench(name: string, args: string[], timeoutMs: number): Promise<string> {
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

export function assertLines(output: string, patterns: readonly RegExp[]): void {
  for (const pattern of patterns) assert.match(output, pattern);
  assert.doesNotMatch(output, /NaN/, "every figure is a number");
}
