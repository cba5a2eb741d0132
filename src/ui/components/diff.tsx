// Side-by-side diff per drifted resource (react-diff-viewer-continued). Loaded lazily: the list page
// does not pay for the diff engine.
import ReactDiffViewer from "react-diff-viewer-continued";
import type { DiffResponse } from "../../api/types";
import { gitSideOf } from "../drift";

/** The viewer fixes its title row's height, which clips the titles in our font: let it grow. */
const TITLE_FIT = { titleBlock: { height: "auto", overflow: "visible" } };

export default function DiffView({ diff, dark }: { diff: DiffResponse; dark: boolean }) {
  if (diff.resources.length === 0) {
    return <p data-testid="no-drift">No differences: every resource matches Git.</p>;
  }
  return (
    <div className="diffs">
      {diff.resources.map((r) => {
        const id = `${r.kind}/${r.namespace ?? ""}/${r.name}`;
        return (
          <section
            key={id}
            className="diff"
            aria-label={`Diff of ${r.kind} ${r.name}`}
            data-resource={`${r.kind}/${r.name}`}
          >
            <h3>
              {r.kind}{" "}
              <span className="mono">
                {r.namespace ? `${r.namespace}/` : ""}
                {r.name}
              </span>{" "}
              <span className={`badge sync-${r.status}`}>{r.status}</span>
            </h3>
            {r.message ? <p className="muted">{r.message}</p> : null}
            <p>
              Fields that differ from Git:{" "}
              {r.fields.length ? (
                r.fields.map((f) => (
                  <code key={f} className="field">
                    {f}
                  </code>
                ))
              ) : (
                <span className="muted">not reported</span>
              )}
            </p>
            {r.liveYaml !== undefined ? (
              <ReactDiffViewer
                oldValue={r.liveYaml}
                newValue={r.desiredYaml ?? gitSideOf(r.liveYaml, r.fields)}
                splitView
                leftTitle="Live (cluster)"
                rightTitle={
                  r.desiredYaml !== undefined
                    ? "Git (desired, after sync)"
                    : "Git (desired): fields that differ marked"
                }
                useDarkTheme={dark}
                disableWorker
                styles={TITLE_FIT}
                extraLinesSurroundingDiff={4}
                showDiffOnly
              />
            ) : (
              <p className="muted">The object is missing from the cluster.</p>
            )}
          </section>
        );
      })}
      <p className="muted small">{diff.note}</p>
    </div>
  );
}
