// Helm mode: `helm template` with the real binary, for a chart in Git, in a Helm HTTP repository
// or in an OCI registry. Value files must be inside the repository; helm runs with a private
// HELM_*_HOME, no repositories or registry logins, and a dead-end proxy for every host except
// the chart repository the source names.
import fs from "node:fs/promises";
import path from "node:path";
import type { ApplicationSource } from "../../model/application.js";
import { RenderError } from "../errors.js";
import type { RenderContext } from "./context.js";
import { chartFileInRepository, chartLocation, helmTemplateArgs, splitHelmOutput } from "./helm-args.js";
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
  const chart = location.kind === "path" ? appDir : location.kind === "oci" ? location.ref : location.chart;
  const args = helmTemplateArgs({
    releaseName: source.helm?.releaseName ?? input.appName ?? "release",
    chart,
    location,
    namespace: input.namespace,
    valueFiles,
    inlineValuesFile,
    parameters: source.helm?.parameters ?? [],
    includeCRDs: source.helm?.skipCrds ? false : (source.helm?.includeCRDs ?? true),
    plainHttp: tools.ociPlainHttp,
  });
  const reachable =
    location.kind === "path" ? [] : [new URL(source.repoURL.replace(/^oci:/, "https:")).hostname];
  const env = toolEnvironment(home, { noProxy: reachable, extra: tools.env });
  const label =
    location.kind === "path" ? `helm template ${appPath === "" ? "." : appPath}` : `helm template ${chart}`;
  const output = await ctx.runTool(tools.helmBinary, args, {
    cwd: home,
    env,
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
