// The resource tree of an app: what its status lists as managed, plus the children found live by
// ownerReferences (Deployment → ReplicaSet → Pod, StatefulSet/DaemonSet/Job → Pod, CronJob → Job),
// each with the health the engine computes from the live object. Only what the app's project
// permits is read (LiveReads): a refused object is a node with "not permitted" and no children.
import type { KubernetesObject } from "@kubernetes/client-node";
import { resourceHealth } from "../engine/health/index.js";
import { type UnstructuredObject, splitApiVersion } from "../model/ref.js";
import type { Application, ResourceStatus } from "../model/application.js";
import type { LiveReads } from "./live.js";
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

function nodeOf(
  live: KubernetesObject,
  fallback: { group: string; version: string; kind: string; namespace?: string; name: string },
): ResourceNode {
  const { group, version } = live.apiVersion ? splitApiVersion(live.apiVersion) : fallback;
  return {
    group,
    version,
    kind: live.kind ?? fallback.kind,
    ...((live.metadata?.namespace ?? fallback.namespace)
      ? { namespace: live.metadata?.namespace ?? fallback.namespace }
      : {}),
    name: live.metadata?.name ?? fallback.name,
    ...(live.metadata?.uid ? { uid: live.metadata.uid } : {}),
    health: resourceHealth(live as UnstructuredObject),
    children: [],
  };
}

export class TreeBuilder {
  /** Every read goes through `live`: refused objects are named, never read; children only in permitted namespaces. */
  constructor(private readonly live: LiveReads) {}

  private async children(node: ResourceNode, depth: number): Promise<ResourceNode[]> {
    const kinds = CHILD_KINDS[`${node.group}/${node.kind}`];
    if (!kinds || !node.uid || !node.namespace || depth >= MAX_DEPTH) return [];
    const result: ResourceNode[] = [];
    for (const child of kinds) {
      const items = await this.live.listIn(child.apiVersion, child.kind, node.namespace);
      for (const item of items) {
        if (!item.metadata?.ownerReferences?.some((ref) => ref.uid === node.uid)) continue;
        const childNode = nodeOf(item, { ...splitApiVersion(child.apiVersion), kind: child.kind, name: "" });
        childNode.children = await this.children(childNode, depth + 1);
        result.push(childNode);
      }
    }
    return result.sort((a, b) => a.name.localeCompare(b.name));
  }

  private async managedNode(resource: ResourceStatus): Promise<ResourceNode> {
    const version = resource.version ?? "v1";
    const fallback = {
      group: resource.group,
      version,
      kind: resource.kind,
      name: resource.name,
      ...(resource.namespace ? { namespace: resource.namespace } : {}),
    };
    const read = await this.live.managed(resource);
    if (read.state === "refused") {
      // Named only: its sync and health are the controller's view of an object this app may not see.
      return {
        ...fallback,
        health: { status: "Unknown", message: read.message },
        sync: "Unknown",
        permitted: false,
        children: [],
      };
    }
    // An unknown kind or a failed read shows as Missing rather than failing the tree.
    const node: ResourceNode =
      read.state === "live"
        ? nodeOf(read.object, fallback)
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
