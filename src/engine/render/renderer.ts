// The render stage's entry point: confine the app path, pick the renderer, enforce limits, and
// cache successful renders by (commit, path, options hash). Failures are never cached and never
// turn into an empty result: they throw a RenderError.
import fs from "node:fs/promises";
import { RenderError } from "../errors.js";
import { optionsHash, renderCacheKey } from "./cache-key.js";
import { RenderContext } from "./context.js";
import { detectSourceType } from "./detect.js";
import { renderDirectory } from "./directory.js";
import { renderHelm } from "./helm.js";
import { renderKustomize } from "./kustomize.js";
import { LruCache } from "./lru-cache.js";
import { confineRelativePath, resolveInRepository } from "./paths.js";
import { hasSopsMetadata } from "./sops/decrypt.js";
import { createChartSchemaGuard } from "./helm-schema-scan.js";
import { kustomizeBuildArgs } from "./kustomize-refs.js";
import { createTreeGuard } from "./tree-links.js";
import { resolveLimits } from "./types.js";
import type { RenderInput, RenderResult, RendererOptions, RenderStats } from "./types.js";

export interface Renderer {
  render(input: RenderInput): Promise<RenderResult>;
  /**
   * The cached result for these inputs, if any — without a checkout. The cache key never includes
   * `repoRoot`, so a caller can skip extracting a tree it would only read from the cache.
   */
  cached(input: Omit<RenderInput, "repoRoot">): RenderResult | undefined;
  /** Counters of the work done so far (a cache hit adds to cacheHits only). */
  readonly stats: Readonly<RenderStats>;
}

/**
 * Does one uncached render and counts its work (tools run, files read) into `stats`. The local
 * one runs in this process; a remote one asks a renderer process that holds no credentials
 * (./remote/), while the cache stays with the caller so a cache hit costs no round trip.
 */
export type RenderBackend = (input: RenderInput, stats: RenderStats) => Promise<RenderResult>;

const DEFAULT_CACHE_ENTRIES = 2_000;

/** Freezes a cached result so one caller mutating it cannot change what the next caller gets. */
function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

async function realRepositoryRoot(repoRoot: string): Promise<string> {
  try {
    return await fs.realpath(repoRoot);
  } catch {
    throw new RenderError("PathNotFound", `repository checkout ${JSON.stringify(repoRoot)} does not exist`);
  }
}

async function renderUncached(
  options: RendererOptions,
  input: RenderInput,
  ctx: RenderContext,
  guards: { tree: ReturnType<typeof createTreeGuard>; schemas: ReturnType<typeof createChartSchemaGuard> },
): Promise<RenderResult> {
  const { source } = input;
  const appPath = confineRelativePath("spec.source.path", source.path ?? "");
  const appDir = await resolveInRepository(ctx.realRoot, appPath, "spec.source.path", source.path ?? "");
  const appStat = await fs.stat(appDir);
  if (!appStat.isDirectory()) {
    throw new RenderError(
      "PathNotFound",
      `spec.source.path ${JSON.stringify(source.path ?? "")} is not a directory`,
    );
  }
  // The whole tree, not only the app's folder: a chart, a kustomize base, a value file or a SOPS
  // file anywhere in the repository may reach any other folder of it (tree-links.ts). After the
  // app path's own check, so a bad spec.source.path is still reported by its field.
  await guards.tree(ctx.realRoot, () => ctx.checkDeadline("checking the repository's symlinks"));
  const type = detectSourceType(source, source.chart ? [] : await fs.readdir(appDir));
  // Helm loads what a chart's values.schema.json refers to, from the host or the network: every
  // schema a render of a chart in Git may reach is checked first (helm-schema-scan.ts).
  const checkingSchemas = () => ctx.checkDeadline("checking the charts' schemas");
  if (type === "Helm" && !source.chart) await guards.schemas(appDir, appPath, checkingSchemas);
  if (type === "Kustomize" && kustomizeBuildArgs(source.kustomize?.buildOptions).includes("--enable-helm"))
    await guards.schemas(ctx.realRoot, "", checkingSchemas);
  switch (type) {
    case "Directory":
      return { type, objects: await renderDirectory(ctx, appDir, source.directory, input.decryption) };
    case "Kustomize":
      return {
        type,
        objects: await renderKustomize(ctx, appDir, appPath, source.kustomize, {
          kustomizeBinary: options.kustomizeBinary,
          helmBinary: options.helmBinary,
          allowRemoteBases: options.allowRemoteBases ?? false,
          env: options.env,
        }),
      };
    case "Helm":
      return {
        type,
        objects: await renderHelm(ctx, input, appDir, appPath, {
          helmBinary: options.helmBinary,
          ociPlainHttp: options.ociPlainHttp ?? false,
          env: options.env,
        }),
      };
  }
}

/**
 * Tool output (Kustomize, Helm) is never decrypted: sops' MAC covers the file as written, which a
 * tool may have transformed. An encrypted object there is refused rather than applied as
 * ciphertext.
 */
function refuseEncryptedToolOutput(result: RenderResult): RenderResult {
  if (result.type === "Directory") return result;
  const sealed = result.objects.find((o) => hasSopsMetadata(o.object));
  if (sealed) {
    const name = typeof sealed.object.metadata.name === "string" ? sealed.object.metadata.name : "";
    throw new RenderError(
      "DecryptionFailed",
      `${sealed.sourceFile}: ${sealed.object.kind} ${name} is SOPS-encrypted; Tether decrypts SOPS files of directory sources only (not ${result.type} output)`,
    );
  }
  return result;
}

/** Renders in this process: what `tether renderer` runs for each request. */
export function localRenderBackend(options: RendererOptions): RenderBackend {
  const limits = resolveLimits(options.limits);
  // Remembers the trees already proven closed, so a tree is walked once, not once per render.
  const guards = { tree: createTreeGuard(), schemas: createChartSchemaGuard() };
  return async (input, stats) => {
    const ctx = new RenderContext(await realRepositoryRoot(input.repoRoot), limits, stats);
    try {
      return refuseEncryptedToolOutput(await renderUncached(options, input, ctx, guards));
    } finally {
      await ctx.dispose();
    }
  };
}

export function createRenderer(
  options: RendererOptions,
  backend: RenderBackend = localRenderBackend(options),
): Renderer {
  const limits = resolveLimits(options.limits);
  const cache = new LruCache<string, RenderResult>(options.cacheEntries ?? DEFAULT_CACHE_ENTRIES);
  // Concurrent renders of the same key share one run instead of racing to do the same work.
  const inFlight = new Map<string, Promise<RenderResult>>();
  const stats: RenderStats = { renders: 0, cacheHits: 0, toolInvocations: 0, filesRead: 0 };

  async function run(input: RenderInput): Promise<RenderResult> {
    stats.renders++;
    return deepFreeze(await backend(input, stats));
  }

  // Only Helm output depends on the app's name and namespace (release name, --namespace); every
  // other render of a (commit, path, source) is the same for every app, so it is cached once under a
  // key without them — a thousand apps of one path share one render and one copy of its objects.
  // The type is known only after rendering (a Chart.yaml is detected), so a lookup tries the shared
  // key first and takes it only for a non-Helm result.
  const keysOf = (input: Omit<RenderInput, "repoRoot">) => {
    const full = { ...input, repoRoot: "" };
    const shared = { ...full, appName: undefined, namespace: "" };
    return {
      shared: renderCacheKey(shared, optionsHash(shared, options, limits)),
      own: renderCacheKey(full, optionsHash(full, options, limits)),
    };
  };
  const lookup = (keys: { shared: string; own: string }) => {
    const shared = cache.get(keys.shared);
    return shared && shared.type !== "Helm" ? shared : cache.get(keys.own);
  };

  return {
    stats,
    cached(input) {
      const hit = lookup(keysOf(input));
      if (hit) stats.cacheHits++;
      return hit;
    },
    async render(input) {
      const keys = keysOf(input);
      const key = keys.own;
      const cached = lookup(keys);
      if (cached) {
        stats.cacheHits++;
        return cached;
      }
      const pending = inFlight.get(key);
      if (pending) {
        stats.cacheHits++;
        return pending;
      }
      const promise = run(input);
      inFlight.set(key, promise);
      try {
        const result = await promise;
        cache.set(result.type === "Helm" ? keys.own : keys.shared, result);
        return result;
      } finally {
        inFlight.delete(key);
      }
    },
  };
}
