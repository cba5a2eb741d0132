// AppProjects on the real control plane: the controller creates `default` at start; an app names
// a project that must exist and allow its repository, destination and every kind it renders. A
// violation is a ProjectViolation condition naming project, field and object, and nothing is
// applied or pruned; changing the project re-evaluates its apps at once.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { ProjectStore } from "../../src/controller/projects.js";
import type { AppProject, AppProjectSpec } from "../../src/model/appproject.js";
import type { ControllerFixture } from "../helpers/app.js";
import { condition, configMap, IN_CLUSTER, isGone, startControllerFixture } from "../helpers/app.js";
import { clients, uniqueName } from "../helpers/environment.js";

const PROJECTS = { group: "tether.dev", version: "v1alpha1", plural: "appprojects" } as const;

function clusterRole(name: string): string {
  return `apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: ${name}\nrules:\n  - apiGroups: [""]\n    resources: ["configmaps"]\n    verbs: ["get"]\n`;
}

const roleRef = (name: string) => ({
  apiVersion: "rbac.authorization.k8s.io/v1",
  kind: "ClusterRole",
  metadata: { name },
});
const readClusterRole = (name: string) => clients().objects.read(roleRef(name));
const deleteClusterRole = (name: string) =>
  clients()
    .objects.delete(roleRef(name))
    .catch(() => undefined);

function resourceQuota(name: string): string {
  return `apiVersion: v1\nkind: ResourceQuota\nmetadata:\n  name: ${name}\nspec:\n  hard:\n    pods: "10"\n`;
}

describe("controller: AppProjects", () => {
  let fx: ControllerFixture;
  let systemNs: string;

  before(async () => {
    fx = await startControllerFixture("ctl-proj");
    systemNs = fx.controller.systemNamespace;
  });
  after(() => fx?.stop());

  const readProject = async (name: string) =>
    (await clients().custom.getNamespacedCustomObject({
      ...PROJECTS,
      namespace: systemNs,
      name,
    })) as AppProject;
  const createProject = (name: string, spec: AppProjectSpec) =>
    clients().custom.createNamespacedCustomObject({
      ...PROJECTS,
      namespace: systemNs,
      body: { apiVersion: "tether.dev/v1alpha1", kind: "AppProject", metadata: { name }, spec },
    });
  const replaceProjectSpec = async (name: string, spec: AppProjectSpec) => {
    const live = await readProject(name);
    await clients().custom.replaceNamespacedCustomObject({
      ...PROJECTS,
      namespace: systemNs,
      name,
      body: { ...live, spec },
    });
  };
  const cmExists = (name: string, namespace: string) =>
    clients()
      .core.readNamespacedConfigMap({ name, namespace })
      .then(
        () => true,
        () => false,
      );
  const automated = { automated: { prune: true, selfHeal: true } };

  test("the controller creates the default project, allowing everything; creating it again is a no-op", async () => {
    const project = await readProject("default");
    assert.deepEqual(project.spec.sourceRepos, ["*"]);
    assert.deepEqual(project.spec.clusterResourceWhitelist, [{ group: "*", kind: "*" }]);
    const store = new ProjectStore(clients(), {
      config: clients().config,
      namespace: systemNs,
      onChange: () => undefined,
    });
    await store.ensureDefault();
    assert.equal(
      (await readProject("default")).metadata.resourceVersion,
      project.metadata.resourceVersion,
      "unchanged",
    );

    // An app without spec.project is in `default`: a ClusterRole is fine there.
    const ns = await fx.namespace("ctl-proj-default");
    const role = uniqueName("tether-proj-default");
    const { url } = await fx.repository("default-proj", {
      "cfg/cm.yaml": configMap("settings", { a: "1" }),
      "cfg/role.yaml": clusterRole(role),
    });
    await fx.createApp("in-default", {
      source: { repoURL: url, targetRevision: "main", path: "cfg" },
      destination: { server: IN_CLUSTER, namespace: ns },
      syncPolicy: automated,
    });
    try {
      await fx.waitApp("in-default", "Synced", (a) => a.status?.sync?.status === "Synced");
      await readClusterRole(role);
    } finally {
      await deleteClusterRole(role);
    }
  });

  test("a missing project: ProjectViolation naming it, nothing fetched or applied; creating the project syncs the app", async () => {
    const ns = await fx.namespace("ctl-proj-missing");
    const { url } = await fx.repository("missing-proj", { "cfg/cm.yaml": configMap("settings", { a: "1" }) });
    const projectName = uniqueName("team-missing");
    await fx.createApp("orphan", {
      project: projectName,
      source: { repoURL: url, targetRevision: "main", path: "cfg" },
      destination: { server: IN_CLUSTER, namespace: ns },
      syncPolicy: automated,
    });
    const app = await fx.waitApp("orphan", "ProjectViolation", (a) =>
      Boolean(condition(a, "ProjectViolation")),
    );
    const violation = condition(app, "ProjectViolation");
    assert.equal(violation?.reason, "ProjectNotFound");
    assert.match(
      violation?.message ?? "",
      new RegExp(`project "${projectName}" \\(spec\\.project\\) does not exist`),
    );
    assert.equal(app.status?.sync?.status, "Unknown");
    assert.equal(app.status?.sync?.revision, undefined, "the repository was not even resolved");
    assert.equal(await cmExists("settings", ns), false);

    await createProject(projectName, {
      sourceNamespaces: [fx.appNs],
      sourceRepos: [url],
      destinations: [{ server: IN_CLUSTER, namespace: ns }],
    });
    await fx.waitApp(
      "orphan",
      "Synced without ProjectViolation",
      (a) => a.status?.sync?.status === "Synced" && !condition(a, "ProjectViolation"),
    );
    assert.equal(await cmExists("settings", ns), true);
  });

  test("repository and destination outside the project: ProjectViolation naming the field; nothing applied", async () => {
    const ns = await fx.namespace("ctl-proj-fence");
    const other = await fx.namespace("ctl-proj-other");
    const { url } = await fx.repository("fenced", { "cfg/cm.yaml": configMap("settings", { a: "1" }) });
    const projectName = uniqueName("team-fence");
    await createProject(projectName, {
      sourceNamespaces: ["*"],
      sourceRepos: [`${url}-not-this-one`],
      destinations: [{ server: IN_CLUSTER, namespace: ns }],
    });
    await fx.createApp("fenced", {
      project: projectName,
      source: { repoURL: url, targetRevision: "main", path: "cfg" },
      destination: { server: IN_CLUSTER, namespace: other },
      syncPolicy: automated,
    });
    const app = await fx.waitApp("fenced", "ProjectViolation", (a) =>
      Boolean(condition(a, "ProjectViolation")),
    );
    const message = condition(app, "ProjectViolation")?.message ?? "";
    assert.equal(condition(app, "ProjectViolation")?.reason, "SourceNotPermitted");
    assert.match(message, /spec\.source\.repoURL .* is not permitted by spec\.sourceRepos/);
    assert.match(
      message,
      new RegExp(`namespace ${other} \\(spec\\.destination\\) is not permitted by spec\\.destinations`),
    );
    assert.equal(await cmExists("settings", other), false);

    // Fixing the project (repository) and the app (destination) lets it sync.
    await replaceProjectSpec(projectName, {
      sourceNamespaces: ["*"],
      sourceRepos: [url],
      destinations: [{ server: IN_CLUSTER, namespace: ns }],
    });
    await fx.patchApp("fenced", { spec: { destination: { server: IN_CLUSTER, namespace: ns } } });
    await fx.waitApp(
      "fenced",
      "Synced",
      (a) => a.status?.sync?.status === "Synced" && !condition(a, "ProjectViolation"),
    );
    assert.equal(await cmExists("settings", ns), true);
  });

  test("a cluster-scoped kind not whitelisted: named in the condition, nothing applied; whitelisting it syncs", async (t) => {
    const ns = await fx.namespace("ctl-proj-cluster");
    const role = uniqueName("tether-proj-role");
    t.after(() => deleteClusterRole(role));
    const { url } = await fx.repository("cluster-kinds", {
      "cfg/cm.yaml": configMap("settings", { a: "1" }),
      "cfg/role.yaml": clusterRole(role),
    });
    const projectName = uniqueName("team-cluster");
    const spec: AppProjectSpec = {
      sourceNamespaces: ["*"],
      sourceRepos: ["*"],
      destinations: [{ namespace: ns }],
    };
    await createProject(projectName, spec);
    await fx.createApp("cluster-kinds", {
      project: projectName,
      source: { repoURL: url, targetRevision: "main", path: "cfg" },
      destination: { server: IN_CLUSTER, namespace: ns },
      syncPolicy: automated,
    });
    const app = await fx.waitApp("cluster-kinds", "ProjectViolation", (a) =>
      Boolean(condition(a, "ProjectViolation")),
    );
    const violation = condition(app, "ProjectViolation");
    assert.equal(violation?.reason, "ResourceNotPermitted");
    assert.match(
      violation?.message ?? "",
      new RegExp(
        `project "${projectName}": rbac\\.authorization\\.k8s\\.io/ClusterRole ${role}: cluster-scoped kind .* is not in spec\\.clusterResourceWhitelist`,
      ),
    );
    assert.equal(app.status?.sync?.status, "OutOfSync", "the diff is still shown");
    assert.equal(app.status?.history, undefined, "no sync happened");
    assert.equal(await cmExists("settings", ns), false, "not even the permitted ConfigMap is applied");
    assert.ok(await isGone(() => readClusterRole(role)), "the ClusterRole was not created");

    await replaceProjectSpec(projectName, {
      ...spec,
      clusterResourceWhitelist: [{ group: "rbac.authorization.k8s.io", kind: "ClusterRole" }],
    });
    await fx.waitApp(
      "cluster-kinds",
      "Synced",
      (a) => a.status?.sync?.status === "Synced" && !condition(a, "ProjectViolation"),
    );
    await readClusterRole(role);
  });

  test("a denied namespaced kind blocks the whole sync: nothing applied and nothing pruned", async () => {
    const ns = await fx.namespace("ctl-proj-deny");
    const repo = await fx.repository("denied-kinds", {
      "cfg/a.yaml": configMap("a", { v: "1" }),
      "cfg/b.yaml": configMap("b", { v: "1" }),
    });
    const projectName = uniqueName("team-deny");
    await createProject(projectName, {
      sourceNamespaces: ["*"],
      sourceRepos: ["*"],
      destinations: [{ server: "*", namespace: "*" }],
      namespaceResourceBlacklist: [{ group: "", kind: "ResourceQuota" }],
    });
    await fx.createApp("denied", {
      project: projectName,
      source: { repoURL: repo.url, targetRevision: "main", path: "cfg" },
      destination: { server: IN_CLUSTER, namespace: ns },
      syncPolicy: automated,
    });
    await fx.waitApp("denied", "Synced", (a) => a.status?.sync?.status === "Synced");

    // Git now drops b (a prune), changes a, and adds a denied ResourceQuota.
    const sha = await repo.ws.commitAndPush(
      {
        "cfg/a.yaml": configMap("a", { v: "2" }),
        "cfg/b.yaml": null,
        "cfg/quota.yaml": resourceQuota("quota"),
      },
      "quota",
    );
    await fx.annotate("denied", { "tether.dev/refresh": "normal" });
    const app = await fx.waitApp(
      "denied",
      "ProjectViolation at the new commit",
      (a) => a.status?.sync?.revision === sha && Boolean(condition(a, "ProjectViolation")),
    );
    assert.match(
      condition(app, "ProjectViolation")?.message ?? "",
      new RegExp(
        `ResourceQuota ${ns}/quota: namespaced kind core/ResourceQuota is denied by spec\\.namespaceResourceBlacklist`,
      ),
    );
    assert.equal(app.status?.sync?.status, "OutOfSync");
    const a = await clients().core.readNamespacedConfigMap({ name: "a", namespace: ns });
    assert.equal(a.data?.["v"], "1", "a was not updated");
    assert.equal(await cmExists("b", ns), true, "b was not pruned");
    assert.ok(
      await isGone(() => clients().core.readNamespacedResourceQuota({ name: "quota", namespace: ns })),
    );
    assert.equal(app.status?.history?.length, 1, "no second sync");
  });
});
