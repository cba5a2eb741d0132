// Fake nodes for kwok. kwok manages Nodes carrying its annotation: it keeps their status Ready,
// renews their leases, and moves Pods bound to them to Running/Ready — no kubelet, no containers.
import type { V1Node } from "@kubernetes/client-node";

export const KWOK_NODE_ANNOTATION = "kwok.x-k8s.io/node";

export function kwokNode(name: string): V1Node {
  const resources = { cpu: "32", memory: "256Gi", pods: "110" };
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name,
      annotations: { [KWOK_NODE_ANNOTATION]: "fake", "node.alpha.kubernetes.io/ttl": "0" },
      labels: {
        "kubernetes.io/arch": "amd64",
        "kubernetes.io/os": "linux",
        "kubernetes.io/hostname": name,
        "node-role.kubernetes.io/agent": "",
        type: "kwok",
      },
    },
    // No NoSchedule taint: ordinary workloads (the demo's nginx) must land on these nodes.
    spec: {},
    status: {
      allocatable: resources,
      capacity: resources,
      nodeInfo: {
        architecture: "amd64",
        bootID: "",
        containerRuntimeVersion: "kwok",
        kernelVersion: "",
        kubeProxyVersion: "kwok",
        kubeletVersion: "kwok",
        machineID: "",
        operatingSystem: "linux",
        osImage: "",
        systemUUID: "",
      },
      phase: "Running",
    },
  };
}

export function nodeIsReady(node: V1Node): boolean {
  return node.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;
}
