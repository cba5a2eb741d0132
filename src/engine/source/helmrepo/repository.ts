// The source stage for charts in Helm HTTP repositories: (repoURL, chart, targetRevision) → one
// chart version from the repository's index.yaml, and that version → a read-only tree holding the
// extracted chart, verified against the index digest. The renderer then templates the tree like
// a chart in Git: it never reaches the repository itself, so it needs no network and no
// credentials (the sandbox's rule, ARCHITECTURE.md).
//
// Index: fetched with a size limit, kept per repository as slim entries (index-entries.ts) with
// its ETag/Last-Modified, so a poll of an unchanged index is a 304 that reuses them. Archives:
// cached on disk by digest (a digest names one content forever), re-verified when read back.
// Trees: the Git trees' store (trees.ts), keyed `chart-<digest>`, in the same folder, so a child
// renderer reads them where it reads Git trees.
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import { SourceError } from "../../errors.js";
import { redactUrl } from "../gitcli.js";
import { KeyedMutex } from "../mutex.js";
import type { SourceTree } from "../trees.js";
import { TreeStore } from "../trees.js";
import { chartArchiveUrl, resolveChartVersion } from "./chart-version.js";
import { extractChartArchive, TarRefused } from "./extract.js";
import type { Fetcher } from "./http-get.js";
import { boundedGet } from "./http-get.js";
import type { IndexEntries } from "./index-entries.js";
import { parseIndexEntriesByChart } from "./index-chunks.js";
import type { TarLimits } from "./tar-entries.js";

export interface HelmRepositoryOptions {
  /** Archives go to `<cacheDir>/helm/archives/<sha256>.tgz`. */
  readonly cacheDir: string;
  /** Where extracted charts go (the Git trees' folder); default `<cacheDir>/trees`. */
  readonly treesDir?: string;
  /** index.yaml larger than this is refused, read no further; default 64 MiB. */
  readonly maxIndexBytes?: number;
  /** A chart archive larger than this is refused; default 32 MiB. */
  readonly maxArchiveBytes?: number;
  /** Bounds on an archive's content; default 10 000 entries, 100 MiB (helm's own bound). */
  readonly extractLimits?: Partial<TarLimits>;
  /** Per HTTP request; default 60 s. */
  readonly timeoutMs?: number;
  readonly treeLingerMs?: number;
  /** Tests observe or fail requests. */
  readonly fetcher?: Fetcher;
}

/** The chart version a source resolved to. */
export interface ResolvedChart {
  readonly name: string;
  readonly version: string;
  /** sha256 hex of the archive, from the index. */
  readonly digest: string;
  readonly url: string;
  readonly created: string;
}

export interface HelmRepositoryStats {
  readonly indexDownloads: number;
  readonly indexNotModified: number;
  readonly archiveDownloads: number;
}

export interface HelmRepositoryCache {
  resolve(
    repoURL: string,
    chart: string,
    targetRevision: string | undefined,
    options?: { maxAgeMs?: number },
  ): Promise<{ chart: ResolvedChart; fetched: boolean }>;
  /** A read-only tree with the chart in `<dir>/<chart.name>/`. */
  acquireTree(repoURL: string, chart: ResolvedChart): Promise<SourceTree>;
  releaseIdleTrees(): Promise<void>;
  readonly stats: HelmRepositoryStats;
}

interface CachedIndex {
  at: number;
  readonly entries: IndexEntries;
  readonly etag?: string;
  readonly lastModified?: string;
}

const MiB = 1024 * 1024;
const SHA256_HEX = /^[0-9a-f]{64}$/;

/** The repository URL without trailing slashes: one cache entry however the apps spell it. */
export function helmRepositoryBase(repoURL: string): string {
  if (!/^https?:\/\//i.test(repoURL)) {
    throw new SourceError(
      "UnsupportedURL",
      `spec.source.repoURL "${redactUrl(repoURL)}" is not a Helm repository URL (http:// or https://)`,
    );
  }
  return repoURL.replace(/\/+$/, "");
}

export function createHelmRepositoryCache(options: HelmRepositoryOptions): HelmRepositoryCache {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const maxIndexBytes = options.maxIndexBytes ?? 64 * MiB;
  const maxArchiveBytes = options.maxArchiveBytes ?? 32 * MiB;
  const limits: TarLimits = { maxEntries: 10_000, maxBytes: 100 * MiB, ...options.extractLimits };
  const archivesDir = path.join(path.resolve(options.cacheDir), "helm", "archives");
  const treesDir = path.resolve(options.treesDir ?? path.join(options.cacheDir, "trees"));
  const trees = new TreeStore(treesDir, { lingerMs: options.treeLingerMs ?? 10_000 });
  const indexes = new Map<string, CachedIndex>();
  const mutex = new KeyedMutex();
  const counts = { indexDownloads: 0, indexNotModified: 0, archiveDownloads: 0 };

  async function currentIndex(base: string, maxAgeMs: number | undefined) {
    return mutex.run(`index\n${base}`, async () => {
      const known = indexes.get(base);
      if (known && maxAgeMs !== undefined && Date.now() - known.at < maxAgeMs) {
        return { entries: known.entries, fetched: false };
      }
      const shown = redactUrl(base);
      const got = await boundedGet(`${base}/index.yaml`, {
        maxBytes: maxIndexBytes,
        timeoutMs,
        fetcher: options.fetcher,
        what: `index.yaml of Helm repository "${shown}"`,
        etag: known?.etag,
        lastModified: known?.lastModified,
      }).catch((error: unknown) => {
        // An index that cannot be read now must not be reused as "recent" by the next caller.
        if (known) known.at = Number.NEGATIVE_INFINITY;
        throw error;
      });
      if (got.status === "not-modified" && known) {
        counts.indexNotModified += 1;
        known.at = Date.now();
        return { entries: known.entries, fetched: false };
      }
      if (got.status === "not-modified") {
        throw new SourceError(
          "RepositoryUnreachable",
          `index.yaml of Helm repository "${shown}": answered 304 Not Modified to a request without a validator`,
        );
      }
      counts.indexDownloads += 1;
      const entries = await parseIndexEntriesByChart(got.body.toString("utf8"), shown);
      indexes.set(base, { at: Date.now(), entries, etag: got.etag, lastModified: got.lastModified });
      return { entries, fetched: true };
    });
  }

  async function resolve(
    repoURL: string,
    chart: string,
    targetRevision: string | undefined,
    resolveOptions: { maxAgeMs?: number } = {},
  ) {
    const base = helmRepositoryBase(repoURL);
    const shown = redactUrl(base);
    const { entries, fetched } = await currentIndex(base, resolveOptions.maxAgeMs);
    const entry = resolveChartVersion(entries, chart, targetRevision, shown);
    const digest = entry.digest.replace(/^sha256:/, "").toLowerCase();
    if (!SHA256_HEX.test(digest)) {
      throw new SourceError(
        "DigestMismatch",
        `Helm repository "${shown}": chart "${chart}" ${entry.version} has no sha256 digest in the index, so its archive cannot be verified`,
      );
    }
    const resolved: ResolvedChart = {
      name: chart,
      version: entry.version,
      digest,
      url: chartArchiveUrl(entry, base),
      created: entry.created,
    };
    return { chart: resolved, fetched };
  }

  /** The archive's bytes, from the disk cache or the repository, verified against the digest. */
  async function archiveOf(chart: ResolvedChart): Promise<Buffer> {
    const file = path.join(archivesDir, `${chart.digest}.tgz`);
    const sha256 = (data: Buffer) => createHash("sha256").update(data).digest("hex");
    if (existsSync(file)) {
      const cached = await fs.readFile(file);
      if (sha256(cached) === chart.digest) return cached;
      await fs.rm(file, { force: true }); // damaged on disk: fetch it again
    }
    const what = `chart "${chart.name}" ${chart.version}`;
    const got = await boundedGet(chart.url, {
      maxBytes: maxArchiveBytes,
      timeoutMs,
      fetcher: options.fetcher,
      what,
    });
    if (got.status !== "ok")
      throw new SourceError("RepositoryUnreachable", `${what}: unexpected 304 for ${redactUrl(chart.url)}`);
    counts.archiveDownloads += 1;
    const actual = sha256(got.body);
    if (actual !== chart.digest) {
      throw new SourceError(
        "DigestMismatch",
        `${what}: the archive at ${redactUrl(chart.url)} has sha256 ${actual}, the repository index says ${chart.digest}; refused`,
      );
    }
    await fs.mkdir(archivesDir, { recursive: true });
    const temp = `${file}.${process.pid}.${Date.now()}.tmp`;
    await fs.writeFile(temp, got.body);
    await fs.rename(temp, file);
    return got.body;
  }

  async function acquireTree(repoURL: string, chart: ResolvedChart): Promise<SourceTree> {
    const shown = redactUrl(helmRepositoryBase(repoURL));
    return trees.acquire(`chart-${chart.digest}`, async (into) => {
      const archive = await mutex.run(`archive\n${chart.digest}`, () => archiveOf(chart));
      await extractChartArchive(archive, into, chart.name, limits).catch((error: unknown) => {
        if (!(error instanceof TarRefused)) throw error;
        throw new SourceError(
          "UnsafeArchive",
          `Helm repository "${shown}": chart "${chart.name}" ${chart.version}: archive refused: ${error.message}`,
        );
      });
    });
  }

  return {
    resolve,
    acquireTree,
    releaseIdleTrees: () => trees.drain(),
    get stats() {
      return { ...counts };
    },
  };
}
