// Logs of one of the application's Pods (the API refuses pods outside the app).
import { useEffect, useState } from "react";
import type { ResourceNode } from "../../api/types";
import { api } from "../api";
import { ErrorText } from "./dialog";

export function podsIn(nodes: readonly ResourceNode[]): ResourceNode[] {
  const pods: ResourceNode[] = [];
  const visit = (n: ResourceNode) => {
    if (n.group === "" && n.kind === "Pod") pods.push(n);
    n.children.forEach(visit);
  };
  nodes.forEach(visit);
  return pods;
}

export function LogsView(props: {
  namespace: string;
  name: string;
  pods: ResourceNode[];
  initialPod?: string;
}) {
  const [pod, setPod] = useState(props.initialPod ?? props.pods[0]?.name ?? "");
  const [text, setText] = useState<string>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const podNamespace = props.pods.find((p) => p.name === pod)?.namespace;

  const load = async () => {
    if (!pod) return;
    setBusy(true);
    setError(undefined);
    try {
      setText(await api.logs(props.namespace, props.name, pod, podNamespace));
    } catch (err) {
      setText(undefined);
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  useEffect(() => {
    void load();
  }, [pod]);

  if (props.pods.length === 0) return <p className="muted">This application has no pods.</p>;
  return (
    <div>
      <div className="toolbar">
        <label>
          Pod{" "}
          <select value={pod} onChange={(e) => setPod(e.target.value)}>
            {props.pods.map((p) => (
              <option key={`${p.namespace ?? ""}/${p.name}`} value={p.name}>
                {p.name}
              </option>
            ))}
          </select>
        </label>
        <button type="button" onClick={() => void load()} disabled={busy}>
          Reload logs
        </button>
      </div>
      <ErrorText error={error} />
      {text !== undefined ? (
        <pre className="logs" aria-label={`Logs of pod ${pod}`} tabIndex={0}>
          {text || "(no output)"}
        </pre>
      ) : null}
    </div>
  );
}
