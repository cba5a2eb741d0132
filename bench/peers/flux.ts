// Side by side with Flux (issue 11, benchmark 6): the same Git repository, the same local apiserver,
// the same workload, measured for Tether and then for Flux (source-controller + kustomize-controller
// built from their pinned tags), and printed as Tether/Flux ratios.
//   npx tsx bench/peers/flux.ts [--quick] [--apps N] [--large N] [--interval 1m] [--short-interval 10s]
// Each product runs alone in its phase (the other's controllers are stopped), so neither pays for
// the other's watches. docs/peers.md explains the measures and how to reproduce them.
import { randomBytes } from "node:crypto";
import { setMaxListeners } from "node:events";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import type { KubernetesObject, V1Deployment } from "@kubernetes/client-node";
import { PatchStrategy } from "@kubernetes/client-node";
import { stringify } from "yaml";
import { errorStatus } from "../../src/kube/client.js";
import type { TypedKubeClients } from "../../src/kube/typed.js";
import { typedKubeClients } from "../../src/kube/typed.js";
import { REFRESH_ANNOTATION } from "../../src/model/contract.js";
import { ResourceClient } from "../../src/kube/resources.js";
import { ensureComponent } from "../../src/toolchain/binaries.js";
import { helloDeployment, helloService } from "../../src/localcluster/demo.js";
import { startLocalEnvironment } from "../../src/localcluster/environment.js";
import { GitWorkspace } from "../../src/localcluster/gitrepo.js";
import { installCrds } from "../../src/localcluster/product.js";
import type { Application } from "../../src/model/application.js";
import { API_VERSION, GROUP, VERSION } from "../../src/model/application.js";
import type { BenchRun } from "../lib/run.js";
import { runBench } from "../lib/run.js";
import { DEPLOYMENT, rolledOut, syncedHealthy } from "../lib/tether.js";
import { ObjectWatch } from "../lib/watch.js";
import type { FluxBinary } from "./fluxbuild.js";
import { ensureFluxController, FLUX_CONTROLLERS } from "./fluxbuild.js";
import type { Kustomization } from "./fluxsetup.js";
import {
  createFluxApp,
  installFluxCrds,
  KUSTOMIZE_GROUP,
  kustomizationReady,
  requestGitRepositoryReconcile,
  startFluxControllers,
} from "./fluxsetup.js";
import type { Figures } from "./report.js";
import { printReport } from "./report.js";
import type { SteadyState } from "./tetherprocess.js";
import { startTetherProcess, steadyState } from "./tetherprocess.js";
import { errorMessage } from "../../src/lib/errormessage.js";

interface Options {
  readonly quick: boolean;
  /** Apps × 10 ConfigMaps for the initial-sync measure. */
  readonly apps: number;
  /** Objects in the one large app. */
  readonly large: number;
  readonly driftTrials: number;
  readonly commitTrials: number;
  /** Flux's interval (and Tether's Git poll interval). */
  readonly interval: string;
  readonly shortInterval: string;
  readonly steadySeconds: number;
}

function options(): Options {
  const { values } = parseArgs({
    options: {
      quick: { type: "boolean", default: false },
      apps: { type: "string" },
      large: { type: "string" },
      "drift-trials": { type: "string" },
      "commit-trials": { type: "string" },
      interval: { type: "string", default: "1m" },
      "short-interval": { type: "string", default: "10s" },
      "steady-seconds": { type: "string" },
    },
  });
  const quick = values.quick;
  const int = (name: string, raw: string | undefined, full: number, small: number, max: number) => {
    const n = raw === undefined ? (quick ? small : full) : Number(raw);
    if (!Number.isInteger(n) || n < 1 || n > max) throw new Error(`--${name} must be an integer 1..${max}`);
    return n;
  };
  for (const d of [values.interval, values["short-interval"]]) {
    if (!/^\d+(s|m)$/.test(d))
      throw new Error(`intervals are Go durations in s or m (e.g. 1m, 10s), got ${d}`);
  }
  return {
    quick,
    apps: int("apps", values.apps, 100, 10, 2_000),
    large: int("large", values.large, 2_000, 2_000, 10_000),
    driftTrials: int("drift-trials", values["drift-trials"], 20, 6, 200),
    commitTrials: int("commit-trials", values["commit-trials"], 20, 5, 200),
    interval: values.interval,
    shortInterval: values["short-interval"],
    steadySeconds: int("steady-seconds", values["steady-seconds"], 60, 20, 600),
  };
}

const progress = (line: string) => process.stderr.write(`# ${line}\n`);
const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
const durationMs = (d: string) => Number.parseInt(d, 10) * (d.endsWith("m") ? 60_000 : 1_000);
const FLEET_OBJECTS = 10;
const LARGE_PER_FILE = 100;
const GIT_REPLICAS = 2;
const HEALS_PER_APP = 4;

/** The repository both products deploy from. */
function repositoryFiles(large: number): Record<string, string> {
  const configMap = (name: string, i: number) => ({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name },
    data: { index: String(i), payload: "x".repeat(64) },
  });
  const files: Record<string, string> = {
    "hello/deployment.yaml": helloDeployment(GIT_REPLICAS),
    "hello/service.yaml": helloService,
    "commit/deployment.yaml": helloDeployment(GIT_REPLICAS),
  };
  for (let i = 0; i < FLEET_OBJECTS; i++) files[`fleet/cm-${i}.yaml`] = stringify(configMap(`fleet-${i}`, i));
  for (let f = 0; f * LARGE_PER_FILE < large; f++) {
    const docs: string[] = [];
    for (let i = f * LARGE_PER_FILE; i < Math.min(large, (f + 1) * LARGE_PER_FILE); i++)
      docs.push(stringify(configMap(`large-${i}`, i)));
    files[`large/part-${String(f).padStart(3, "0")}.yaml`] = docs.join("---\n");
  }
  return files;
}

/** One product's side of the benchmark: how to create an app and how to wait for it. */
interface Side {
  readonly name: "Tether" | "Flux";
  createApp(name: string, appPath: string, targetNamespace: string): Promise<void>;
  /** Resolves with the arrival time of the status that says the app is applied (at `sha` if given). */
  appliedAt(name: string, timeoutMs: number, sha?: string): Promise<number>;
  /** What a push webhook does for this product. */
  refresh(name: string): Promise<void>;
  processes(): { name: string; pid: number }[];
}

interface Context {
  readonly run: BenchRun;
  readonly opts: Options;
  readonly clients: TypedKubeClients;
  readonly workspace: GitWorkspace;
  readonly deployments: ObjectWatch<V1Deployment>;
  readonly id: string;
}

async function createNamespace(ctx: Context, name: string): Promise<void> {
  await ctx.clients.core.createNamespace({
    body: { metadata: { name, labels: { "tether.dev/bench": "peers" } } },
  });
  ctx.run.defer(`delete namespace ${name}`, () =>
    ctx.clients.core.deleteNamespace({ name }).catch((error: unknown) => {
      if (errorStatus(error) !== 404) throw error;
    }),
  );
}

/** N apps × 10 ConfigMaps created at once → every app applied: objects per second. */
async function initialSync(
  ctx: Context,
  side: Side,
  prefix: string,
): Promise<{ seconds: number; objectsPerSecond: number }> {
  const names = Array.from({ length: ctx.opts.apps }, (_, i) => `fleet-${i}`);
  for (const name of names) await createNamespace(ctx, `${prefix}-${name}`);
  progress(`${side.name}: initial sync of ${names.length} apps × ${FLEET_OBJECTS} ConfigMaps`);
  const t0 = performance.now();
  const waits: Promise<number>[] = [];
  for (const name of names) {
    await side.createApp(name, "fleet", `${prefix}-${name}`);
    waits.push(side.appliedAt(name, 20 * 60_000));
  }
  const last = Math.max(...(await Promise.all(waits)));
  const seconds = (last - t0) / 1000;
  return { seconds, objectsPerSecond: (names.length * FLEET_OBJECTS) / seconds };
}

async function largeApp(ctx: Context, side: Side, prefix: string): Promise<number> {
  await createNamespace(ctx, `${prefix}-large`);
  progress(`${side.name}: one app of ${ctx.opts.large} ConfigMaps`);
  const t0 = performance.now();
  await side.createApp("large", "large", `${prefix}-large`);
  return ((await side.appliedAt("large", 20 * 60_000)) - t0) / 1000;
}

/** Creates `count` copies of the hello app and waits until each is applied and rolled out. */
async function helloApps(ctx: Context, side: Side, prefix: string, count: number): Promise<string[]> {
  const names = Array.from({ length: count }, (_, i) => `hello-${i}`);
  for (const name of names) {
    await createNamespace(ctx, `${prefix}-${name}`);
    await side.createApp(name, "hello", `${prefix}-${name}`);
  }
  for (const name of names) {
    await side.appliedAt(name, 5 * 60_000);
    await ctx.deployments.until(`${prefix}-${name}`, DEPLOYMENT, (d) => rolledOut(d, GIT_REPLICAS), {
      timeoutMs: 5 * 60_000,
      signal: ctx.run.signal,
      what: `${name} rolled out`,
    });
  }
  return names;
}

/** One drift: `kubectl scale` through the scale subresource → spec.replicas back at Git's value. */
async function driftOnce(ctx: Context, namespace: string, trial: number, timeoutMs: number): Promise<number> {
  const drift = trial % 2 === 0 ? GIT_REPLICAS - 1 : GIT_REPLICAS + 1;
  const g0 = ctx.deployments.get(namespace, DEPLOYMENT)?.metadata?.generation ?? 0;
  const opts = { timeoutMs, signal: ctx.run.signal };
  const reverted = ctx.deployments.next(
    namespace,
    DEPLOYMENT,
    (d) => (d.metadata?.generation ?? 0) > g0 && d.spec?.replicas === GIT_REPLICAS,
    { ...opts, what: `${namespace}/hello back at ${GIT_REPLICAS}` },
  );
  const sent = performance.now();
  await ctx.clients.apps.patchNamespacedDeploymentScale({
    name: DEPLOYMENT,
    namespace,
    body: [{ op: "replace", path: "/spec/replicas", value: drift }],
  });
  const back = await reverted;
  await ctx.deployments.until(namespace, DEPLOYMENT, (d) => rolledOut(d, GIT_REPLICAS), {
    ...opts,
    timeoutMs: 60_000,
    what: "rolled out again",
  });
  return back.at - sent;
}

/** Tether: sequential trials, rotating over apps (self-heal backs off after 5 heals in 120 s). */
async function tetherDrift(ctx: Context, prefix: string, names: readonly string[]): Promise<number[]> {
  const out: number[] = [];
  await ctx.run.trials(ctx.opts.driftTrials, async (i) => {
    const name = names[i % names.length] as string;
    out.push(await driftOnce(ctx, `${prefix}-${name}`, i, 60_000));
    await sleep(500, ctx.run.signal); // let the follow-up status reconcile finish
  });
  return out;
}

/**
 * Flux reverts drift on its interval only, so a drift made right after a reconcile waits a whole
 * interval. Real drift lands at a random moment: each trial first waits a random fraction of the
 * interval. The apps run their trials in parallel (Flux reconciles apps concurrently) to bound
 * the wall time at about trials-per-app × interval.
 */
async function fluxDrift(
  ctx: Context,
  prefix: string,
  names: readonly string[],
  interval: string,
): Promise<number[]> {
  const out: number[] = [];
  const perApp = Math.ceil(ctx.opts.driftTrials / names.length);
  const ms = durationMs(interval);
  await Promise.all(
    names.map(async (name, a) => {
      for (let i = 0; i < perApp && !ctx.run.interrupted && out.length < ctx.opts.driftTrials; i++) {
        await sleep(Math.random() * ms, ctx.run.signal);
        if (ctx.run.interrupted) return;
        out.push(await driftOnce(ctx, `${prefix}-${name}`, a + i, 2 * ms + 60_000));
      }
    }),
  );
  return out;
}

async function setKustomizationInterval(ctx: Context, namespace: string, name: string, interval: string) {
  await ctx.clients.custom.patchNamespacedCustomObject({
    group: KUSTOMIZE_GROUP,
    version: "v1",
    plural: "kustomizations",
    namespace,
    name,
    body: [{ op: "replace", path: "/spec/interval", value: interval }],
  });
}

/** push + webhook-equivalent refresh → Deployment spec.replicas at the pushed value. */
async function commitToApplied(
  ctx: Context,
  side: Side,
  prefix: string,
): Promise<{ applied: number[]; status: number[] }> {
  const namespace = `${prefix}-commit`;
  await createNamespace(ctx, namespace);
  await side.createApp("commit", "commit", namespace);
  await side.appliedAt("commit", 5 * 60_000);
  const applied: number[] = [];
  const status: number[] = [];
  progress(`${side.name}: ${ctx.opts.commitTrials} commit → applied trials`);
  await ctx.run.trials(ctx.opts.commitTrials, async () => {
    // From what is live: the other product's trials moved the same file before.
    const live = ctx.deployments.get(namespace, DEPLOYMENT)?.spec?.replicas;
    const replicas = live === GIT_REPLICAS ? GIT_REPLICAS + 1 : GIT_REPLICAS;
    await ctx.workspace.write({ "commit/deployment.yaml": helloDeployment(replicas) });
    const sha = await ctx.workspace.commit(`peers: commit app to ${replicas} replicas`);
    const g0 = ctx.deployments.get(namespace, DEPLOYMENT)?.metadata?.generation ?? 0;
    const done = ctx.deployments.next(
      namespace,
      DEPLOYMENT,
      (d) => (d.metadata?.generation ?? 0) > g0 && d.spec?.replicas === replicas,
      { timeoutMs: 5 * 60_000, signal: ctx.run.signal, what: `commit app at ${replicas}` },
    );
    const revision = side.appliedAt("commit", 5 * 60_000, sha);
    const started = performance.now();
    await ctx.workspace.push();
    await side.refresh("commit");
    applied.push((await done).at - started);
    status.push((await revision) - started);
  });
  return { applied, status };
}

async function tetherSide(ctx: Context, env: { kubeconfig: string; logDir: string }): Promise<Figures> {
  const prefix = `p${ctx.id}-t`;
  const appNamespace = `${prefix}-apps`;
  await createNamespace(ctx, appNamespace);
  const cacheDir = await fs.mkdtemp(path.join(os.tmpdir(), "tether-peers-cache-"));
  ctx.run.defer("remove Tether's cache", () => fs.rm(cacheDir, { recursive: true, force: true }));
  progress("Tether: starting `tether controller` as its own process");
  const controller = await startTetherProcess({
    run: ctx.run,
    kubeconfig: env.kubeconfig,
    namespace: appNamespace,
    systemNamespace: `${prefix}-system`,
    cacheDir,
    pollInterval: ctx.opts.interval,
    helm: await ensureComponent("helm"),
    kustomize: await ensureComponent("kustomize"),
    logDir: env.logDir,
  });
  const applications = await ObjectWatch.start<Application>(
    ctx.clients,
    `/apis/${GROUP}/${VERSION}/namespaces/${appNamespace}/applications`,
  );
  ctx.run.defer("stop the Application watch", () => Promise.resolve(applications.stop()));
  const side: Side = {
    name: "Tether",
    async createApp(name, appPath, targetNamespace) {
      await ctx.clients.custom.createNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        plural: "applications",
        namespace: appNamespace,
        body: {
          apiVersion: API_VERSION,
          kind: "Application",
          metadata: { name, namespace: appNamespace },
          spec: {
            source: { repoURL: ctx.workspace.url, targetRevision: "main", path: appPath },
            destination: { server: "https://kubernetes.default.svc", namespace: targetNamespace },
            syncPolicy: { automated: { prune: true, selfHeal: true } },
          },
        },
      });
    },
    async appliedAt(name, timeoutMs, sha) {
      const test = (a: Application) => syncedHealthy(a, sha);
      return (
        await applications.until(appNamespace, name, test, {
          timeoutMs,
          signal: ctx.run.signal,
          what: `${name} Synced and Healthy`,
        })
      ).at;
    },
    async refresh(name) {
      // What Tether's webhook handler does (as bench/lib/tether.ts refresh()).
      const patch: KubernetesObject = {
        apiVersion: API_VERSION,
        kind: "Application",
        metadata: { name, namespace: appNamespace, annotations: { [REFRESH_ANNOTATION]: "normal" } },
      };
      await ctx.clients.objects.patch(
        patch,
        undefined,
        undefined,
        undefined,
        undefined,
        PatchStrategy.MergePatch,
      );
    },
    processes: () => [{ name: "tether controller", pid: controller.pid }],
  };
  const figures = await measure(ctx, side, prefix, async (names) => ({
    [ctx.opts.interval]: await tetherDrift(ctx, prefix, names),
  }));
  await controller.stop();
  return figures;
}

async function fluxSide(
  ctx: Context,
  env: { kubeconfig: string; logDir: string; source: FluxBinary; kustomize: FluxBinary },
): Promise<Figures> {
  const prefix = `p${ctx.id}-f`;
  const namespace = `${prefix}-apps`;
  await createNamespace(ctx, namespace);
  progress("Flux: starting source-controller and kustomize-controller");
  const flux = await startFluxControllers({
    run: ctx.run,
    kubeconfig: env.kubeconfig,
    source: env.source,
    kustomize: env.kustomize,
    logDir: env.logDir,
  });
  const kustomizations = await ObjectWatch.start<Kustomization>(
    ctx.clients,
    `/apis/${KUSTOMIZE_GROUP}/v1/namespaces/${namespace}/kustomizations`,
  );
  ctx.run.defer("stop the Kustomization watch", () => Promise.resolve(kustomizations.stop()));
  const side: Side = {
    name: "Flux",
    createApp: (name, appPath, targetNamespace) =>
      createFluxApp(ctx.clients, {
        namespace,
        name,
        repoURL: ctx.workspace.url,
        path: appPath,
        targetNamespace,
        interval: ctx.opts.interval,
      }),
    async appliedAt(name, timeoutMs, sha) {
      const test = (k: Kustomization) => kustomizationReady(k, sha);
      return (
        await kustomizations.until(namespace, name, test, {
          timeoutMs,
          signal: ctx.run.signal,
          what: `Kustomization ${name} Ready`,
        })
      ).at;
    },
    refresh: (name) => requestGitRepositoryReconcile(ctx.clients, namespace, name),
    processes: () => flux.processes.map((p) => ({ name: p.name.replace(/^peers-/, ""), pid: p.pid })),
  };
  const figures = await measure(ctx, side, prefix, async (names) => {
    const drift: Record<string, number[]> = {};
    progress(
      `Flux: ${ctx.opts.driftTrials} drift trials at interval ${ctx.opts.interval} (random phase; ~${Math.ceil(ctx.opts.driftTrials / names.length)} × ${ctx.opts.interval})`,
    );
    drift[ctx.opts.interval] = await fluxDrift(ctx, prefix, names, ctx.opts.interval);
    for (const name of names) await setKustomizationInterval(ctx, namespace, name, ctx.opts.shortInterval);
    progress(`Flux: ${ctx.opts.driftTrials} drift trials at interval ${ctx.opts.shortInterval}`);
    await sleep(durationMs(ctx.opts.shortInterval), ctx.run.signal); // the old 1m requeue is replaced once it reconciles
    drift[ctx.opts.shortInterval] = await fluxDrift(ctx, prefix, names, ctx.opts.shortInterval);
    for (const name of names) await setKustomizationInterval(ctx, namespace, name, ctx.opts.interval);
    return drift;
  });
  await flux.stop();
  return figures;
}

/** The measures every side runs, in the same order; steady state last, with every app in place. */
async function measure(
  ctx: Context,
  side: Side,
  prefix: string,
  drift: (names: string[]) => Promise<Record<string, number[]>>,
): Promise<Figures> {
  const initial = await initialSync(ctx, side, prefix);
  ctx.run.check();
  const largeSeconds = await largeApp(ctx, side, prefix);
  ctx.run.check();
  const driftApps = Math.max(2, Math.min(5, Math.ceil(ctx.opts.driftTrials / HEALS_PER_APP)));
  progress(`${side.name}: ${driftApps} copies of the hello app for the drift trials`);
  const names = await helloApps(ctx, side, prefix, driftApps);
  progress(`${side.name}: drift trials`);
  const driftMs = await drift(names);
  ctx.run.check();
  const commit = await commitToApplied(ctx, side, prefix);
  ctx.run.check();
  progress(`${side.name}: steady state, ${ctx.opts.steadySeconds} s with every app in place`);
  await sleep(5_000, ctx.run.signal);
  const steady: SteadyState = await steadyState(side.processes(), ctx.opts.steadySeconds, ctx.run.signal);
  return { initial, largeSeconds, driftMs, commitMs: commit.applied, commitStatusMs: commit.status, steady };
}

runBench(async (run) => {
  const opts = options();
  const started = performance.now();
  // Every pending wait (N initial syncs at once, parallel drift trials) listens on the run's signal.
  setMaxListeners(0, run.signal);
  progress(
    `building or finding Flux: ${Object.entries(FLUX_CONTROLLERS)
      .map(([n, v]) => `${n} ${v}`)
      .join(", ")}`,
  );
  let source: FluxBinary;
  let kustomize: FluxBinary;
  try {
    source = await ensureFluxController("source-controller", progress);
    kustomize = await ensureFluxController("kustomize-controller", progress);
  } catch (error) {
    throw new Error(`Flux could not be built, so there is nothing to compare with.\n${errorMessage(error)}`);
  }
  run.check();
  progress("starting the local control plane and Git server");
  const env = await startLocalEnvironment({});
  run.defer("stop the local environment", () => env.stop());
  const clients = typedKubeClients(env.kubeconfigPath);
  const resources = new ResourceClient(clients);
  await installCrds(resources);
  await installFluxCrds(resources, [source, kustomize]);
  const logDir = await fs.mkdtemp(path.join(os.tmpdir(), "tether-peers-logs-"));
  progress(`controller logs in ${logDir}`);

  const id = randomBytes(2).toString("hex");
  const repoURL = await env.git.createRepository(`peers-${id}`);
  const workspace = await GitWorkspace.clone(repoURL);
  run.defer("remove the Git workspace", () => workspace.remove());
  await workspace.commitAndPush(repositoryFiles(opts.large), "peers: hello, commit, fleet and large apps");
  const deployments = await ObjectWatch.start<V1Deployment>(
    clients,
    "/apis/apps/v1/deployments",
    `metadata.name=${DEPLOYMENT}`,
  );
  run.defer("stop the Deployment watch", () => Promise.resolve(deployments.stop()));
  const ctx: Context = { run, opts, clients, workspace, deployments, id };

  const tether = await tetherSide(ctx, { kubeconfig: env.kubeconfigPath, logDir });
  run.check();
  const flux = await fluxSide(ctx, { kubeconfig: env.kubeconfigPath, logDir, source, kustomize });
  printReport({
    opts,
    builds: [source, kustomize],
    tether,
    flux,
    wallSeconds: (performance.now() - started) / 1000,
    load: os.loadavg(),
  });
});
