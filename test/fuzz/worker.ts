// One property of the long fuzz run, in a worker thread so that main.ts can stop it when a case
// hangs (a synchronous hang cannot be interrupted from the thread it blocks).
import { parentPort, workerData } from "node:worker_threads";
import fc from "fast-check";
import { FUZZ_PROPERTIES } from "./properties.js";

export interface WorkerTask {
  name: string;
  seed: number;
  numRuns: number;
  timeMs: number;
}

export interface WorkerReport {
  name: string;
  seed: number;
  numRuns: number;
  interrupted: boolean;
  failure?: { path: string; error: string; counterexample: string };
}

const task = workerData as WorkerTask;
const fuzz = FUZZ_PROPERTIES.find((p) => p.name === task.name);
if (!fuzz) throw new Error(`no fuzz property named "${task.name}"`);

const details = await fc.check(fuzz.property(), {
  seed: task.seed,
  numRuns: task.numRuns,
  interruptAfterTimeLimit: task.timeMs,
  markInterruptAsFailure: false,
});
const report: WorkerReport = {
  name: task.name,
  seed: task.seed,
  numRuns: details.numRuns,
  interrupted: details.interrupted,
  ...(details.failed
    ? {
        failure: {
          path: details.counterexamplePath ?? "",
          error: String(details.errorInstance).slice(0, 2_000),
          counterexample: (JSON.stringify(details.counterexample) ?? "").slice(0, 4_000),
        },
      }
    : {}),
};
parentPort?.postMessage(report);
