// `npm run fuzz`: the long mode of the parser fuzzers. Runs every property of properties.ts (the
// same ones the unit suite runs a few hundred cases of) for a time budget or a number of cases,
// from a random seed it prints, one worker thread per property so a hanging case is stopped and
// reported instead of stalling the run. Exits 1 when any property failed.
//   npm run fuzz                           10 minutes in all, split evenly over the properties
//   npm run fuzz -- --minutes 60           an hour
//   npm run fuzz -- --runs 1000000         a million cases per property (no time limit)
//   npm run fuzz -- --only webhook         only properties whose name contains "webhook"
//   npm run fuzz -- --seed 42 --only cel   replay: the seed a failure printed
//   npm run fuzz -- --record fuzz.json     also write the per-property figures as JSON
import fs from "node:fs";
import { parseArgs } from "node:util";
import { Worker } from "node:worker_threads";
import { FUZZ_PROPERTIES } from "./properties.js";
import type { WorkerReport, WorkerTask } from "./worker.js";

const { values } = parseArgs({
  options: {
    minutes: { type: "string", default: "10" },
    runs: { type: "string" },
    seed: { type: "string" },
    only: { type: "string" },
    record: { type: "string" },
  },
});

const selected = FUZZ_PROPERTIES.filter((p) => !values.only || p.name.includes(values.only));
if (selected.length === 0) throw new Error(`no fuzz property matches --only ${values.only}`);
const seed = values.seed !== undefined ? Number(values.seed) : Math.floor(Math.random() * 2 ** 31);
const numRuns = values.runs !== undefined ? Number(values.runs) : Number.MAX_SAFE_INTEGER;
const timeMs = values.runs !== undefined ? 2 ** 31 - 1 : (Number(values.minutes) * 60_000) / selected.length;
/**
 * A worker that has burnt this much CPU past its budget without answering is stuck in one case.
 * CPU, not wall time: at `nice 19` on a busy machine a worker can wait minutes for a core, and a
 * wall-clock watchdog took that starvation for a hang.
 */
const HANG_GRACE_MS = 60_000;

const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1_000;
};

// The worker is TypeScript too: Node 20 applies no --import loader to a worker's entry file, so a
// small script loads it through tsx's API.
const WORKER_URL = new URL("./worker.ts", import.meta.url).href;
const WORKER_BOOT = `import("tsx/esm/api").then((api) => api.tsImport(${JSON.stringify(WORKER_URL)}, ${JSON.stringify(WORKER_URL)}))`;

const print = (line: string) => process.stdout.write(`${line}\n`);

function runOne(name: string, limitMs: number): Promise<WorkerReport> {
  const task: WorkerTask = { name, seed, numRuns, timeMs };
  const worker = new Worker(WORKER_BOOT, { eval: true, workerData: task });
  const cpuAtStart = cpuMs();
  return new Promise((resolve) => {
    const watchdog = setInterval(() => {
      if (cpuMs() - cpuAtStart < Math.min(timeMs, 2 ** 40) + HANG_GRACE_MS) return;
      clearInterval(watchdog);
      void worker.terminate();
      const error = `hung: ${HANG_GRACE_MS / 1000} s of CPU past its budget without an answer (a case over ${limitMs} ms never returned)`;
      resolve({
        name,
        seed,
        numRuns: 0,
        interrupted: true,
        failure: { path: "", error, counterexample: "" },
      });
    }, 5_000);
    worker.once("message", (report: WorkerReport) => {
      clearInterval(watchdog);
      void worker.terminate();
      resolve(report);
    });
    worker.once("error", (error) => {
      clearInterval(watchdog);
      resolve({
        name,
        seed,
        numRuns: 0,
        interrupted: false,
        failure: { path: "", error: `worker crashed: ${String(error)}`, counterexample: "" },
      });
    });
  });
}

print(
  `fuzz: ${selected.length} properties, seed ${seed}, ${values.runs !== undefined ? `${numRuns} cases each` : `${Math.round(timeMs / 1000)} s each`}`,
);
const reports: (WorkerReport & { seconds: number })[] = [];
for (const fuzz of selected) {
  const started = performance.now();
  const report = await runOne(fuzz.name, fuzz.limitMs);
  const seconds = (performance.now() - started) / 1000;
  reports.push({ ...report, seconds });
  const rate = Math.round(report.numRuns / Math.max(seconds, 0.001));
  print(
    `${report.failure ? "FAIL" : "ok  "} ${fuzz.name}: ${report.numRuns.toLocaleString("en")} cases in ${seconds.toFixed(0)} s (${rate}/s)`,
  );
  if (report.failure) {
    print(`     ${report.failure.error.split("\n").slice(0, 6).join("\n     ")}`);
    print(`     counterexample: ${report.failure.counterexample.slice(0, 1_000)}`);
    print(
      `     replay: npm run fuzz -- --seed ${seed} --only "${fuzz.name}"  (fast-check path ${report.failure.path})`,
    );
  }
}
const total = reports.reduce((sum, r) => sum + r.numRuns, 0);
const failed = reports.filter((r) => r.failure);
print(
  `fuzz: ${total.toLocaleString("en")} cases in all, ${failed.length} of ${reports.length} properties failed, seed ${seed}`,
);
if (values.record) fs.writeFileSync(values.record, `${JSON.stringify({ seed, reports }, null, 2)}\n`);
process.exit(failed.length > 0 ? 1 : 0);
