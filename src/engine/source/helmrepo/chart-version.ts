// spec.source.targetRevision → one version of a chart in a Helm repository's index: an exact
// version, or a semver range (`~0.1`, `>=1.2 <2`, `1.x`). Prereleases count only when the range
// itself names one (semver's own rule, as helm does); empty, `*` or `HEAD` mean the latest stable
// version. Pure: the index is a value.
import semver from "semver";
import { SourceError } from "../../errors.js";
import type { ChartVersionEntry, IndexEntries } from "./index-entries.js";

const LATEST = new Set(["", "*", "HEAD", "latest"]);
/** A chart name as helm accepts it: one path segment. */
export const CHART_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export function resolveChartVersion(
  entries: IndexEntries,
  chart: string,
  targetRevision: string | undefined,
  repoURL: string,
): ChartVersionEntry {
  // One path segment of safe characters, as helm names charts: the name becomes a folder of the
  // extracted tree, so `../x` would have written the archive outside it.
  if (!CHART_NAME.test(chart)) {
    throw new SourceError(
      "InvalidSpec",
      `spec.source.chart ${JSON.stringify(chart)} is not a chart name (letters, digits, '.', '_' and '-', starting with a letter or digit)`,
    );
  }
  const wanted = (targetRevision ?? "").trim();
  const versions = entries.get(chart);
  if (!versions || versions.length === 0) {
    throw new SourceError(
      "RevisionNotFound",
      `Helm repository "${repoURL}": spec.source.chart "${chart}" is not in the repository's index`,
    );
  }
  // An exact match first (also for versions semver cannot parse, as the index writes them).
  const exact = versions.find((v) => v.version === wanted || v.version === wanted.replace(/^v/, ""));
  if (exact && !LATEST.has(wanted)) return exact;
  const range = LATEST.has(wanted) ? "*" : wanted;
  if (semver.validRange(range) === null) {
    throw new SourceError(
      "RevisionNotFound",
      `Helm repository "${repoURL}": spec.source.targetRevision "${wanted}" of chart "${chart}" is neither a version in the index nor a semver range`,
    );
  }
  let best: { entry: ChartVersionEntry; parsed: semver.SemVer } | undefined;
  for (const entry of versions) {
    const parsed = semver.parse(entry.version, { loose: true });
    if (!parsed || !semver.satisfies(parsed, range)) continue;
    if (!best || semver.gt(parsed, best.parsed)) best = { entry, parsed };
  }
  if (!best) {
    const known = versions
      .map((v) => v.version)
      .slice(0, 5)
      .join(", ");
    const what = LATEST.has(wanted) ? "has no stable version" : `has no version matching "${wanted}"`;
    throw new SourceError(
      "RevisionNotFound",
      `Helm repository "${repoURL}": spec.source.targetRevision: chart "${chart}" ${what} (index has ${versions.length}: ${known}${versions.length > 5 ? ", …" : ""})`,
    );
  }
  return best.entry;
}

/** The archive URL of a version: index URLs may be absolute or relative to the repository. */
export function chartArchiveUrl(entry: ChartVersionEntry, repoURL: string): string {
  const [first] = entry.urls;
  if (!first) {
    throw new SourceError(
      "RevisionNotFound",
      `Helm repository "${repoURL}": chart "${entry.name}" ${entry.version} has no download URL in the index`,
    );
  }
  const base = repoURL.endsWith("/") ? repoURL : `${repoURL}/`;
  const url = new URL(first, base);
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new SourceError(
      "UnsupportedURL",
      `Helm repository "${repoURL}": chart "${entry.name}" ${entry.version} has a download URL that is not http(s): ${JSON.stringify(first)}`,
    );
  }
  return url.toString();
}
