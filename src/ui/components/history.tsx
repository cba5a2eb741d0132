// Deployment history: commit (linked to the forge when the repository URL is http(s)), author,
// message, times, result; Roll back from an entry.
import { useState } from "react";
import type { ApplicationDetail, HistoryEntryView } from "../../api/types";
import { api } from "../api";
import { commitUrl, shortRevision } from "../links";
import { Dialog, ErrorText } from "./dialog";

function Commit({ repoURL, sha }: { repoURL: string; sha: string }) {
  const href = commitUrl(repoURL, sha);
  const short = shortRevision(sha);
  return href ? (
    <a
      href={href}
      target="_blank"
      rel="noopener noreferrer"
      className="mono"
      title={sha}
      aria-label={`commit ${sha}`}
    >
      {short}
    </a>
  ) : (
    <span className="mono" title={sha}>
      {short}
    </span>
  );
}

const when = (iso?: string) => (iso ? new Date(iso).toLocaleString() : "—");

export function HistoryView({ app, onDone }: { app: ApplicationDetail; onDone: (message: string) => void }) {
  const [target, setTarget] = useState<HistoryEntryView>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const entries = [...app.history].reverse(); // newest first
  const paused = app.conditions.find((c) => c.type === "AutoSyncPaused" && c.status === "True");

  const rollback = async (id: number | "cancel") => {
    setBusy(true);
    setError(undefined);
    try {
      await api.rollback(app.namespace, app.name, id);
      setTarget(undefined);
      onDone(id === "cancel" ? "Asked to follow Git again" : `Rollback to history entry ${id} requested`);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div>
      {paused ? (
        <div className="notice" role="note">
          <p>{paused.message}</p>
          <button type="button" onClick={() => void rollback("cancel")} disabled={busy}>
            Follow Git again
          </button>
        </div>
      ) : null}
      {!target ? <ErrorText error={error} /> : null}
      {entries.length === 0 ? (
        <p className="muted">No syncs yet.</p>
      ) : (
        <table className="grid history">
          <caption className="visually-hidden">Deployment history, newest first</caption>
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">Commit</th>
              <th scope="col">Author</th>
              <th scope="col">Message</th>
              <th scope="col">Deployed</th>
              <th scope="col">Result</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {entries.map((h) => (
              <tr key={h.id} data-history={h.id}>
                <td>{h.id}</td>
                <td>
                  <Commit repoURL={app.repoURL} sha={h.revision} />
                </td>
                <td>{h.author ?? "—"}</td>
                <td className="wrap commit-message">{h.message ?? ""}</td>
                <td className="small">
                  {when(h.deployedAt)}
                  <div className="muted">{h.initiatedBy}</div>
                </td>
                <td>
                  <span className={`badge result-${h.result}`}>{h.result}</span>
                </td>
                <td>
                  <button
                    type="button"
                    onClick={() => setTarget(h)}
                    aria-label={`Roll back to history entry ${h.id} (${shortRevision(h.revision)})`}
                  >
                    Roll back
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Dialog title="Roll back" open={target !== undefined} onClose={() => setTarget(undefined)}>
        {target ? (
          <form
            method="dialog"
            onSubmit={(e) => {
              e.preventDefault();
              void rollback(target.id);
            }}
          >
            <p>
              Sync <strong>{app.name}</strong> to history entry {target.id}, commit{" "}
              <span className="mono">{shortRevision(target.revision)}</span>
              {target.message ? <> ({target.message})</> : null}, and stop following Git until you ask again
              or the spec changes.
            </p>
            <ErrorText error={error} />
            <div className="actions">
              <button type="button" onClick={() => setTarget(undefined)}>
                Cancel
              </button>
              <button type="submit" className="primary danger" disabled={busy}>
                Roll back to {shortRevision(target.revision)}
              </button>
            </div>
          </form>
        ) : null}
      </Dialog>
    </div>
  );
}
