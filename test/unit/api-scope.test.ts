// liveScopeOf: what the API may read for an app, by the project rules the controller uses.
import assert from "node:assert/strict";
import { test } from "node:test";
import { liveScopeOf } from "../../src/api/scope.js";
import type { ScopedRef } from "../../src/api/scope.js";
import { IN_CLUSTER_NAME, IN_CLUSTER_SERVER, placementOf } from "../../src/engine/policy/project.js";
import type { AppProject, AppProjectSpec } from "../../src/model/appproject.js";
import type { Application } from "../../src/model/application.js";

const SYSTEM = "tether-system";
const app = (over: { namespace?: string; destination?: Record<string, string> } = {}): Application => ({
  apiVersion: "tether.dev/v1alpha1",
  kind: "Application",
  metadata: { name: "attack", namespace: over.namespace ?? "apps" },
  spec: {
    project: "team-a",
    source: { repoURL: "https://git.example.com/a.git" },
    destination: over.destination ?? { server: IN_CLUSTER_SERVER, namespace: "team-a-dev" },
  },
});
const project = (spec: AppProjectSpec): AppProject => ({
  apiVersion: "tether.dev/v1alpha1",
  kind: "AppProject",
  metadata: { name: "team-a", namespace: SYSTEM },
  spec,
});
const TEAM_A: AppProjectSpec = {
  sourceNamespaces: ["apps"],
  sourceRepos: ["*"],
  destinations: [{ server: "*", namespace: "team-a-*" }],
};
const scopeOf = (
  spec: AppProjectSpec | undefined,
  a = app(),
  cluster = { server: IN_CLUSTER_SERVER, name: IN_CLUSTER_NAME },
) =>
  liveScopeOf({
    app: a,
    projectName: "team-a",
    project: spec && project(spec),
    systemNamespace: SYSTEM,
    placement: placementOf({ ...a.spec.destination, ...cluster }, a.metadata.namespace ?? "default"),
  });
const ref = (kind: string, namespace: string | undefined, group = "", name = "x"): ScopedRef => ({
  group,
  kind,
  name,
  namespaced: namespace !== undefined,
  ...(namespace !== undefined ? { namespace } : {}),
});
const permitted = (scope: ReturnType<typeof scopeOf>, r: ScopedRef) => scope.object(r).permitted;

test("the attack: objects in other tenants' namespaces are refused, the app's own are read", () => {
  const scope = scopeOf(TEAM_A);
  assert.equal(scope.refusedAll, undefined);
  assert.equal(permitted(scope, ref("ConfigMap", "team-a-dev")), true);
  assert.equal(permitted(scope, ref("ConfigMap", "team-a-other")), true, "any namespace the globs permit");
  const victim = scope.object(ref("ConfigMap", "team-b-prod", "", "victim-config"));
  assert.equal(victim.permitted, false);
  assert.match(
    !victim.permitted ? victim.message : "",
    /^not permitted: project "team-a": ConfigMap team-b-prod\/victim-config: namespace team-b-prod is not permitted by spec.destinations$/,
  );
  assert.equal(permitted(scope, ref("Deployment", "demo", "apps")), false);
  assert.equal(scope.namespace("demo"), false, "no children listed in demo");
  assert.equal(scope.namespace("team-a-dev"), true);
  assert.equal(scope.namespace(""), false, "no cluster-wide listing");
});

test("cluster-scoped kinds need the cluster whitelist; blacklists win; namespaced kinds by their lists", () => {
  assert.equal(permitted(scopeOf(TEAM_A), ref("ClusterRole", undefined, "rbac.authorization.k8s.io")), false);
  assert.equal(permitted(scopeOf(TEAM_A), ref("Namespace", undefined)), false);
  const wide = scopeOf({
    ...TEAM_A,
    clusterResourceWhitelist: [{ group: "*", kind: "*" }],
    clusterResourceBlacklist: [{ group: "", kind: "Namespace" }],
  });
  assert.equal(permitted(wide, ref("ClusterRole", undefined, "rbac.authorization.k8s.io")), true);
  assert.equal(permitted(wide, ref("Namespace", undefined)), false);
  const noSecrets = scopeOf({ ...TEAM_A, namespaceResourceBlacklist: [{ group: "", kind: "Secret" }] });
  assert.equal(permitted(noSecrets, ref("Secret", "team-a-dev")), false);
  assert.equal(permitted(noSecrets, ref("ConfigMap", "team-a-dev")), true);
  const onlyCm = scopeOf({ ...TEAM_A, namespaceResourceWhitelist: [{ group: "", kind: "ConfigMap" }] });
  assert.equal(permitted(onlyCm, ref("Secret", "team-a-dev")), false);
});

test("a namespaced kind without a namespace is refused (discovery decides namespaced, never the status)", () => {
  assert.equal(
    permitted(scopeOf(TEAM_A), { group: "", kind: "ConfigMap", name: "x", namespaced: true }),
    false,
  );
});

test("no project, an invalid one, or one that refuses the app itself: nothing is read", () => {
  for (const [what, scope] of [
    ["missing project", scopeOf(undefined)],
    ["app namespace not in sourceNamespaces", scopeOf({ ...TEAM_A, sourceNamespaces: ["other"] })],
    ["repo not in sourceRepos", scopeOf({ ...TEAM_A, sourceRepos: ["https://elsewhere/*"] })],
    [
      "destination refused",
      scopeOf(TEAM_A, app({ destination: { server: IN_CLUSTER_SERVER, namespace: "team-b-prod" } })),
    ],
    [
      "invalid sync window",
      scopeOf({ ...TEAM_A, syncWindows: [{ kind: "allow", schedule: "nonsense", duration: "1h" }] }),
    ],
  ] as const) {
    assert.match(scope.refusedAll ?? "", /^not permitted: project "team-a"/, what);
    assert.equal(permitted(scope, ref("ConfigMap", "team-a-dev")), false, what);
    assert.equal(scope.namespace("team-a-dev"), false, what);
  }
});

test("another cluster: destination rules match its server or its name; deny rules win", () => {
  const remote = { server: "https://prod.example.com:6443", name: "prod" };
  const byName = scopeOf(
    { ...TEAM_A, destinations: [{ name: "prod", namespace: "team-a-*" }] },
    app({ destination: { name: "prod", namespace: "team-a-dev" } }),
    remote,
  );
  assert.equal(permitted(byName, ref("ConfigMap", "team-a-dev")), true);
  const inClusterOnly = scopeOf(
    { ...TEAM_A, destinations: [{ server: IN_CLUSTER_SERVER, namespace: "*" }] },
    app({ destination: { name: "prod", namespace: "team-a-dev" } }),
    remote,
  );
  assert.ok(inClusterOnly.refusedAll, "a project limited to in-cluster reads nothing on another cluster");
  const denied = scopeOf({
    ...TEAM_A,
    destinations: [
      { server: "*", namespace: "*" },
      { server: "*", namespace: "!kube-system" },
    ],
  });
  assert.equal(permitted(denied, ref("Secret", "kube-system")), false);
  assert.equal(denied.namespace("kube-system"), false);
  assert.equal(permitted(denied, ref("Secret", "anything")), true);
});
