// Application → API views (summary, detail). Pure.
import type { Application, ResourceStatus } from "../model/application.js";
import type { ApplicationDetail, ApplicationSummary } from "./types.js";

export function summaryOf(app: Application): ApplicationSummary {
  const source = app.spec?.source;
  return {
    name: app.metadata.name,
    namespace: app.metadata.namespace ?? "",
    project: app.spec?.project || "default",
    repoURL: source?.repoURL ?? "",
    ...(source?.path !== undefined ? { path: source.path } : {}),
    ...(source?.targetRevision !== undefined ? { targetRevision: source.targetRevision } : {}),
    sync: app.status?.sync?.status ?? "Unknown",
    health: app.status?.health?.status ?? "Unknown",
    ...(app.status?.sync?.revision ? { revision: app.status.sync.revision } : {}),
    ...(app.status?.reconciledAt ? { reconciledAt: app.status.reconciledAt } : {}),
    ...(app.metadata.labels ? { labels: app.metadata.labels } : {}),
    ...(app.spec?.destination ? { destination: destinationOf(app.spec.destination) } : {}),
  };
}

function destinationOf(d: {
  server?: string;
  name?: string;
  namespace?: string;
}): ApplicationSummary["destination"] {
  return {
    ...(d.server !== undefined ? { server: d.server } : {}),
    ...(d.name !== undefined ? { name: d.name } : {}),
    ...(d.namespace !== undefined ? { namespace: d.namespace } : {}),
  };
}

/**
 * The detail view. `refusedOf` names the resources the app's project refuses (LiveReads.decide):
 * those keep their name, but the sync, health and diff the controller computed from the live object
 * are withheld, so the API never answers what an object outside the project looks like.
 */
export function detailOf(
  app: Application,
  refusedOf: (resource: ResourceStatus) => string | undefined = () => undefined,
): ApplicationDetail {
  const status = app.status ?? {};
  const resources = (status.resources ?? []).map((r) => {
    const refused = refusedOf(r);
    if (refused === undefined) return r;
    const { health: _health, diff: _diff, ...named } = r;
    return { ...named, status: "Unknown" as const, message: refused, permitted: false as const };
  });
  return {
    ...summaryOf(app),
    ...(app.metadata.uid ? { uid: app.metadata.uid } : {}),
    ...(app.metadata.resourceVersion ? { resourceVersion: app.metadata.resourceVersion } : {}),
    ...(app.metadata.annotations ? { annotations: app.metadata.annotations } : {}),
    spec: app.spec as unknown as Record<string, unknown>,
    conditions: status.conditions ?? [],
    resources,
    history: (status.history ?? []).map((entry) => {
      // The source each entry deployed stays in the CRD; the view keeps the commit facts.
      const { source: _source, ...rest } = entry;
      return rest;
    }),
    ...(status.operationState
      ? { operationState: status.operationState as unknown as Record<string, unknown> }
      : {}),
    ...(status.health?.message ? { healthMessage: status.health.message } : {}),
    ...(status.controller?.replica ? { replica: status.controller.replica } : {}),
    policyViolations: status.policyViolations ?? [],
  };
}

export interface ListFilter {
  project?: string;
  sync?: string;
  health?: string;
  /** `key=value` or `key` (exists). */
  labels?: string[];
}

export function matchesFilter(app: Application, filter: ListFilter): boolean {
  const summary = summaryOf(app);
  if (filter.project && summary.project !== filter.project) return false;
  if (filter.sync && summary.sync !== filter.sync) return false;
  if (filter.health && summary.health !== filter.health) return false;
  for (const label of filter.labels ?? []) {
    const eq = label.indexOf("=");
    const key = eq < 0 ? label : label.slice(0, eq);
    const value = app.metadata.labels?.[key];
    if (value === undefined || (eq >= 0 && value !== label.slice(eq + 1))) return false;
  }
  return true;
}
