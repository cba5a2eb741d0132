// How a chart from a Helm repository looks to the rest of the pipeline. Status, history and
// rollback know a revision as a string with author, date and message: for a chart the string is
// its version (`sync.revision: 0.1.0`, and a rollback resolves that exact version again), and the
// message carries the archive digest, so what was deployed is identified to the byte. The
// renderer gets the extracted chart as a chart in a folder: it needs no repository and no network.
import type { ApplicationSource } from "../../../model/application.js";
import { redactUrl } from "../gitcli.js";
import type { ResolvedChart } from "./repository.js";

/** `chart` with a repoURL that is not `oci://`: a Helm HTTP repository (Argo CD's meaning). */
export function isHelmRepositorySource(source: ApplicationSource): boolean {
  return Boolean(source.chart) && !source.repoURL.startsWith("oci://");
}

export function chartRevision(chart: ResolvedChart, repoURL: string, fetched: boolean) {
  return {
    commit: chart.version,
    ref: `${chart.name}-${chart.version}`,
    author: "",
    date: chart.created,
    // Status and history are readable by anyone who can read the app: never a password.
    message: `chart ${chart.name} ${chart.version} (sha256:${chart.digest}) from ${redactUrl(repoURL)}`,
    fetched,
    chart,
  };
}

/**
 * What the renderer is asked: the chart's folder in the tree (helmrepo/extract.ts puts it at
 * `<chart>/`), as a chart in Git would be; value files are then relative to the chart, as in
 * Argo CD. The render cache's "commit" names the digest, so another archive under the same
 * version (a republished chart) is another render.
 */
export function chartRenderSource(
  source: ApplicationSource,
  chart: ResolvedChart,
): { commit: string; source: ApplicationSource } {
  return {
    commit: `${chart.name}-${chart.version}@sha256:${chart.digest}`,
    source: { ...source, chart: undefined, path: chart.name, targetRevision: undefined },
  };
}
