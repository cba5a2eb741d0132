// The resource tree of an app: what its status lists as managed, plus the children found live by
// ownerReferences (Deployment → ReplicaSet → Pod, StatefulSet/DaemonSet/Job → Pod, CronJob → Job),
// each with the health the engine computes from the live object.
import type { KubernetesObject } from "@kubernetes/client-node";
import type { KubeClients } from "../kube/client.js";
import type { ResourceClient } from "../kube/resources.js";
import { collectionPath } from "../kube/resources.js";
import { resourceHealth } from "../engine/health/index.js";
import type { KubeObject } from "../engine/health/index.js";
import type { Application, ResourceStatus } from "../model/application.js";
import type { ResourceNode } from "./types.js";

/** Kinds whose children the tree looks up live; keyed `group/kind`. */
const CHILD_KINDS: Record<string, { apiVersion: string; kind: string }[]> = {
  "apps/Deployment": [{ apiVersion: "apps/v1", kind: "ReplicaSet" }],
  "apps/ReplicaSet": [{ apiVersion: "v1", kind: "Pod" }],
  "apps/StatefulSet": [{ apiVersion: "v1", kind: "Pod" }],
  "apps/DaemonSet": [{ apiVersion: "v1", kind: "Pod" }],
  "batch/Job": [{ apiVersion: "v1", kind: "Pod" }],
  "batch/CronJob": [{ apiVersion: "batch/v1", kind: "Job" }],
};

const MAX_DEPTH = 4;

function groupOf(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf("/");
  return slash < 0
    ? { group: "", version: apiVersion }
    : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

function nodeOf(
  live: KubernetesObject,
  fallback: { group: string; version: string; kind: string; namespace?: string; name: string },
): ResourceNode {
  const { group, version } = live.apiVersion ? groupOf(live.apiVersion) : fallback;
  return {
    group,
    version,
    kind: live.kind ?? fallback.kind,
    ...((live.metadata?.namespace ?? fallback.namespace)
      ? { namespace: live.metadata?.namespace ?? fallback.namespace }
      : {}),
    name: live.metadata?.name ?? fallback.name,
    ...(live.metadata?.uid ? { uid: live.metadata.uid } : {}),
    health: resourceHealth(live as KubeObject),
    children: [],
  };
}

export class TreeBuilder {
  private readonly listed = new Map<string, Promise<KubernetesObject[]>>();

  constructor(
    private readonly clients: KubeClients,
    private readonly resources: ResourceClient,
  ) {}

  /** One list per (kind, namespace) per tree, shared by every parent that asks. */
  private listIn(apiVersion: string, kind: string, namespace: string): Promise<KubernetesObject[]> {
    const key = `${apiVersion}/${kind}/${namespace}`;
    let found = this.listed.get(key);
    if (!found) {
      found = this.resources.info(apiVersion, kind).then(async (info) => {
        const list = await this.clients.raw.request<{ items: KubernetesObject[] }>({
          method: "GET",
          path: collectionPath(info, namespace),
        });
        return list.items.map((item) => ({ ...item, apiVersion, kind }));
      });
      this.listed.set(key, found);
    }
    return found;
  }

  private async children(node: ResourceNode, depth: number): Promise<ResourceNode[]> {
    const kinds = CHILD_KINDS[`${node.group}/${node.kind}`];
    if (!kinds || !node.uid || !node.namespace || depth >= MAX_DEPTH) return [];
    const result: ResourceNode[] = [];
    for (const child of kinds) {
      const items = await this.listIn(child.apiVersion, child.kind, node.namespace);
      for (const item of items) {
        if (!item.metadata?.ownerReferences?.some((ref) => ref.uid === node.uid)) continue;
        const childNode = nodeOf(item, { ...groupOf(child.apiVersion), kind: child.kind, name: "" });
        childNode.children = await this.children(childNode, depth + 1);
        result.push(childNode);
      }
    }
    return result.sort((a, b) => a.name.localeCompare(b.name));
  }

  private async managedNode(resource: ResourceStatus): Promise<ResourceNode> {
    const version = resource.version ?? "v1";
    const apiVersion = resource.group ? `${resource.group}/${version}` : version;
    const fallback = { group: resource.group, version, kind: resource.kind, name: resource.name, ...(resource.namespace ? { namespace: resource.namespace } : {}) }; // prettier-ignore
    let live: KubernetesObject | undefined;
    try {
      live = await this.resources.read({
        apiVersion,
        kind: resource.kind,
        namespace: resource.namespace,
        name: resource.name,
      });
    } catch {
      live = undefined; // an unknown kind or a failed read shows as Missing rather than failing the tree
    }
    const node: ResourceNode = live
      ? nodeOf(live, fallback)
      : { ...fallback, health: resourceHealth(undefined), children: [] };
    node.sync = resource.status;
    node.children = await this.children(node, 1);
    return node;
  }

  async build(app: Application): Promise<ResourceNode[]> {
    return Promise.all((app.status?.resources ?? []).map((r) => this.managedNode(r)));
  }
}

/** Every Pod (namespace/name) anywhere in the tree. */
export function podsOf(nodes: readonly ResourceNode[]): Set<string> {
  const pods = new Set<string>();
  const visit = (node: ResourceNode) => {
    if (node.group === "" && node.kind === "Pod") pods.add(`${node.namespace ?? ""}/${node.name}`);
    node.children.forEach(visit);
  };
  nodes.forEach(visit);
  return pods;
}
