// The policy gate on the real control plane: a project's spec.policy judges every rendered object
// before anything is applied. deny: nothing applied or pruned, PolicyViolation names object and
// rule, the sync is Failed; fixing Git (or the policy) syncs. warn: applied with a Warning Event.
// audit: applied, violations only in status. Custom rules from ConfigMap tether-policies and from
// Policy objects reload without a restart; a broken rule is named in PolicyError and fails closed.
// The API's detail view and `tether app get` show the violations.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import type { ApiServer } from "../../src/api/server.js";
import { startApiServer } from "../../src/api/server.js";
import type { ApplicationDetail } from "../../src/api/types.js";
import type { Application } from "../../src/model/application.js";
import type { ProjectPolicy } from "../../src/model/appproject.js";
import type { ControllerFixture } from "../helpers/app.js";
import { condition, configMap, IN_CLUSTER, startControllerFixture } from "../helpers/app.js";
import { waitFor } from "../../src/lib/wait.js";
import { clients, testEnv, uniqueName } from "../helpers/environment.js";

const PROJECTS = { group: "tether.dev", version: "v1alpha1", plural: "appprojects" } as const;
const POLICIES = { group: "tether.dev", version: "v1alpha1", plural: "policies" } as const;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** A Deployment that passes the whole pack unless told otherwise. */
function workload(name: string, options: { root?: boolean; image?: string; labels?: string } = {}): string {
  const security = options.root ? "runAsUser: 0" : "runAsNonRoot: true";
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
${options.labels ? `  labels: {${options.labels}}\n` : ""}spec:
  replicas: 1
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      securityContext: {${security}}
      containers:
        - name: app
          image: ${options.image ?? "ghcr.io/acme/app:1.0"}
          resources: {limits: {cpu: 100m, memory: 64Mi}}
`;
}

const nodePort = (name: string) =>
  `apiVersion: v1\nkind: Service\nmetadata:\n  name: ${name}\nspec:\n  type: NodePort\n  selector: {app: ${name}}\n  ports: [{port: 80}]\n`;

describe("policy gate", () => {
  let fx: ControllerFixture;
  let api: ApiServer;
  let systemNs: string;

  before(async () => {
    fx = await startControllerFixture("gate");
    systemNs = fx.systemNamespace;
    api = await startApiServer({
      clients: clients(),
      namespace: fx.appNs,
      systemNamespace: fx.systemNamespace,
      auth: false,
    });
  });
  after(async () => {
    await api?.close();
    await fx?.stop();
  });

  const automated = { automated: { prune: true, selfHeal: true } };
  const project = async (policy: ProjectPolicy) => {
    const name = uniqueName("gate");
    await clients().custom.createNamespacedCustomObject({
      ...PROJECTS,
      namespace: systemNs,
      body: {
        apiVersion: "tether.dev/v1alpha1",
        kind: "AppProject",
        metadata: { name },
        spec: {
          sourceNamespaces: ["*"],
          sourceRepos: ["*"],
          destinations: [{ server: "*", namespace: "*" }],
          clusterResourceWhitelist: [{ group: "*", kind: "*" }],
          policy,
        },
      },
    });
    return name;
  };
  const setPolicy = async (name: string, policy: ProjectPolicy) => {
    const live = (await clients().custom.getNamespacedCustomObject({
      ...PROJECTS,
      namespace: systemNs,
      name,
    })) as { spec: Record<string, unknown> };
    await clients().custom.replaceNamespacedCustomObject({
      ...PROJECTS,
      namespace: systemNs,
      name,
      body: { ...live, spec: { ...live.spec, policy } },
    });
  };
  const writeRules = (data: Record<string, string>) =>
    clients().raw.request({
      method: "PATCH",
      path: `/api/v1/namespaces/${systemNs}/configmaps/tether-policies`,
      query: { fieldManager: `gate-${Object.keys(data).join("-")}`, force: true },
      contentType: "application/apply-patch+yaml",
      body: {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "tether-policies", namespace: systemNs },
        data,
      },
    });
  const deployment = (name: string, namespace: string) =>
    clients().apps.readNamespacedDeployment({ name, namespace });
  const deploymentExists = (name: string, namespace: string) =>
    deployment(name, namespace).then(
      () => true,
      () => false,
    );
  const cmExists = (name: string, namespace: string) =>
    clients()
      .core.readNamespacedConfigMap({ name, namespace })
      .then(
        () => true,
        () => false,
      );
  const events = async (app: string) =>
    (
      await clients().core.listNamespacedEvent({
        namespace: fx.appNs,
        fieldSelector: `involvedObject.name=${app}`,
      })
    ).items;
  const violations = (a: Application) => a.status?.policyViolations ?? [];

  test("deny: a root container → nothing applied or pruned, PolicyViolation names object and rule, sync Failed; fixing Git syncs", async () => {
    const ns = await fx.namespace("gate-deny");
    const proj = await project({
      enforcement: "deny",
      rules: ["builtin"],
      trustedRegistries: ["ghcr.io/acme"],
    });
    const repo = await fx.repository("deny", {
      "app/web.yaml": workload("web"),
      "app/keep.yaml": configMap("keep", { a: "1" }),
    });
    await fx.createApp("deny", {
      project: proj,
      source: { repoURL: repo.url, targetRevision: "main", path: "app" },
      destination: { server: IN_CLUSTER, namespace: ns },
      syncPolicy: automated,
    });
    await fx.waitApp(
      "deny",
      "Synced (the render passes the pack)",
      (a) => a.status?.sync?.status === "Synced" && a.status.operationState?.phase === "Succeeded",
    );
    assert.equal(await cmExists("keep", ns), true);

    // Git now drops `keep` (a prune) and runs web as root.
    const bad = await repo.ws.commitAndPush(
      { "app/web.yaml": workload("web", { root: true }), "app/keep.yaml": null },
      "web as root",
    );
    await fx.annotate("deny", { "tether.dev/refresh": "normal" });
    const app = await fx.waitApp(
      "deny",
      "PolicyViolation at the bad commit",
      (a) =>
        a.status?.sync?.revision === bad &&
        a.status.operationState?.revision === bad &&
        condition(a, "PolicyViolation") !== undefined,
    );
    const c = condition(app, "PolicyViolation");
    assert.equal(c?.reason, "PolicyDenied");
    assert.match(
      c?.message ?? "",
      new RegExp(
        `project "${proj}" \\(spec\\.policy, deny\\): apps/Deployment ${ns}/web: no-root-containers: container\\(s\\) app may run as root`,
      ),
    );
    assert.match(c?.message ?? "", /nothing is applied or pruned/);
    assert.equal(app.status?.operationState?.phase, "Failed");
    assert.equal(app.status?.operationState?.step, "PolicyCheck");
    assert.equal(condition(app, "SyncError")?.reason, "PolicyViolation");
    assert.equal(app.status?.sync?.status, "OutOfSync");
    assert.deepEqual(
      violations(app).map((v) => [v.ref.kind, v.ref.name, v.rule, v.enforcement]),
      [["Deployment", "web", "no-root-containers", "deny"]],
    );
    const live = await deployment("web", ns);
    assert.equal(
      live.spec?.template.spec?.securityContext?.runAsUser,
      undefined,
      "the root Deployment was not applied",
    );
    assert.equal(await cmExists("keep", ns), true, "a denied render prunes nothing");
    // Events are written by a queue, a moment after the status: wait for it.
    await waitFor(
      "SyncFailed Event (refused by the policy gate)",
      async () =>
        (await events("deny")).some(
          (e) =>
            e.type === "Warning" &&
            e.reason === "SyncFailed" &&
            /refused by the policy gate/.test(e.message ?? ""),
        ),
      { timeoutMs: 15_000 },
    );

    // Fixing Git syncs: applied, pruned, conditions gone.
    const fixed = await repo.ws.commitAndPush(
      { "app/web.yaml": workload("web", { labels: 'fixed: "yes"' }) },
      "web as non-root",
    );
    await fx.annotate("deny", { "tether.dev/refresh": "normal" });
    const synced = await fx.waitApp(
      "deny",
      "Synced at the fixed commit",
      (a) =>
        a.status?.sync?.revision === fixed &&
        a.status.sync.status === "Synced" &&
        a.status.operationState?.phase === "Succeeded",
    );
    assert.equal(condition(synced, "PolicyViolation"), undefined);
    assert.equal(condition(synced, "SyncError"), undefined);
    assert.deepEqual(violations(synced), []);
    assert.equal((await deployment("web", ns)).metadata?.labels?.["fixed"], "yes");
    // Prune deletes in the foreground: the sync is done once the apiserver accepts the deletion, and
    // the garbage collector removes the object a moment later.
    await waitFor("keep pruned once the render passes", async () => !(await cmExists("keep", ns)), {
      timeoutMs: 30_000,
    });
  });

  test("warn: applied, PolicyViolation condition and a Warning Event; audit: applied, violations only in status", async () => {
    const ns = await fx.namespace("gate-warn");
    const warn = await project({ enforcement: "warn", rules: ["no-latest-tag"] });
    const audit = await project({ enforcement: "audit", rules: ["no-latest-tag"] });
    const repo = await fx.repository("warn", { "app/web.yaml": workload("web", { image: "nginx" }) });
    await fx.createApp("warned", {
      project: warn,
      source: { repoURL: repo.url, targetRevision: "main", path: "app" },
      destination: { server: IN_CLUSTER, namespace: ns },
      syncPolicy: automated,
    });
    const auditNs = await fx.namespace("gate-audit");
    await fx.createApp("audited", {
      project: audit,
      source: { repoURL: repo.url, targetRevision: "main", path: "app" },
      destination: { server: IN_CLUSTER, namespace: auditNs },
      syncPolicy: automated,
    });

    const warned = await fx.waitApp(
      "warned",
      "Synced with PolicyViolation",
      (a) => a.status?.sync?.status === "Synced" && condition(a, "PolicyViolation") !== undefined,
    );
    assert.equal(condition(warned, "PolicyViolation")?.reason, "PolicyWarning");
    assert.match(
      condition(warned, "PolicyViolation")?.message ?? "",
      /apps\/Deployment .*\/web: no-latest-tag: image\(s\) nginx use the tag latest or no tag: pin a version or a digest; applied anyway \(warn\)/,
    );
    assert.equal(await deploymentExists("web", ns), true, "applied");
    assert.equal(warned.status?.operationState?.phase, "Succeeded");
    assert.deepEqual(
      violations(warned).map((v) => [v.rule, v.enforcement]),
      [["no-latest-tag", "warn"]],
    );
    const event = await waitFor(
      "PolicyViolation Event",
      async () => (await events("warned")).find((e) => e.reason === "PolicyViolation"),
      { timeoutMs: 15_000 },
    );
    assert.equal(event?.type, "Warning");
    assert.match(event?.message ?? "", /no-latest-tag/);

    const audited = await fx.waitApp(
      "audited",
      "Synced with violations in status",
      (a) => a.status?.sync?.status === "Synced" && violations(a).length > 0,
    );
    assert.equal(await deploymentExists("web", auditNs), true, "applied");
    assert.deepEqual(
      violations(audited).map((v) => [v.ref.name, v.rule, v.enforcement]),
      [["web", "no-latest-tag", "audit"]],
    );
    assert.equal(condition(audited, "PolicyViolation"), undefined, "audit sets no condition");
    assert.equal(
      (await events("audited")).some((e) => e.reason === "PolicyViolation"),
      false,
      "and records no Event",
    );
  });

  test("trusted registries: an image from elsewhere is denied; trusting its registry in the project syncs at the same commit", async () => {
    const ns = await fx.namespace("gate-registry");
    const proj = await project({
      enforcement: "deny",
      rules: ["trusted-registries"],
      trustedRegistries: ["ghcr.io/acme"],
    });
    const repo = await fx.repository("registry", {
      "app/web.yaml": workload("web", { image: "quay.io/other/app:1.0" }),
    });
    await fx.createApp("registry", {
      project: proj,
      source: { repoURL: repo.url, targetRevision: "main", path: "app" },
      destination: { server: IN_CLUSTER, namespace: ns },
      syncPolicy: automated,
    });
    const app = await fx.waitApp(
      "registry",
      "PolicyViolation",
      (a) => condition(a, "PolicyViolation") !== undefined && a.status?.operationState?.phase === "Failed",
    );
    assert.match(
      condition(app, "PolicyViolation")?.message ?? "",
      /trusted-registries: image\(s\) quay\.io\/other\/app:1\.0 not from a trusted registry \(trusted: ghcr\.io\/acme\)/,
    );
    assert.equal(await deploymentExists("web", ns), false);

    // The refused sync runs as soon as the policy allows it, without a new commit.
    await setPolicy(proj, {
      enforcement: "deny",
      rules: ["trusted-registries"],
      trustedRegistries: ["ghcr.io/acme", "quay.io/other"],
    });
    const synced = await fx.waitApp(
      "registry",
      "Synced",
      (a) => a.status?.sync?.status === "Synced" && a.status.operationState?.phase === "Succeeded",
    );
    assert.equal(condition(synced, "PolicyViolation"), undefined);
    assert.equal(await deploymentExists("web", ns), true);
  });

  test("custom rules: a ConfigMap tether-policies rule and a Policy object rule deny; editing them reloads without a restart", async (t) => {
    const ns = await fx.namespace("gate-custom");
    await writeRules({
      "teams.yaml": `- id: team-label\n  match: {groups: [apps], kinds: [Deployment]}\n  rule: "'team' in object.metadata.?labels.orValue({})"\n  messageExpression: '"Deployment " + object.metadata.name + " of app " + app.name + " needs a team label"'\n`,
    });
    const policyName = uniqueName("no-nodeport");
    await clients().custom.createNamespacedCustomObject({
      ...POLICIES,
      namespace: systemNs,
      body: {
        apiVersion: "tether.dev/v1alpha1",
        kind: "Policy",
        metadata: { name: policyName },
        spec: {
          rules: [
            {
              id: "no-nodeport",
              match: { groups: [""], kinds: ["Service"] },
              rule: "object.spec.?type.orValue('ClusterIP') != 'NodePort'",
              message: "NodePort Services open every node; use an Ingress",
            },
          ],
        },
      },
    });
    t.after(() =>
      clients()
        .custom.deleteNamespacedCustomObject({ ...POLICIES, namespace: systemNs, name: policyName })
        .catch(() => undefined),
    );
    const proj = await project({ enforcement: "deny", rules: ["team-label", "no-nodeport"] });
    const repo = await fx.repository("custom", {
      "app/web.yaml": workload("web"),
      "app/svc.yaml": nodePort("web"),
    });
    await fx.createApp("custom", {
      project: proj,
      source: { repoURL: repo.url, targetRevision: "main", path: "app" },
      destination: { server: IN_CLUSTER, namespace: ns },
      syncPolicy: automated,
    });
    const app = await fx.waitApp(
      "custom",
      "two violations",
      (a) => violations(a).length === 2 && condition(a, "PolicyViolation") !== undefined,
    );
    assert.deepEqual(
      violations(app)
        .map((v) => [v.ref.kind, v.rule, v.message])
        .sort(),
      [
        ["Deployment", "team-label", "Deployment web of app custom needs a team label"],
        ["Service", "no-nodeport", "NodePort Services open every node; use an Ingress"],
      ],
    );
    assert.equal(await deploymentExists("web", ns), false);

    // The ConfigMap rule is relaxed and the Policy deleted, while the controller runs.
    await writeRules({ "teams.yaml": `- id: team-label\n  rule: "true"\n` });
    await fx.waitApp(
      "custom",
      "only the Policy rule left",
      (a) => violations(a).length === 1 && violations(a)[0]?.rule === "no-nodeport",
    );
    await clients().custom.deleteNamespacedCustomObject({
      ...POLICIES,
      namespace: systemNs,
      name: policyName,
    });
    const gone = await fx.waitApp(
      "custom",
      "PolicyError for the deleted rule",
      (a) => condition(a, "PolicyError") !== undefined,
    );
    assert.match(
      condition(gone, "PolicyError")?.message ?? "",
      /spec\.policy\.rules names "no-nodeport", which no built-in rule, ConfigMap tether-policies entry or Policy defines/,
    );
    await setPolicy(proj, { enforcement: "deny", rules: ["team-label"] });
    await fx.waitApp(
      "custom",
      "Synced",
      (a) =>
        a.status?.sync?.status === "Synced" &&
        a.status.operationState?.phase === "Succeeded" &&
        !condition(a, "PolicyError"),
    );
    assert.equal(await deploymentExists("web", ns), true);
  });

  test("a broken rule: PolicyError names the ConfigMap key or Policy, the rule id and CEL's error; under deny it blocks (fail closed)", async (t) => {
    const ns = await fx.namespace("gate-broken");
    await writeRules({
      "broken.yaml": `- id: broken-cel\n  match: {kinds: [ConfigMap]}\n  rule: "object.data.size() >"\n`,
    });
    const policyName = uniqueName("broken");
    await clients().custom.createNamespacedCustomObject({
      ...POLICIES,
      namespace: systemNs,
      body: {
        apiVersion: "tether.dev/v1alpha1",
        kind: "Policy",
        metadata: { name: policyName },
        spec: { rules: [{ id: "not-a-bool", rule: "object.metadata.name + 1" }] },
      },
    });
    t.after(() =>
      clients()
        .custom.deleteNamespacedCustomObject({ ...POLICIES, namespace: systemNs, name: policyName })
        .catch(() => undefined),
    );
    const proj = await project({ enforcement: "deny", rules: ["broken-cel", "not-a-bool"] });
    const repo = await fx.repository("broken", { "app/cm.yaml": configMap("settings", { a: "1" }) });
    await fx.createApp("broken", {
      project: proj,
      source: { repoURL: repo.url, targetRevision: "main", path: "app" },
      destination: { server: IN_CLUSTER, namespace: ns },
      syncPolicy: automated,
    });
    const app = await fx.waitApp(
      "broken",
      "PolicyError",
      (a) => condition(a, "PolicyError") !== undefined && condition(a, "PolicyViolation") !== undefined,
    );
    const error = condition(app, "PolicyError");
    assert.equal(error?.reason, "InvalidPolicyRule");
    assert.match(
      error?.message ?? "",
      new RegExp(
        `ConfigMap ${systemNs}/tether-policies key broken\\.yaml\\[0\\] \\(rule broken-cel\\) rule: \\S`,
      ),
    );
    assert.match(
      error?.message ?? "",
      new RegExp(`Policy ${systemNs}/${policyName} spec\\.rules\\[0\\] \\(rule not-a-bool\\) rule: \\S`),
    );
    assert.match(error?.message ?? "", /under deny a rule that cannot be evaluated blocks the sync/);
    assert.equal(condition(app, "PolicyViolation")?.reason, "PolicyDenied");
    assert.equal(await cmExists("settings", ns), false, "fail closed: nothing applied");
    assert.ok(fx.controller.queue, "the controller keeps running");
  });

  test("the API's detail view and `tether app get` list the violations", async () => {
    const ns = await fx.namespace("gate-show");
    const proj = await project({ enforcement: "audit", rules: ["resource-limits"] });
    const bare = workload("web").replace("          resources: {limits: {cpu: 100m, memory: 64Mi}}\n", "");
    const repo = await fx.repository("show", { "app/web.yaml": bare });
    await fx.createApp("shown", {
      project: proj,
      source: { repoURL: repo.url, targetRevision: "main", path: "app" },
      destination: { server: IN_CLUSTER, namespace: ns },
      syncPolicy: automated,
    });
    await fx.waitApp("shown", "violations in status", (a) => violations(a).length > 0);

    const response = await fetch(`${api.url}/api/v1/applications/${fx.appNs}/shown`);
    assert.equal(response.status, 200);
    const detail = (await response.json()) as ApplicationDetail;
    assert.deepEqual(detail.policyViolations, [
      {
        ref: { group: "apps", version: "v1", kind: "Deployment", namespace: ns, name: "web" },
        rule: "resource-limits",
        message: "container(s) app must set resources.limits.cpu and resources.limits.memory",
        enforcement: "audit",
      },
    ]);

    const run = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(
        process.execPath,
        [
          "--import",
          "tsx",
          path.join(root, "src/cli/main.ts"),
          "app",
          "get",
          "shown",
          "--core",
          "--kubeconfig",
          testEnv.kubeconfig,
          "--app-namespace",
          fx.appNs,
        ],
        { cwd: root, env: { ...process.env, TETHER_CONFIG: path.join(root, "does-not-exist.json") } },
      );
      let stdout = "";
      let stderr = "";
      child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
      child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
      child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
    });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^Policy violations:$/m);
    assert.match(run.stdout, /^ENFORCEMENT\s+KIND\s+OBJECT\s+RULE\s+MESSAGE$/m);
    assert.match(
      run.stdout,
      new RegExp(
        `^audit\\s+Deployment\\.apps\\s+${ns}/web\\s+resource-limits\\s+container\\(s\\) app must set resources\\.limits\\.cpu`,
        "m",
      ),
    );
  });
});
