// The local control plane behaves like a real cluster: controllers reconcile, the scheduler binds,
// kwok makes Pods Running, and namespace deletion garbage-collects everything inside.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { V1Deployment } from "@kubernetes/client-node";
import { errorStatus } from "../../src/kube/client.js";
import { waitFor } from "../../src/lib/wait.js";
import { clients, testNamespace } from "../helpers/environment.js";

function nginx(namespace: string, replicas: number): V1Deployment {
  const labels = { app: "hello" };
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "hello", namespace, labels },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: { containers: [{ name: "nginx", image: "nginx:1.27-alpine", ports: [{ containerPort: 80 }] }] },
      },
    },
  };
}

describe("local control plane", () => {
  test("kwok nodes are Ready", async () => {
    const nodes = await clients().core.listNode();
    const kwok = nodes.items.filter((n) => n.metadata?.annotations?.["kwok.x-k8s.io/node"] === "fake");
    assert.ok(kwok.length >= 1, "at least one kwok node");
    for (const node of kwok) {
      const ready = node.status?.conditions?.find((c) => c.type === "Ready");
      assert.equal(ready?.status, "True", `node ${node.metadata?.name} Ready`);
    }
  });

  test("a 2-replica nginx Deployment gets 2 Running pods on a kwok node and becomes Available", async (t) => {
    const namespace = await testNamespace(t);
    const { apps, core } = clients();
    await apps.createNamespacedDeployment({ namespace, body: nginx(namespace, 2) });

    const deployment = await waitFor(
      "Deployment hello Available with 2 ready replicas",
      async () => {
        const d = await apps.readNamespacedDeployment({ name: "hello", namespace });
        const available = d.status?.conditions?.find((c) => c.type === "Available")?.status === "True";
        return available && d.status?.readyReplicas === 2 ? d : undefined;
      },
      { timeoutMs: 60_000 },
    );
    assert.equal(deployment.status?.availableReplicas, 2);

    const pods = await core.listNamespacedPod({ namespace, labelSelector: "app=hello" });
    assert.equal(pods.items.length, 2);
    const nodes = await core.listNode();
    const kwokNodes = new Set(
      nodes.items
        .filter((n) => n.metadata?.annotations?.["kwok.x-k8s.io/node"] === "fake")
        .map((n) => n.metadata?.name),
    );
    for (const pod of pods.items) {
      assert.equal(pod.status?.phase, "Running", `pod ${pod.metadata?.name} Running`);
      assert.ok(kwokNodes.has(pod.spec?.nodeName), `pod ${pod.metadata?.name} is on a kwok node`);
      assert.equal(pod.status?.conditions?.find((c) => c.type === "Ready")?.status, "True");
    }
  });

  test("deleting a namespace removes everything in it", async (t) => {
    const namespace = await testNamespace(t);
    const { apps, core } = clients();
    await apps.createNamespacedDeployment({ namespace, body: nginx(namespace, 1) });
    await core.createNamespacedConfigMap({
      namespace,
      body: { metadata: { name: "settings" }, data: { a: "1" } },
    });
    await waitFor(
      "a Running pod",
      async () => {
        const pods = await core.listNamespacedPod({ namespace });
        return pods.items.some((p) => p.status?.phase === "Running");
      },
      { timeoutMs: 60_000 },
    );

    await core.deleteNamespace({ name: namespace });
    await waitFor(
      `namespace ${namespace} to be gone`,
      async () => {
        try {
          await core.readNamespace({ name: namespace });
          return false;
        } catch (error) {
          if (errorStatus(error) === 404) return true;
          throw error;
        }
      },
      { timeoutMs: 90_000 },
    );
    const leftover = await core.listPodForAllNamespaces({ fieldSelector: `metadata.namespace=${namespace}` });
    assert.equal(leftover.items.length, 0, "no pods left");
    const deployments = await apps.listDeploymentForAllNamespaces({
      fieldSelector: `metadata.namespace=${namespace}`,
    });
    assert.equal(deployments.items.length, 0, "no deployments left");
  });
});
