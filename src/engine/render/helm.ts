// Helm mode: `helm template` with the real binary, for a chart in Git, in a Helm HTTP repository
// or in an OCI registry (pulled first, so its schemas are checked before helm loads them). Value
// files must be inside the repository; helm runs with a private HELM_*_HOME, no repositories or
// registry logins, and a dead-end proxy for every host (but the chart's repository for the pull).
import fs from "node:fs/promises";
import path from "node:path";
import type { ApplicationSource } from "../../model/application.js";
import { RenderError } from "../errors.js";
import type { RenderContext } from "./context.js";
import type { ChartLocation } from "./helm-args.js";
import {
  chartFileInRepository,
  chartLocation,
  helmPullArgs,
  helmTemplateArgs,
  splitHelmOutput,
} from "./helm-args.js";
import { assertChartSchemasConfined } from "./helm-schema-scan.js";
import { parseManifests } from "./manifests.js";
import { sortToolOutput } from "./order.js";
import { confineRelativePath, resolveInRepository } from "./paths.js";
import { toolEnvironment } from "./run-tool.js";
import type { RenderedObject } from "./types.js";

export interface HelmTools {
  helmBinary: string;
  ociPlainHttp: boolean;
  env?: Record<string, string>;
}

async function confinedValueFiles(ctx: RenderContext, source: ApplicationSource, appPath: string) {
  const files: string[] = [];
  const valueFiles = source.helm?.valueFiles ?? [];
  for (const [i, value] of valueFiles.entries()) {
    const field = `spec.source.helm.valueFiles[${i}]`;
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
      throw new RenderError(
        "PathOutsideRepository",
        `${field} ${JSON.stringify(value)} is a URL; value files must be in the repository`,
      );
    }
    const rel = confineRelativePath(field, value, appPath);
    const real = await resolveInRepository(ctx.realRoot, rel, field, value);
    const { size } = await fs.stat(real);
    if (size > ctx.limits.maxFileBytes) {
      throw new RenderError(
        "LimitExceeded",
        `${field} ${JSON.stringify(value)} is ${size} bytes, over the per-file limit`,
      );
    }
    files.push(real);
  }
  return files;
}

export async function renderHelm(
  ctx: RenderContext,
  input: { source: ApplicationSource; namespace: string; appName?: string },
  appDir: string,
  appPath: string,
  tools: HelmTools,
): Promise<RenderedObject[]> {
  const { source } = input;
  const location = chartLocation(source);
  // Symlinks anywhere in the repository (the chart's, its charts/ dependencies', a value file's)
  // were checked by the renderer before this runs (tree-links.ts); value files are also confined
  // here so a bad one is reported by its field.
  const valueFiles = await confinedValueFiles(ctx, source, appPath);

  const home = await ctx.tempDir();
  let inlineValuesFile: string | undefined;
  if (source.helm?.values) {
    inlineValuesFile = path.join(home, "inline-values.yaml");
    await fs.writeFile(inlineValuesFile, source.helm.values);
  }
  const remote =
    location.kind === "path" ? undefined : location.kind === "oci" ? location.ref : location.chart;
  const label =
    remote === undefined ? `helm template ${appPath === "" ? "." : appPath}` : `helm template ${remote}`;
  const chart = location.kind === "path" ? appDir : await pullChart(ctx, location, home, tools);
  const args = helmTemplateArgs({
    releaseName: source.helm?.releaseName ?? input.appName ?? "release",
    chart,
    // A pulled chart is a folder now: template needs no repository and no network.
    location: { kind: "path" },
    namespace: input.namespace,
    valueFiles,
    inlineValuesFile,
    parameters: source.helm?.parameters ?? [],
    includeCRDs: source.helm?.skipCrds ? false : (source.helm?.includeCRDs ?? true),
    plainHttp: tools.ociPlainHttp,
  });
  const output = await ctx.runTool(tools.helmBinary, args, {
    cwd: home,
    env: toolEnvironment(home, { noProxy: [], extra: tools.env }),
    label,
    failureReason: "HelmFailed",
  });

  const objects: RenderedObject[] = [];
  for (const chunk of splitHelmOutput(output)) {
    const sourceFile = location.kind === "path" ? chartFileInRepository(chunk.source, appPath) : chunk.source;
    const parsed = parseManifests(chunk.text, sourceFile, ctx.limits);
    ctx.addDocuments(parsed.length, label);
    for (const { object } of parsed) objects.push({ object, sourceFile });
  }
  return sortToolOutput(objects);
}

/**
 * Pulls a chart from its Helm repository or OCI registry into `home` (the only host it may reach
 * is the one the source names) and checks its schemas; returns the chart's folder.
 */
async function pullChart(
  ctx: RenderContext,
  location: Exclude<ChartLocation, { kind: "path" }>,
  home: string,
  tools: HelmTools,
): Promise<string> {
  const ref = location.kind === "oci" ? location.ref : location.chart;
  const into = path.join(home, "pulled");
  await fs.mkdir(into);
  const host = new URL((location.kind === "oci" ? location.ref : location.repoURL).replace(/^oci:/, "https:"))
    .hostname;
  await ctx.runTool(tools.helmBinary, helmPullArgs(location, into, tools.ociPlainHttp), {
    cwd: home,
    env: toolEnvironment(home, { noProxy: [host], extra: tools.env }),
    label: `helm pull ${ref}`,
    failureReason: "HelmFailed",
  });
  const folders = (await fs.readdir(into, { withFileTypes: true })).filter((d) => d.isDirectory());
  const [folder] = folders;
  if (!folder || folders.length > 1) {
    throw new RenderError(
      "HelmFailed",
      `helm pull ${ref}: expected one chart folder, found ${folders.length}`,
    );
  }
  const chart = path.join(into, folder.name);
  await assertChartSchemasConfined(
    chart,
    (rel) => `${ref} ${folder.name}/${rel}`,
    () => ctx.checkDeadline(`checking ${ref}'s schemas`),
  );
  return chart;
}
