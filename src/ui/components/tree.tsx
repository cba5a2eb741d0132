// The resource tree: the Application, the resources it manages, and their children found live
// (Deployment → ReplicaSet → Pods). Each node is coloured by health and shows its message.
import type { ApplicationDetail, ResourceNode } from "../../api/types";
import { HealthBadge, SyncBadge } from "./badges";

function Node({ node, onLogs }: { node: ResourceNode; onLogs: (pod: ResourceNode) => void }) {
  const label = `${node.kind} ${node.name}`;
  return (
    <li className={`node health-${node.health.status}`} data-kind={node.kind} data-name={node.name}>
      <div
        className="node-box"
        aria-label={`${label}: ${node.health.status}${node.sync ? `, ${node.sync}` : ""}`}
      >
        <div className="node-title">
          <span className="kind">{node.kind}</span> <span className="name">{node.name}</span>
        </div>
        <div className="node-badges">
          <HealthBadge status={node.health.status} />
          {node.sync ? <SyncBadge status={node.sync} /> : null}
          {node.group === "" && node.kind === "Pod" ? (
            <button
              type="button"
              className="small"
              onClick={() => onLogs(node)}
              aria-label={`Logs of pod ${node.name}`}
            >
              Logs
            </button>
          ) : null}
        </div>
        {node.health.message ? <div className="node-message">{node.health.message}</div> : null}
      </div>
      {node.children.length > 0 ? (
        <ul>
          {node.children.map((child) => (
            <Node key={`${child.kind}/${child.namespace ?? ""}/${child.name}`} node={child} onLogs={onLogs} />
          ))}
        </ul>
      ) : null}
    </li>
  );
}

export function ResourceTreeView(props: {
  app: ApplicationDetail;
  nodes: ResourceNode[];
  onLogs: (pod: ResourceNode) => void;
}) {
  const { app } = props;
  return (
    <div className="tree" aria-label="Resource tree">
      <ul>
        <li className={`node root health-${app.health}`} data-kind="Application" data-name={app.name}>
          <div className="node-box">
            <div className="node-title">
              <span className="kind">Application</span> <span className="name">{app.name}</span>
            </div>
            <div className="node-badges">
              <HealthBadge status={app.health} />
              <SyncBadge status={app.sync} />
            </div>
            {app.healthMessage ? <div className="node-message">{app.healthMessage}</div> : null}
          </div>
          {props.nodes.length > 0 ? (
            <ul>
              {props.nodes.map((node) => (
                <Node
                  key={`${node.kind}/${node.namespace ?? ""}/${node.name}`}
                  node={node}
                  onLogs={props.onLogs}
                />
              ))}
            </ul>
          ) : (
            <p className="muted">No resources yet.</p>
          )}
        </li>
      </ul>
    </div>
  );
}
