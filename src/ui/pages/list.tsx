// The application list: live (event stream), filtered by project, cluster, namespace, search text,
// sync and health, with counts by status. Rows are memoized: an update re-renders only its row.
import { memo, useDeferredValue, useId, useMemo, useState } from "react";
import type { ApplicationSummary } from "../../api/types";
import { HealthBadge, SyncBadge } from "../components/badges";
import type { ListFilter } from "../filter";
import { shortRevision } from "../links";
import {
  clusterOf,
  countBy,
  destNamespaceOf,
  distinct,
  filterFromSearch,
  matchesScope,
  matchesStatus,
  searchOf,
} from "../filter";
import { appUrl, navigate } from "../router";
import { Link } from "../components/link";
import { appKey, useApplications } from "../stream";

const SYNC_CODES = ["Synced", "OutOfSync", "Unknown"] as const;
const HEALTH_CODES = ["Healthy", "Progressing", "Degraded", "Suspended", "Missing", "Unknown"] as const;

const Row = memo(function Row({ app }: { app: ApplicationSummary }) {
  return (
    <tr data-app={appKey(app)}>
      <td>
        <Link to={appUrl(app.namespace, app.name)} className="app-name">
          {app.name}
        </Link>
        <div className="muted small">{app.namespace}</div>
      </td>
      <td>{app.project}</td>
      <td>
        <SyncBadge status={app.sync} />
      </td>
      <td>
        <HealthBadge status={app.health} />
      </td>
      <td className="wrap">
        <span className="mono small">{app.repoURL}</span>
        {app.path ? <div className="muted small">{app.path}</div> : null}
      </td>
      <td className="small">
        {clusterOf(app)}
        <div className="muted">{destNamespaceOf(app)}</div>
      </td>
      <td className="mono small">{(app.revision && shortRevision(app.revision)) ?? "—"}</td>
    </tr>
  );
});

function Select(props: {
  label: string;
  value: string;
  options: readonly string[];
  onChange: (v: string) => void;
  counts?: Map<string, number>;
}) {
  const id = useId();
  return (
    <div className="filter">
      <label htmlFor={id}>{props.label}</label>
      <select id={id} value={props.value} onChange={(e) => props.onChange(e.target.value)}>
        <option value="">All</option>
        {props.options.map((o) => (
          <option key={o} value={o}>
            {o}
            {props.counts ? ` (${props.counts.get(o) ?? 0})` : ""}
          </option>
        ))}
      </select>
    </div>
  );
}

export function ListPage({ search }: { search: URLSearchParams }) {
  const { apps, state } = useApplications();
  const [filter, setFilterState] = useState<ListFilter>(() => filterFromSearch(search));
  const setFilter = (patch: Partial<ListFilter>) => {
    const next = { ...filter, ...patch };
    setFilterState(next);
    navigate(`/applications${searchOf(next)}`, { replace: true });
  };
  // Typing stays responsive with 1,000 rows: the table follows the text at React's lower priority.
  const deferred = useDeferredValue(filter);

  const options = useMemo(
    () => ({
      projects: distinct(apps.map((a) => a.project)),
      clusters: distinct(apps.map(clusterOf)),
      namespaces: distinct(apps.map(destNamespaceOf)),
    }),
    [apps],
  );
  const scoped = useMemo(() => apps.filter((a) => matchesScope(a, deferred)), [apps, deferred]);
  const shown = useMemo(() => scoped.filter((a) => matchesStatus(a, deferred)), [scoped, deferred]);
  const syncCounts = useMemo(() => countBy(scoped, (a) => a.sync), [scoped]);
  const healthCounts = useMemo(() => countBy(scoped, (a) => a.health), [scoped]);

  return (
    <main id="main" className="page">
      <div className="page-head">
        <h1>Applications</h1>
        <span className={`stream stream-${state}`} role="status" aria-live="polite">
          {state === "live" ? "● live" : state === "connecting" ? "connecting…" : "reconnecting…"}
        </span>
        <Link to="/new" className="button primary">
          New application
        </Link>
      </div>

      <section aria-label="Counts by status" className="counts">
        {SYNC_CODES.map((s) => (
          <button
            key={s}
            type="button"
            aria-pressed={filter.sync === s}
            className={`count sync-${s}`}
            onClick={() => setFilter({ sync: filter.sync === s ? "" : s })}
          >
            <span className="n" data-count={`sync-${s}`}>
              {syncCounts.get(s) ?? 0}
            </span>{" "}
            {s}
          </button>
        ))}
        <span className="sep" aria-hidden="true" />
        {HEALTH_CODES.map((h) => (
          <button
            key={h}
            type="button"
            aria-pressed={filter.health === h}
            className={`count health-${h}`}
            onClick={() => setFilter({ health: filter.health === h ? "" : h })}
          >
            <span className="n" data-count={`health-${h}`}>
              {healthCounts.get(h) ?? 0}
            </span>{" "}
            {h}
          </button>
        ))}
      </section>

      <div role="search" className="filters" aria-label="Filter applications">
        <label className="filter grow">
          Search
          <input
            type="search"
            aria-label="Search"
            placeholder="name, repository, path, label…"
            value={filter.q}
            onChange={(e) => setFilter({ q: e.target.value })}
          />
        </label>
        <Select
          label="Project"
          value={filter.project}
          options={options.projects}
          onChange={(project) => setFilter({ project })}
        />
        <Select
          label="Cluster"
          value={filter.cluster}
          options={options.clusters}
          onChange={(cluster) => setFilter({ cluster })}
        />
        <Select
          label="Namespace"
          value={filter.namespace}
          options={options.namespaces}
          onChange={(namespace) => setFilter({ namespace })}
        />
        <Select
          label="Sync"
          value={filter.sync}
          options={SYNC_CODES}
          counts={syncCounts}
          onChange={(sync) => setFilter({ sync })}
        />
        <Select
          label="Health"
          value={filter.health}
          options={HEALTH_CODES}
          counts={healthCounts}
          onChange={(health) => setFilter({ health })}
        />
      </div>

      <p className="muted" role="status" data-testid="shown-count">
        {shown.length} of {apps.length} applications
      </p>
      <table className="grid apps">
        <caption className="visually-hidden">Applications</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Project</th>
            <th scope="col">Sync</th>
            <th scope="col">Health</th>
            <th scope="col">Source</th>
            <th scope="col">Destination</th>
            <th scope="col">Revision</th>
          </tr>
        </thead>
        <tbody>
          {shown.map((app) => (
            <Row key={appKey(app)} app={app} />
          ))}
        </tbody>
      </table>
      {state === "live" && apps.length === 0 ? <p>No applications yet.</p> : null}
    </main>
  );
}
