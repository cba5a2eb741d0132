// One application: summary and conditions, actions (Sync, Refresh, Edit, Delete), and tabs for the
// resource tree, the diff, history (Roll back), Events and Pod logs. Every part reloads when the
// event stream reports a change of this app.
import { lazy, Suspense, useState } from "react";
import type { ResourceNode } from "../../api/types";
import { api } from "../api";
import { HealthBadge, SyncBadge } from "../components/badges";
import { Dialog, ErrorText } from "../components/dialog";
import { EventsView } from "../components/events";
import { HistoryView } from "../components/history";
import { Link } from "../components/link";
import { LogsView, podsIn } from "../components/logs";
import { SyncDialog } from "../components/sync-dialog";
import { ResourceTreeView } from "../components/tree";
import { repositoryWebUrl, shortRevision } from "../links";
import type { DetailTab } from "../router";
import { appUrl, DETAIL_TABS, navigate } from "../router";
import { useApplications } from "../stream";
import { useApi } from "../use-api";

const DiffView = lazy(() => import("../components/diff"));

const TAB_LABEL: Record<DetailTab, string> = {
  tree: "Resource tree",
  diff: "Diff",
  history: "History",
  events: "Events",
  logs: "Logs",
};

export function DetailPage(props: {
  namespace: string;
  name: string;
  tab: DetailTab;
  dark: boolean;
  notify: (m: string) => void;
}) {
  const { namespace, name, tab } = props;
  const live = useApplications().byKey.get(`${namespace}/${name}`);
  const detail = useApi(() => api.get(namespace, name), [namespace, name, live]);
  const needsTree = tab === "tree" || tab === "logs";
  const tree = useApi(
    () => (needsTree ? api.tree(namespace, name) : Promise.resolve(undefined)),
    [namespace, name, live, needsTree],
  );
  const diff = useApi(
    () => (tab === "diff" ? api.diff(namespace, name) : Promise.resolve(undefined)),
    [namespace, name, live, tab],
  );
  const events = useApi(
    () => (tab === "events" ? api.events(namespace, name) : Promise.resolve(undefined)),
    [namespace, name, live, tab],
  );
  const [syncOpen, setSyncOpen] = useState(false);
  const [deleteOpen, setDeleteOpen] = useState(false);
  const [cascade, setCascade] = useState(true);
  const [logPod, setLogPod] = useState<string>();
  const [actionError, setActionError] = useState<unknown>();

  const app = detail.data;
  if (!app) {
    return (
      <main id="main" className="page">
        <h1>{name}</h1>
        {detail.error ? <ErrorText error={detail.error} /> : <p>Loading…</p>}
      </main>
    );
  }

  const refresh = async () => {
    setActionError(undefined);
    try {
      await api.refresh(namespace, name);
      props.notify("Refresh requested");
    } catch (err) {
      setActionError(err);
    }
  };
  const remove = async () => {
    try {
      await api.remove(namespace, name, cascade);
      props.notify(`Deleting ${name}`);
      navigate("/applications");
    } catch (err) {
      setActionError(err);
      setDeleteOpen(false);
    }
  };
  const showLogs = (pod: ResourceNode) => {
    setLogPod(pod.name);
    navigate(appUrl(namespace, name, "logs"));
  };
  const repoWeb = repositoryWebUrl(app.repoURL);
  const dest = app.destination;
  // Every condition Tether sets True says something is wrong or waiting (errors, violations,
  // closed sync windows, dependencies): show them all.
  const problems = app.conditions.filter((c) => c.status === "True");
  const violations = app.policyViolations ?? [];

  return (
    <main id="main" className="page">
      <nav aria-label="Breadcrumb" className="crumbs">
        <Link to="/applications">Applications</Link> / <span>{app.namespace}</span>
      </nav>
      <div className="page-head">
        <h1 className="app-title">{app.name}</h1>
        <SyncBadge status={app.sync} />
        <HealthBadge status={app.health} />
        <div className="actions grow-left">
          <button type="button" className="primary" onClick={() => setSyncOpen(true)}>
            Sync
          </button>
          <button type="button" onClick={() => void refresh()}>
            Refresh
          </button>
          <Link to={appUrl(namespace, name, "edit")} className="button">
            Edit
          </Link>
          <button type="button" className="danger" onClick={() => setDeleteOpen(true)}>
            Delete
          </button>
        </div>
      </div>
      <ErrorText error={actionError} />

      <dl className="facts">
        <div>
          <dt>Project</dt>
          <dd>{app.project}</dd>
        </div>
        <div>
          <dt>Repository</dt>
          <dd className="mono wrap">
            {repoWeb ? (
              <a href={repoWeb} target="_blank" rel="noopener noreferrer">
                {app.repoURL}
              </a>
            ) : (
              app.repoURL
            )}
          </dd>
        </div>
        <div>
          <dt>Path</dt>
          <dd className="mono">{app.path ?? "—"}</dd>
        </div>
        <div>
          <dt>Target revision</dt>
          <dd className="mono">{app.targetRevision ?? "HEAD"}</dd>
        </div>
        <div>
          <dt>Revision</dt>
          <dd className="mono" data-testid="revision" title={app.revision}>
            {(app.revision && shortRevision(app.revision)) ?? "—"}
          </dd>
        </div>
        <div>
          <dt>Destination</dt>
          <dd>
            {dest?.name || dest?.server || "—"} / {dest?.namespace ?? "—"}
          </dd>
        </div>
      </dl>
      {app.healthMessage ? <p className="muted">{app.healthMessage}</p> : null}
      {problems.length > 0 ? (
        <ul className="conditions" aria-label="Conditions">
          {problems.map((c) => (
            <li key={c.type} className="condition">
              <strong>{c.type}</strong> ({c.reason}): {c.message}
            </li>
          ))}
        </ul>
      ) : null}
      {violations.length > 0 ? (
        <table className="violations" aria-label="Policy violations">
          <caption>Policy violations</caption>
          <thead>
            <tr>
              <th scope="col">Object</th>
              <th scope="col">Rule</th>
              <th scope="col">Enforcement</th>
              <th scope="col">Message</th>
            </tr>
          </thead>
          <tbody>
            {violations.map((v) => (
              <tr key={`${v.ref.kind}/${v.ref.namespace ?? ""}/${v.ref.name}/${v.rule}`} data-rule={v.rule}>
                <td>
                  {v.ref.kind} {v.ref.namespace ? `${v.ref.namespace}/` : ""}
                  {v.ref.name}
                </td>
                <td>
                  <code>{v.rule}</code>
                </td>
                <td>{v.enforcement}</td>
                <td>{v.message}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}

      <nav className="tabs" aria-label="Application views">
        {DETAIL_TABS.map((t) => (
          <Link key={t} to={appUrl(namespace, name, t === "tree" ? undefined : t)} current={t === tab}>
            {TAB_LABEL[t]}
            {t === "diff" && app.sync === "OutOfSync" ? (
              <span className="dot" aria-label="(out of sync)">
                {" "}
                ●
              </span>
            ) : null}
          </Link>
        ))}
      </nav>

      <section className="tab-panel" aria-label={TAB_LABEL[tab]}>
        {tab === "tree" ? (
          tree.data ? (
            <ResourceTreeView app={app} nodes={tree.data.nodes} onLogs={showLogs} />
          ) : (
            <ErrorText error={tree.error} />
          )
        ) : null}
        {tab === "diff" ? (
          diff.data ? (
            <Suspense fallback={<p>Loading diff…</p>}>
              <DiffView diff={diff.data} dark={props.dark} />
            </Suspense>
          ) : (
            <ErrorText error={diff.error} />
          )
        ) : null}
        {tab === "history" ? <HistoryView app={app} onDone={props.notify} /> : null}
        {tab === "events" ? (
          events.data ? (
            <EventsView events={events.data.items} />
          ) : (
            <ErrorText error={events.error} />
          )
        ) : null}
        {tab === "logs" && tree.data ? (
          <LogsView
            namespace={namespace}
            name={name}
            pods={podsIn(tree.data.nodes)}
            {...(logPod ? { initialPod: logPod } : {})}
          />
        ) : null}
      </section>

      {syncOpen ? (
        <SyncDialog
          app={app}
          open={syncOpen}
          dark={props.dark}
          onClose={() => setSyncOpen(false)}
          onDone={props.notify}
        />
      ) : null}
      <Dialog title={`Delete ${app.name}`} open={deleteOpen} onClose={() => setDeleteOpen(false)}>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void remove();
          }}
        >
          <p>Delete the application {app.name}?</p>
          <label className="check">
            <input type="checkbox" checked={cascade} onChange={(e) => setCascade(e.target.checked)} /> Also
            delete the resources it manages
          </label>
          <div className="actions">
            <button type="button" onClick={() => setDeleteOpen(false)}>
              Cancel
            </button>
            <button type="submit" className="primary danger">
              Delete
            </button>
          </div>
        </form>
      </Dialog>
    </main>
  );
}
