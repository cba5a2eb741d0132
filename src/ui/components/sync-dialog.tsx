// The Sync dialog: prune, dry run, and which resources (all by default). A dry run shows what would
// change without asking the controller to do anything.
import { lazy, Suspense, useState } from "react";
import type { ApplicationDetail, DiffResponse, SyncRequest } from "../../api/types";
import { api } from "../api";
import { Dialog, ErrorText } from "./dialog";

const DiffView = lazy(() => import("./diff"));

const resourceId = (r: { group: string; kind: string; namespace?: string; name: string }) =>
  `${r.group}/${r.kind}/${r.namespace ?? ""}/${r.name}`;

export function SyncDialog(props: {
  app: ApplicationDetail;
  open: boolean;
  dark: boolean;
  onClose: () => void;
  onDone: (message: string) => void;
}) {
  const { app } = props;
  const [prune, setPrune] = useState(false);
  const [dryRun, setDryRun] = useState(false);
  const [selected, setSelected] = useState<Set<string>>(() => new Set(app.resources.map(resourceId)));
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [preview, setPreview] = useState<DiffResponse>();

  const all = selected.size === app.resources.length;
  const toggle = (id: string) => {
    const next = new Set(selected);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    setSelected(next);
  };

  const submit = async () => {
    setBusy(true);
    setError(undefined);
    setPreview(undefined);
    const request: SyncRequest = {
      prune,
      ...(all
        ? {}
        : {
            resources: app.resources
              .filter((r) => selected.has(resourceId(r)))
              .map((r) => ({
                group: r.group,
                kind: r.kind,
                name: r.name,
                ...(r.namespace ? { namespace: r.namespace } : {}),
              })),
          }),
    };
    try {
      if (dryRun) setPreview(await api.dryRun(app.namespace, app.name, request));
      else {
        await api.sync(app.namespace, app.name, request);
        props.onDone("Sync requested");
        props.onClose();
      }
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog title={`Sync ${app.name}`} open={props.open} onClose={props.onClose} wide={preview !== undefined}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <fieldset>
          <legend>Options</legend>
          <label className="check">
            <input type="checkbox" checked={prune} onChange={(e) => setPrune(e.target.checked)} /> Prune
            (delete resources no longer in Git)
          </label>
          <label className="check">
            <input type="checkbox" checked={dryRun} onChange={(e) => setDryRun(e.target.checked)} /> Dry run
            (show what would change, change nothing)
          </label>
        </fieldset>
        {app.resources.length > 0 ? (
          <fieldset className="resources">
            <legend>Resources</legend>
            <label className="check">
              <input
                type="checkbox"
                checked={all}
                onChange={() => setSelected(all ? new Set() : new Set(app.resources.map(resourceId)))}
              />{" "}
              All resources
            </label>
            {app.resources.map((r) => {
              const id = resourceId(r);
              return (
                <label key={id} className="check">
                  <input type="checkbox" checked={selected.has(id)} onChange={() => toggle(id)} /> {r.kind}{" "}
                  <span className="mono">{r.name}</span>{" "}
                  <span className={`badge sync-${r.status}`}>{r.status}</span>
                </label>
              );
            })}
          </fieldset>
        ) : null}
        <ErrorText error={error} />
        {preview ? (
          <section aria-label="Dry run result" className="preview">
            <h3>Dry run: {preview.resources.length} resource(s) would change</h3>
            <Suspense fallback={<p>Loading diff…</p>}>
              <DiffView diff={preview} dark={props.dark} />
            </Suspense>
          </section>
        ) : null}
        <div className="actions">
          <button type="button" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={busy || selected.size === 0}>
            {dryRun ? "Preview" : "Synchronize"}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
