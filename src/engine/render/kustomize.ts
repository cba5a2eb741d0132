// Kustomize mode: `kustomize build` of the app folder with the real binary. Before it runs, the
// kustomization tree is read (following local bases) so remote bases and folders outside the
// repository are refused with a precise message; kustomize's LoadRestrictionsRootOnly, an empty
// PATH (no git) and a dead-end proxy stay in place as a backstop.
import fs from "node:fs/promises";
import path from "node:path";
import type { KustomizeSource } from "../../model/application.js";
import { RenderError } from "../errors.js";
import { parseYamlBounded, YamlInputError } from "../yaml-input.js";
import type { RenderContext } from "./context.js";
import { KUSTOMIZATION_FILES } from "./detect.js";
import {
  helmChartRepos,
  isRemoteReference,
  kustomizationReferences,
  kustomizeBuildArgs,
  kustomizeImage,
  remoteRefused,
} from "./kustomize-refs.js";
import { parseManifests } from "./manifests.js";
import { sortToolOutput } from "./order.js";
import { confineRelativePath, repoRelative, resolveInRepository } from "./paths.js";
import { toolEnvironment } from "./run-tool.js";
import type { RenderedObject } from "./types.js";

export interface KustomizeTools {
  kustomizeBinary: string;
  helmBinary: string;
  allowRemoteBases: boolean;
  env?: Record<string, string>;
}

async function findKustomization(dir: string): Promise<string | undefined> {
  for (const name of KUSTOMIZATION_FILES) {
    const file = path.join(dir, name);
    if (
      await fs.stat(file).then(
        (s) => s.isFile(),
        () => false,
      )
    )
      return file;
  }
  return undefined;
}

const exists = (p: string) =>
  fs.stat(p).then(
    () => true,
    () => false,
  );

/** Checks one kustomization folder and, recursively, every local base it uses. */
async function checkKustomizationTree(
  ctx: RenderContext,
  dir: string,
  allowRemote: boolean,
  visited: Set<string>,
): Promise<void> {
  if (visited.has(dir)) return;
  visited.add(dir);
  const file = await findKustomization(dir);
  if (!file) return; // a plain folder of resources: kustomize makes it an implicit kustomization
  const shown = repoRelative(ctx.realRoot, file);
  const text = await ctx.readRepositoryFile(file, shown);
  let kustomization: unknown;
  try {
    kustomization = parseYamlBounded(text, { maxAliasCount: ctx.limits.maxAliasCount });
  } catch (error) {
    if (error instanceof ReferenceError && /excessive alias count/i.test(error.message)) {
      throw new RenderError("LimitExceeded", `${shown}: YAML aliases expand beyond the limit`);
    }
    if (error instanceof YamlInputError)
      throw new RenderError("KustomizeFailed", `${shown}:${error.line}: invalid YAML: ${error.detail}`);
    throw new RenderError("KustomizeFailed", `${shown}: invalid YAML: ${String(error)}`);
  }
  const dirRel = repoRelative(ctx.realRoot, dir);
  for (const ref of kustomizationReferences(kustomization)) {
    const field = `${shown} ${ref.field}`;
    if (isRemoteReference(ref.value) && !(await exists(path.join(dir, ref.value)))) {
      if (!allowRemote) throw remoteRefused(shown, ref.field, ref.value);
      continue;
    }
    const rel = confineRelativePath(field, ref.value, dirRel);
    const target = await resolveInRepository(ctx.realRoot, rel, field, ref.value);
    if ((await fs.stat(target)).isDirectory())
      await checkKustomizationTree(ctx, target, allowRemote, visited);
  }
  // Referenced folders were checked above with a message naming the field; any other link (a
  // patch, a generator file, a link inside a base) was refused by the renderer's whole-tree
  // check before this runs (tree-links.ts).
  const chartHome = (kustomization as { helmGlobals?: { chartHome?: unknown } } | null)?.helmGlobals
    ?.chartHome;
  const home = typeof chartHome === "string" ? chartHome : "charts";
  // Vendored charts are read by helm, not through kustomize's loader: keep them in the repository.
  confineRelativePath(`${shown} helmGlobals.chartHome`, home, dirRel);
  if (!allowRemote) {
    for (const chart of helmChartRepos(kustomization)) {
      const vendored = chart.name !== "" && (await exists(path.join(dir, home, chart.name)));
      if (!vendored) throw remoteRefused(shown, chart.field, chart.repo);
    }
  }
}

/**
 * Argo CD's kustomize overrides (namePrefix, images, …) are applied by a wrapper kustomization in
 * a temp folder that uses the app folder as its only resource: the checkout stays read-only.
 */
function wrapperKustomization(
  appDirFromWrapper: string,
  k: KustomizeSource,
): Record<string, unknown> | undefined {
  const wrapper: Record<string, unknown> = {};
  if (k.namePrefix) wrapper.namePrefix = k.namePrefix;
  if (k.nameSuffix) wrapper.nameSuffix = k.nameSuffix;
  if (k.namespace) wrapper.namespace = k.namespace;
  if (k.images?.length) wrapper.images = k.images.map(kustomizeImage);
  if (k.commonLabels && Object.keys(k.commonLabels).length) wrapper.commonLabels = k.commonLabels;
  if (k.commonAnnotations && Object.keys(k.commonAnnotations).length) {
    wrapper.commonAnnotations = k.commonAnnotations;
  }
  if (Object.keys(wrapper).length === 0) return undefined;
  return {
    apiVersion: "kustomize.config.k8s.io/v1beta1",
    kind: "Kustomization",
    resources: [appDirFromWrapper],
    ...wrapper,
  };
}

export async function renderKustomize(
  ctx: RenderContext,
  appDir: string,
  appPath: string,
  source: KustomizeSource | undefined,
  tools: KustomizeTools,
): Promise<RenderedObject[]> {
  kustomizeBuildArgs(source?.buildOptions); // refuse bad options before reading anything
  await checkKustomizationTree(ctx, appDir, tools.allowRemoteBases, new Set());
  return runKustomizeBuild(ctx, appDir, appPath, source, tools);
}

/** Runs kustomize without the pre-checks; exported so tests can prove the backstop on its own. */
export async function runKustomizeBuild(
  ctx: RenderContext,
  appDir: string,
  appPath: string,
  source: KustomizeSource | undefined,
  tools: KustomizeTools,
): Promise<RenderedObject[]> {
  const extraArgs = kustomizeBuildArgs(source?.buildOptions);
  const home = await ctx.tempDir();
  let buildDir = appDir;
  const overridesDir = path.join(home, "overrides");
  // kustomize refuses absolute resource paths; a relative path to a folder is always allowed.
  const wrapper = wrapperKustomization(path.relative(overridesDir, appDir), source ?? {});
  if (wrapper) {
    buildDir = overridesDir;
    await fs.mkdir(buildDir);
    await fs.writeFile(path.join(buildDir, "kustomization.yaml"), JSON.stringify(wrapper));
  }
  const args = ["build", buildDir, ...extraArgs];
  if (!extraArgs.includes("--load-restrictor")) args.push("--load-restrictor", "LoadRestrictionsRootOnly");
  if (extraArgs.includes("--enable-helm")) args.push("--helm-command", tools.helmBinary);
  const env = toolEnvironment(home, {
    // Remote bases need git and the network; without them both are out of reach.
    path: tools.allowRemoteBases ? (process.env.PATH ?? "") : "",
    extra: { ...(tools.allowRemoteBases ? { HTTP_PROXY: "", HTTPS_PROXY: "" } : {}), ...tools.env },
  });
  const label = `kustomize build ${appPath === "" ? "." : appPath}`;
  const output = await ctx.runTool(tools.kustomizeBinary, args, {
    cwd: appDir,
    env,
    label,
    failureReason: "KustomizeFailed",
  });
  const parsed = parseManifests(output, label, ctx.limits);
  ctx.addDocuments(parsed.length, label);
  return sortToolOutput(parsed.map(({ object }) => ({ object, sourceFile: label })));
}
