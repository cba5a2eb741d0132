// deploy/server-rbac.yaml gives `tether server` what the API does and nothing like apply rights:
// installed under unique names (a stand-in for tether-system, renamed cluster roles and
// aggregation label, so parallel runs never collide), the real apiserver's SubjectAccessReviews
// say the ServiceAccount may serve Applications, read live objects but no Secret outside its
// namespace, write only its own Secrets, and create no Deployment or ClusterRole.
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import path from "node:path";
import { test } from "node:test";
import type { KubernetesObject, V1ClusterRole } from "@kubernetes/client-node";
import { AuthorizationV1Api, RbacAuthorizationV1Api } from "@kubernetes/client-node";
import { ResourceClient } from "../../src/kube/resources.js";
import { waitFor } from "../../src/lib/wait.js";
import { clients, testNamespace, uniqueName } from "../helpers/environment.js";
import { DEPLOY_DIR, parseObjects } from "../helpers/manifests.js";

const AGGREGATE_LABEL = "tether.dev/aggregate-to-server-live";

interface RbacObject extends KubernetesObject {
  roleRef?: { kind: string; name: string };
  subjects?: { kind: string; name: string; namespace?: string }[];
  aggregationRule?: { clusterRoleSelectors?: { matchLabels?: Record<string, string> }[] };
}

/**
 * deploy/server-rbac.yaml with tether-system → `namespace`, the objects named tether-server* →
 * `prefix`*, and the aggregation label made unique (Secret names in rules stay as they are).
 */
async function serverRbac(namespace: string, prefix: string): Promise<RbacObject[]> {
  const text = await fs.readFile(path.join(DEPLOY_DIR, "server-rbac.yaml"), "utf8");
  const rename = (name: string) => {
    assert.match(name, /^tether-server/, `deploy/server-rbac.yaml: name ${name}`);
    return name.replace(/^tether-server/, prefix);
  };
  const renameNs = (ns: string | undefined) => {
    assert.equal(ns, "tether-system", "deploy/server-rbac.yaml: namespace");
    return namespace;
  };
  const label = `tether.dev/aggregate-to-${prefix}`;
  const relabel = (labels: Record<string, string> | undefined) =>
    labels &&
    Object.fromEntries(Object.entries(labels).map(([k, v]) => [k === AGGREGATE_LABEL ? label : k, v]));
  return (parseObjects(text) as RbacObject[]).map((o) => ({
    ...o,
    metadata: {
      ...o.metadata,
      name: rename(o.metadata?.name ?? ""),
      ...(o.metadata?.namespace !== undefined ? { namespace: renameNs(o.metadata.namespace) } : {}),
      ...(o.metadata?.labels ? { labels: relabel(o.metadata.labels) } : {}),
    },
    ...(o.roleRef ? { roleRef: { ...o.roleRef, name: rename(o.roleRef.name) } } : {}),
    ...(o.subjects
      ? {
          subjects: o.subjects.map((x) => ({ ...x, name: rename(x.name), namespace: renameNs(x.namespace) })),
        }
      : {}),
    ...(o.aggregationRule
      ? {
          aggregationRule: {
            clusterRoleSelectors: o.aggregationRule.clusterRoleSelectors?.map((c) => ({
              matchLabels: relabel(c.matchLabels),
            })),
          },
        }
      : {}),
  }));
}

test("deploy/server-rbac.yaml: the server may serve the API and nothing like apply", async (t) => {
  const admin = clients();
  const resources = new ResourceClient(admin);
  const systemNamespace = await testNamespace(t, "tether-system");
  const appNs = await testNamespace(t, "apps");
  const prefix = uniqueName("tsrv");
  const objects = await serverRbac(systemNamespace, prefix);
  assert.deepEqual(objects.map((o) => o.kind).sort(), [
    "ClusterRole",
    "ClusterRole",
    "ClusterRole",
    "ClusterRoleBinding",
    "ClusterRoleBinding",
    "Role",
    "RoleBinding",
    "ServiceAccount",
  ]);
  // No wildcard verbs or groups, and no Secrets outside the Role: the server holds no apply rights.
  for (const o of objects as (KubernetesObject & V1ClusterRole)[]) {
    for (const rule of o.rules ?? []) {
      const where = `${o.kind} ${o.metadata?.name}`;
      assert.ok(!rule.verbs.includes("*") && !(rule.apiGroups ?? []).includes("*"), `${where}: no wildcard`);
      if (o.kind === "ClusterRole")
        assert.ok(!(rule.resources ?? []).includes("secrets"), `${where}: no Secrets`);
    }
  }
  t.after(async () => {
    for (const o of objects.filter((x) => x.kind?.startsWith("Cluster"))) {
      const ref = { apiVersion: o.apiVersion ?? "", kind: o.kind ?? "", name: o.metadata?.name ?? "" };
      await resources.remove(ref, "Background").catch(() => undefined);
    }
  });
  for (const o of objects) await resources.apply(o, { force: true });
  // kube-controller-manager fills in the aggregated role.
  await waitFor(
    `ClusterRole ${prefix}-live aggregated`,
    async () => {
      const role = await admin.kube
        .makeApiClient(RbacAuthorizationV1Api)
        .readClusterRole({ name: `${prefix}-live` });
      return (role.rules ?? []).length > 0;
    },
    { timeoutMs: 30_000 },
  );

  const auth = admin.kube.makeApiClient(AuthorizationV1Api);
  const user = `system:serviceaccount:${systemNamespace}:${prefix}`;
  const can = async (
    verb: string,
    resource: string,
    namespace?: string,
    group = "",
    subresource?: string,
    name?: string,
  ) => {
    const review = await auth.createSubjectAccessReview({
      body: { spec: { user, resourceAttributes: { verb, group, resource, subresource, namespace, name } } },
    });
    return review.status?.allowed === true;
  };
  type Check = [
    verb: string,
    resource: string,
    namespace: string | undefined,
    group?: string,
    subresource?: string,
    name?: string,
    allowed?: boolean,
  ];
  const expected: Check[] = [
    // Applications, wherever they live: the API reads, creates, edits, annotates and deletes them.
    ["list", "applications", undefined, "tether.dev"],
    ["watch", "applications", undefined, "tether.dev"],
    ["create", "applications", appNs, "tether.dev"],
    ["update", "applications", appNs, "tether.dev"],
    ["patch", "applications", appNs, "tether.dev"],
    ["delete", "applications", appNs, "tether.dev"],
    ["list", "applicationsets", appNs, "tether.dev"],
    ["list", "events", appNs],
    ["get", "pods", appNs, "", "log"],
    // Live objects for the diff and tree, read only.
    ["get", "deployments", appNs, "apps"],
    ["list", "replicasets", appNs, "apps"],
    ["list", "pods", appNs],
    ["get", "configmaps", appNs],
    ["get", "customresourcedefinitions", undefined, "apiextensions.k8s.io"],
    ["list", "endpointslices", appNs, "discovery.k8s.io"],
    // Its own state in the system namespace.
    ["get", "secrets", systemNamespace],
    ["list", "secrets", systemNamespace],
    ["watch", "secrets", systemNamespace],
    ["create", "secrets", systemNamespace],
    ["update", "secrets", systemNamespace, "", undefined, "tether-sessions"],
    ["patch", "secrets", systemNamespace, "", undefined, "tether-accounts"],
    ["delete", "secrets", systemNamespace, "", undefined, "tether-initial-admin"],
    ["update", "secrets", systemNamespace, "", undefined, "tether-server-keys"],
    ["update", "secrets", systemNamespace, "", undefined, "tether-api-tokens"],
    ["watch", "configmaps", systemNamespace],
    ["list", "appprojects", systemNamespace, "tether.dev"],
    // And nothing more: no writes to workloads, RBAC, projects or status; no Secret of others;
    // no Secret of its namespace but its own written.
    ["create", "deployments", appNs, "apps", undefined, undefined, false],
    ["patch", "deployments", appNs, "apps", undefined, undefined, false],
    ["delete", "pods", appNs, "", undefined, undefined, false],
    ["create", "pods", appNs, "", "exec", undefined, false],
    ["create", "clusterroles", undefined, "rbac.authorization.k8s.io", undefined, undefined, false],
    ["create", "rolebindings", systemNamespace, "rbac.authorization.k8s.io", undefined, undefined, false],
    ["update", "applications", appNs, "tether.dev", "status", undefined, false],
    ["create", "applicationsets", appNs, "tether.dev", undefined, undefined, false],
    ["create", "appprojects", systemNamespace, "tether.dev", undefined, undefined, false],
    ["update", "appprojects", systemNamespace, "tether.dev", undefined, undefined, false],
    ["get", "secrets", appNs, "", undefined, undefined, false],
    ["list", "secrets", undefined, "", undefined, undefined, false],
    ["update", "secrets", systemNamespace, "", undefined, "tether-webhook", false],
    ["update", "secrets", systemNamespace, "", undefined, "tether-repo-credentials", false],
    ["update", "configmaps", systemNamespace, "", undefined, undefined, false],
    ["create", "configmaps", systemNamespace, "", undefined, undefined, false],
    ["patch", "namespaces", undefined, "", undefined, undefined, false],
    ["create", "events", appNs, "", undefined, undefined, false],
  ];
  const wrong: string[] = [];
  for (const [verb, resource, namespace, group, subresource, name, allowed = true] of expected) {
    if ((await can(verb, resource, namespace, group, subresource, name)) !== allowed)
      wrong.push(
        `${allowed ? "cannot" : "can"} ${verb} ${group ? `${group}/` : ""}${resource}${subresource ? `/${subresource}` : ""}${name ? ` ${name}` : ""} in ${namespace ?? "all namespaces"}`,
      );
  }
  assert.deepEqual(wrong, []);
});
