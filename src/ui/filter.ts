// The list page's filtering, pure: search text, project, cluster, namespace, sync and health.
import type { ApplicationSummary } from "../api/types.js";

export interface ListFilter {
  q: string;
  project: string;
  cluster: string;
  namespace: string;
  sync: string;
  health: string;
}

export const FILTER_KEYS = ["q", "project", "cluster", "namespace", "sync", "health"] as const;

export function filterFromSearch(search: URLSearchParams): ListFilter {
  const get = (k: string) => search.get(k) ?? "";
  return {
    q: get("q"),
    project: get("project"),
    cluster: get("cluster"),
    namespace: get("namespace"),
    sync: get("sync"),
    health: get("health"),
  };
}

export function searchOf(filter: ListFilter): string {
  const params = new URLSearchParams();
  for (const key of FILTER_KEYS) if (filter[key]) params.set(key, filter[key]);
  const text = params.toString();
  return text ? `?${text}` : "";
}

/** The cluster an app deploys to, as shown: the destination's name, else its server URL. */
export const clusterOf = (a: ApplicationSummary) =>
  a.destination?.name || a.destination?.server || "https://kubernetes.default.svc";
export const destNamespaceOf = (a: ApplicationSummary) => a.destination?.namespace ?? "";

function matchesText(a: ApplicationSummary, q: string): boolean {
  if (!q) return true;
  const haystack = [
    a.name,
    a.namespace,
    a.project,
    a.repoURL,
    a.path ?? "",
    a.targetRevision ?? "",
    destNamespaceOf(a),
    ...Object.entries(a.labels ?? {}).map(([k, v]) => `${k}=${v}`),
  ];
  return q
    .toLowerCase()
    .split(/\s+/)
    .filter(Boolean)
    .every((word) => haystack.some((h) => h.toLowerCase().includes(word)));
}

/** Everything but the sync/health choice: the set the status counts are taken over. */
export function matchesScope(a: ApplicationSummary, f: ListFilter): boolean {
  return (
    (!f.project || a.project === f.project) &&
    (!f.cluster || clusterOf(a) === f.cluster) &&
    (!f.namespace || destNamespaceOf(a) === f.namespace) &&
    matchesText(a, f.q)
  );
}

export function matchesStatus(a: ApplicationSummary, f: ListFilter): boolean {
  return (!f.sync || a.sync === f.sync) && (!f.health || a.health === f.health);
}

export function countBy<T extends string>(
  apps: readonly ApplicationSummary[],
  of: (a: ApplicationSummary) => T,
): Map<T, number> {
  const counts = new Map<T, number>();
  for (const a of apps) counts.set(of(a), (counts.get(of(a)) ?? 0) + 1);
  return counts;
}

export const distinct = (values: Iterable<string>) => [...new Set(values)].filter(Boolean).sort();
