// `npm test`: starts one real control plane and one Git server for the whole run, hands their
// coordinates to the test files through the environment, runs node:test, and always stops what
// it started. If the control plane cannot start, the run fails with the reason.
//   npm test                     all tests
//   npm test -- --unit           pure unit tests only (no cluster)
//   npm test -- <file|dir> …     only these
//   npm test -- --node-lines     only the other Node lines' run (below)
// The whole run (no file named) ends by running the unit suite and NODE_LINES_SLICE again on each
// other Node line the README promises (22 and 24, installed into the cache from the npm registry by
// src/toolchain/noderuntimes.ts), against the same control plane.
// Before browser tests (test/ui, and test/e2e whose in-cluster test opens the UI) it builds the web UI (vite build, which prints the bundle size) and
// makes sure Debian's chromium is installed (scripts/ensure-chromium.ts).
import { spawn } from "node:child_process";
import fs from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { LocalEnvironment } from "../src/localcluster/environment.js";
import { ensureChromium } from "../scripts/ensure-chromium.js";
import type { NodeLine } from "../src/toolchain/noderuntimes.js";
import { NODE_RUNTIMES, ensureNodeRuntime } from "../src/toolchain/noderuntimes.js";

/**
 * Integration files run on every Node line besides the unit suite: the controller's reconcile with
 * hooks and waves, the HTTP API, Git sources over smart HTTP and rendering (Helm, Kustomize).
 */
const NODE_LINES_SLICE = [
  "test/integration/controller-sync-waves.test.ts",
  "test/integration/api-server.test.ts",
  "test/integration/source-resolve.test.ts",
  "test/integration/render-golden.test.ts",
];
import { errorMessage } from "../src/lib/errormessage.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const log = (line: string) =>
  process.stderr.write(`[test-run ${new Date().toISOString().slice(11, 19)}] ${line}\n`);

async function testFiles(target: string): Promise<string[]> {
  const stat = await fs.stat(target);
  if (stat.isFile()) return [target];
  const found: string[] = [];
  for (const entry of await fs.readdir(target, { withFileTypes: true })) {
    const full = path.join(target, entry.name);
    if (entry.isDirectory()) found.push(...(await testFiles(full)));
    else if (entry.name.endsWith(".test.ts")) found.push(full);
  }
  return found.sort();
}

function buildUi(): Promise<void> {
  const vite = path.join(root, "node_modules", "vite", "bin", "vite.js");
  const child = spawn(process.execPath, [vite, "build"], { stdio: "inherit", cwd: root });
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("exit", (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`building the web UI failed (vite build exited with ${code})`)),
    );
  });
}

function runNodeTest(files: string[], env: NodeJS.ProcessEnv, node = process.execPath): Promise<number> {
  // --test-force-exit: a file whose tests have all ended exits even if a handle it leaked would keep
  // it alive (a run once hung for 20 minutes on an informer retrying against a stopped test cluster;
  // that leak is fixed, and a leak of the next kind must fail no run by hanging it).
  const args = [
    "--import",
    "tsx",
    "--test",
    "--test-force-exit",
    "--test-reporter=spec",
    "--test-concurrency=2",
    ...files,
  ];
  const child = spawn(node, args, { stdio: "inherit", env, cwd: root });
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  process.on("SIGINT", forward);
  process.on("SIGTERM", forward);
  return new Promise((resolve) => {
    child.on("exit", (code, signal) => {
      process.off("SIGINT", forward);
      process.off("SIGTERM", forward);
      resolve(code ?? (signal ? 1 : 0));
    });
  });
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const unitOnly = args.includes("--unit");
  const linesOnly = args.includes("--node-lines");
  const targets = args.filter((a) => !a.startsWith("--"));
  const roots =
    targets.length > 0
      ? targets
      : unitOnly
        ? ["test/unit"]
        : ["test/unit", "test/integration", "test/e2e", "test/ui", "test/bench"];
  const otherLines = targets.length === 0 && !unitOnly;
  const files = linesOnly
    ? [
        ...(await testFiles(path.resolve(root, "test/unit"))),
        ...NODE_LINES_SLICE.map((f) => path.resolve(root, f)),
      ]
    : (await Promise.all(roots.map((t) => testFiles(path.resolve(root, t))))).flat();
  if (files.length === 0) throw new Error(`no test files under ${roots.join(", ")}`);
  const needsCluster = files.some((f) => !f.includes(`${path.sep}unit${path.sep}`));
  const browser = [`${path.sep}test${path.sep}ui${path.sep}`, `${path.sep}test${path.sep}e2e${path.sep}`];
  if (files.some((f) => browser.some((dir) => f.includes(dir)))) {
    log("building the web UI and checking chromium for the browser tests");
    await buildUi();
    ensureChromium(log);
  }

  let environment: LocalEnvironment | undefined;
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (needsCluster) {
    const started = performance.now();
    log("starting the local control plane and Git server for this run");
    // Imported lazily: a unit-only run loads nothing of the local cluster.
    const { startLocalEnvironment } = await import("../src/localcluster/environment.js");
    environment = await startLocalEnvironment({ log });
    log(`environment ready in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    env["TETHER_TEST_KUBECONFIG"] = environment.kubeconfigPath;
    env["TETHER_TEST_GIT_URL"] = environment.git.url;
    env["TETHER_TEST_GIT_ROOT"] = environment.gitRoot;
  }
  try {
    let code = linesOnly ? 0 : await runNodeTest(files, env);
    if (otherLines) code = Math.max(code, await runOtherNodeLines(env));
    return code;
  } finally {
    if (environment) {
      log("stopping the local environment");
      await environment.stop();
    }
  }
}

/** The unit suite and NODE_LINES_SLICE on each other Node line; the worst exit code. */
async function runOtherNodeLines(env: NodeJS.ProcessEnv): Promise<number> {
  const files = [
    ...(await testFiles(path.resolve(root, "test/unit"))),
    ...NODE_LINES_SLICE.map((f) => path.resolve(root, f)),
  ];
  let code = 0;
  for (const line of Object.keys(NODE_RUNTIMES) as NodeLine[]) {
    const node = await ensureNodeRuntime(line, log);
    const started = performance.now();
    log(`Node.js ${NODE_RUNTIMES[line]}: the unit suite and ${NODE_LINES_SLICE.length} integration files`);
    const result = await runNodeTest(files, env, node);
    const seconds = ((performance.now() - started) / 1000).toFixed(0);
    log(
      `Node.js ${NODE_RUNTIMES[line]}: ${result === 0 ? "passed" : `failed (exit ${result})`} in ${seconds} s`,
    );
    code = Math.max(code, result);
  }
  return code;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`\nnpm test could not run: ${errorMessage(error)}\n`);
    process.exit(1);
  },
);
