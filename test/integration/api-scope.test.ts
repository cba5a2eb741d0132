// The API reads only what an app's project permits (issue 17, item 2), against the real control
// plane, a real controller, real Git and the real API server with authentication on. The attack as
// found: alice may use project team-a (destinations: her namespace only); she commits manifests
// naming team-b's ConfigMap and Secret, a Deployment in `demo` and a ClusterRole. The controller
// applies nothing; no API answer to alice may carry anything read from those objects (canaries are
// searched for in every whole response body), and the refused objects are named "not permitted".
// Bob (project team-b) reads his own objects as before (positive control), and a change of project
// (widened, deleted) takes effect on the next request.
import assert from "node:assert/strict";
import type { KubernetesObject } from "@kubernetes/client-node";
import { after, before, describe, test } from "node:test";
import { createApiAuth, mintApiToken, RBAC_CONFIGMAP } from "../../src/api/authn.js";
import type { ApiServer } from "../../src/api/server.js";
import { startApiServer } from "../../src/api/server.js";
import type { ApplicationDetail, DiffResponse, ResourceNode } from "../../src/api/types.js";
import { waitFor } from "../../src/lib/wait.js";
import type { AppProjectSpec } from "../../src/model/appproject.js";
import type { ControllerFixture } from "../helpers/app.js";
import { configMap, IN_CLUSTER, startControllerFixture } from "../helpers/app.js";
import type { Reply } from "../helpers/api.js";
import { bearer, callApi, readStream } from "../helpers/api.js";
import { clients, uniqueName } from "../helpers/environment.js";

const CANARY_CM = "canary-victim-cm-5d1e0b";
const CANARY_SECRET = "canary-victim-secret-93aa17";
const CANARY_DEPLOY = "canary-victim-deploy-4c7f22";
const CANARY_ROLE = "canary-victim-role-0be6d1";
const OWN_MARKER = "alice-own-value-61c2";
const BOB_MARKER = "bob-own-value-7a90";
const b64 = (text: string) => Buffer.from(text).toString("base64");
const CANARIES = [CANARY_CM, CANARY_SECRET, b64(CANARY_SECRET), CANARY_DEPLOY, CANARY_ROLE];
const PROJECTS = { group: "tether.dev", version: "v1alpha1", plural: "appprojects" } as const;

const POLICY = `
roles:
  - name: team-a
    rules:
      - actions: [get, sync, logs, update]
        projects: [team-a, nowhere]
        applications: ["*/*"]
  - name: team-b
    rules:
      - actions: [get, sync, logs]
        projects: [team-b]
        applications: ["*/*"]
bindings:
  - role: team-a
    users: [alice]
  - role: team-b
    users: [bob]
`;

function assertNoCanary(what: string, text: string): void {
  for (const canary of CANARIES)
    assert.ok(!text.includes(canary), `${what} leaks ${canary}:\n${text.slice(0, 2000)}`);
}

describe("api: live reads limited to the app's project (cross-tenant attack)", () => {
  let fx: ControllerFixture;
  let api: ApiServer;
  let alice: Record<string, string>;
  let bob: Record<string, string>;
  let teamA: string;
  let teamB: string;
  let demo: string;
  let demoPods: string[];
  const clusterRole = uniqueName("victim-role");

  const call = (
    method: string,
    path: string,
    headers: Record<string, string>,
    body?: unknown,
  ): Promise<Reply> => callApi(api.url, method, path, { headers, ...(body !== undefined ? { body } : {}) });
  const appPath = (name: string, rest = "") => `/api/v1/applications/${fx.appNs}/${name}${rest}`;
  const teamAProject = (extra: Partial<AppProjectSpec> = {}): AppProjectSpec => ({
    sourceNamespaces: [fx.appNs],
    sourceRepos: ["*"],
    destinations: [{ server: "*", namespace: teamA }],
    ...extra,
  });
  const putProject = async (name: string, spec: AppProjectSpec) => {
    const { custom } = clients();
    const body = {
      apiVersion: "tether.dev/v1alpha1",
      kind: "AppProject",
      metadata: { name, namespace: fx.systemNamespace },
      spec,
    };
    try {
      const current = (await custom.getNamespacedCustomObject({
        ...PROJECTS,
        namespace: fx.systemNamespace,
        name,
      })) as { metadata: { resourceVersion: string } };
      await custom.replaceNamespacedCustomObject({
        ...PROJECTS,
        namespace: fx.systemNamespace,
        name,
        body: { ...body, metadata: { ...body.metadata, resourceVersion: current.metadata.resourceVersion } },
      });
    } catch (error) {
      if ((error as { code?: number }).code !== 404) throw error;
      await custom.createNamespacedCustomObject({ ...PROJECTS, namespace: fx.systemNamespace, body });
    }
  };

  before(async () => {
    fx = await startControllerFixture("scope");
    const { core, apps, objects } = clients();
    teamA = await fx.namespace("team-a");
    teamB = await fx.namespace("team-b-prod");
    demo = await fx.namespace("demo");
    const authNs = await fx.namespace("scope-auth");

    // The victims: live objects of other tenants, each holding a canary.
    await core.createNamespacedConfigMap({
      namespace: teamB,
      body: { metadata: { name: "victim-config" }, data: { password: CANARY_CM } },
    });
    await core.createNamespacedSecret({
      namespace: teamB,
      body: { metadata: { name: "victim-secret" }, stringData: { token: CANARY_SECRET } },
    });
    await apps.createNamespacedDeployment({
      namespace: demo,
      body: {
        metadata: { name: "hello", annotations: { note: CANARY_DEPLOY } },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: "hello" } },
          template: {
            metadata: { labels: { app: "hello" } },
            spec: {
              containers: [{ name: "web", image: "nginx", env: [{ name: "PIN", value: CANARY_DEPLOY }] }],
            },
          },
        },
      },
    });
    await objects.create({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name: clusterRole, annotations: { note: CANARY_ROLE } },
      rules: [],
    } as KubernetesObject);
    // Alice's own object, live, in her namespace: the positive control (a permitted read still works).
    await core.createNamespacedConfigMap({
      namespace: teamA,
      body: { metadata: { name: "own" }, data: { value: OWN_MARKER } },
    });
    demoPods = await waitFor(
      "the pod of demo/hello",
      async () => {
        const pods = await core.listNamespacedPod({ namespace: demo, labelSelector: "app=hello" });
        return pods.items.length > 0 ? pods.items.map((p) => p.metadata?.name ?? "") : undefined;
      },
      { timeoutMs: 60_000 },
    );

    await putProject("team-a", teamAProject());
    await putProject("team-b", {
      sourceNamespaces: [fx.appNs],
      sourceRepos: ["*"],
      destinations: [
        { server: "*", namespace: teamB },
        { server: "*", namespace: demo },
      ],
    });

    const { url } = await fx.repository("attack", {
      "a/own.yaml": configMap("own", { value: "from-git" }).replace(
        "metadata:\n",
        `metadata:\n  namespace: ${teamA}\n`,
      ),
      "a/victim-config.yaml": configMap("victim-config", { password: "attacker" }).replace(
        "metadata:\n",
        `metadata:\n  namespace: ${teamB}\n`,
      ),
      "a/victim-secret.yaml": `apiVersion: v1\nkind: Secret\nmetadata:\n  name: victim-secret\n  namespace: ${teamB}\nstringData:\n  token: attacker\n`,
      "a/hello.yaml": `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: hello\n  namespace: ${demo}\nspec:\n  replicas: 1\n  selector:\n    matchLabels: {app: hello}\n  template:\n    metadata:\n      labels: {app: hello}\n    spec:\n      containers: [{name: web, image: nginx}]\n`,
      "a/role.yaml": `apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: ${clusterRole}\nrules: []\n`,
      "b/mine.yaml": configMap("bob-config", { value: BOB_MARKER }),
    });
    await fx.createApp("attack", {
      project: "team-a",
      source: { repoURL: url, targetRevision: "main", path: "a" },
      destination: { server: IN_CLUSTER, namespace: teamA },
    });
    await fx.createApp("bobs", {
      project: "team-b",
      source: { repoURL: url, targetRevision: "main", path: "b" },
      destination: { server: IN_CLUSTER, namespace: teamB },
      syncPolicy: { automated: {} },
    });
    await fx.waitApp(
      "attack",
      "compared and refused",
      (a) =>
        (a.status?.resources ?? []).length === 5 &&
        (a.status?.conditions ?? []).some((c) => c.type === "ProjectViolation"),
    );
    await fx.waitApp("bobs", "synced", (a) => a.status?.sync?.status === "Synced");

    await core.createNamespacedConfigMap({
      namespace: authNs,
      body: { metadata: { name: RBAC_CONFIGMAP }, data: { "policy.yaml": POLICY } },
    });
    const auth = await createApiAuth({ clients: clients(), namespace: authNs, cacheMs: 0 });
    api = await startApiServer({
      clients: clients(),
      namespace: fx.appNs,
      systemNamespace: fx.systemNamespace,
      auth,
      desired: (ref) => fx.controller.desiredOf(ref),
    });
    alice = bearer(await mintApiToken(clients(), authNs, { owner: "alice", roles: ["team-a"] }));
    bob = bearer(await mintApiToken(clients(), authNs, { owner: "bob", roles: ["team-b"] }));
  });

  after(async () => {
    await api?.close();
    await clients()
      .objects.delete({
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "ClusterRole",
        metadata: { name: clusterRole },
      })
      .catch(() => undefined);
    await fx?.stop();
  });

  test("the attack: no endpoint answers team-a's token with anything read from team-b-prod, demo or a ClusterRole", async () => {
    const replies: [string, Reply][] = [];
    const record = async (what: string, reply: Promise<Reply>) => {
      const r = await reply;
      replies.push([what, r]);
      return r;
    };
    const detail = await record("get", call("GET", appPath("attack"), alice));
    const diff = await record("diff", call("GET", appPath("attack", "/diff"), alice));
    const dry = await record(
      "sync dry-run",
      call("POST", appPath("attack", "/sync"), alice, { dryRun: true }),
    );
    const tree = await record("resource-tree", call("GET", appPath("attack", "/resource-tree"), alice));
    await record("events", call("GET", appPath("attack", "/events"), alice));
    await record("history", call("GET", appPath("attack", "/history"), alice));
    await record("list", call("GET", "/api/v1/applications", alice));
    for (const pod of demoPods) {
      const named = await record(
        "logs (namespace named)",
        call("GET", appPath("attack", `/logs?pod=${pod}&namespace=${demo}`), alice),
      );
      assert.equal(named.status, 403, named.text);
      const unnamed = await record("logs", call("GET", appPath("attack", `/logs?pod=${pod}`), alice));
      assert.equal(unnamed.status, 403, unnamed.text);
    }
    const stream = await readStream(api.url, alice, (text) => text.includes("event: ready"));
    for (const [what, reply] of [...replies, ["stream", { text: stream.text } as Reply] as const]) {
      assertNoCanary(what, reply.text);
      if (!what.startsWith("logs"))
        for (const pod of demoPods) assert.ok(!reply.text.includes(pod), `${what} names demo's pod ${pod}`);
    }

    // Refused objects are named, "not permitted", without the controller's view of them.
    const refusedNames = ["victim-config", "victim-secret", "hello", clusterRole];
    const resources = (detail.body as ApplicationDetail).resources;
    for (const name of refusedNames) {
      const r = resources.find((x) => x.name === name);
      assert.equal(r?.permitted, false, `${name} in detail: ${JSON.stringify(r)}`);
      assert.equal(r?.status, "Unknown");
      assert.equal(r?.health, undefined);
      assert.match(r?.message ?? "", /^not permitted: /);
    }
    assert.equal(resources.find((x) => x.name === "own")?.permitted, undefined);

    for (const reply of [diff, dry]) {
      assert.equal(reply.status, 200, reply.text);
      const body = reply.body as DiffResponse;
      for (const name of refusedNames) {
        const r = body.resources.find((x) => x.name === name);
        assert.equal(r?.permitted, false, `${name} in diff: ${JSON.stringify(r)}`);
        assert.equal(r?.liveYaml, undefined);
        assert.equal(r?.desiredYaml, undefined);
        assert.deepEqual(r?.fields, []);
      }
      // The permitted object is read as before: its live value is there.
      assert.match(body.resources.find((x) => x.name === "own")?.liveYaml ?? "", new RegExp(OWN_MARKER));
    }
    const victimCm = (diff.body as DiffResponse).resources.find((x) => x.name === "victim-config");
    assert.match(
      victimCm?.message ?? "",
      new RegExp(`namespace ${teamB} is not permitted by spec.destinations`),
    );
    const role = (diff.body as DiffResponse).resources.find((x) => x.name === clusterRole);
    assert.match(
      role?.message ?? "",
      /cluster-scoped kind rbac.authorization.k8s.io\/ClusterRole is not in spec.clusterResourceWhitelist/,
    );

    const nodes = (tree.body as { nodes: ResourceNode[] }).nodes;
    const hello = nodes.find((n) => n.name === "hello");
    assert.equal(hello?.permitted, false);
    assert.deepEqual(hello?.children, [], "demo's ReplicaSets and Pods are not listed");
    assert.equal(hello?.uid, undefined);
    assert.match(hello?.health.message ?? "", /^not permitted: /);

    // The controller never read them either: the Application itself (what `kubectl get` shows a
    // tenant) holds no verdict, health, diff or owner computed from another tenant's live object.
    const stored = await fx.readApp("attack");
    assertNoCanary("the Application object", JSON.stringify(stored));
    assert.ok(!JSON.stringify(stored.status?.conditions ?? []).includes("is managed by application"));
    for (const name of refusedNames) {
      const r = stored.status?.resources?.find((x) => x.name === name);
      assert.equal(r?.status, "Unknown", `${name} in status: ${JSON.stringify(r)}`);
      assert.equal(r?.health, undefined);
      assert.equal(r?.diff, undefined);
      assert.match(r?.message ?? "", /^not permitted by project "team-a": /);
    }
  });

  test("positive control: bob reads his own objects; alice cannot see bob's app at all", async () => {
    const tree = await call("GET", appPath("bobs", "/resource-tree"), bob);
    assert.equal(tree.status, 200, tree.text);
    const node = (tree.body as { nodes: ResourceNode[] }).nodes.find((n) => n.name === "bob-config");
    assert.ok(node?.uid, "read live");
    assert.equal(node?.permitted, undefined);
    assert.equal((await call("GET", appPath("bobs", "/diff"), alice)).status, 404);
    assert.equal((await call("GET", appPath("attack"), bob)).status, 404);
  });

  test("a project change applies at the next request: widened, then deleted, then an app in a project that does not exist", async () => {
    try {
      await putProject(
        "team-a",
        teamAProject({
          destinations: [
            { server: "*", namespace: teamA },
            { server: "*", namespace: teamB },
          ],
          clusterResourceWhitelist: [{ group: "rbac.authorization.k8s.io", kind: "ClusterRole" }],
        }),
      );
      // Read fresh on every request: no wait.
      const tree = await call("GET", appPath("attack", "/resource-tree"), alice);
      const widened = (tree.body as { nodes: ResourceNode[] }).nodes;
      assert.ok(widened.find((n) => n.name === "victim-config")?.uid, "team-b-prod is read once permitted");
      assert.ok(
        widened.find((n) => n.name === clusterRole)?.uid,
        "a whitelisted cluster-scoped kind is read",
      );
      assert.equal(widened.find((n) => n.name === "hello")?.permitted, false, "demo is still refused");

      await clients().custom.deleteNamespacedCustomObject({
        ...PROJECTS,
        namespace: fx.systemNamespace,
        name: "team-a",
      });
      for (const path of ["", "/diff", "/resource-tree"]) {
        const reply = await call("GET", appPath("attack", path), alice);
        assert.equal(reply.status, 200, reply.text);
        assertNoCanary(`${path} without a project`, reply.text);
        assert.ok(!reply.text.includes(OWN_MARKER), `${path}: nothing is read without a project`);
        assert.match(reply.text, /not permitted: project \\"team-a\\" \(spec.project\) does not exist/);
      }
    } finally {
      await putProject("team-a", teamAProject());
    }

    // The app moved (kubectl) to a project that does not exist: its status still names what it had,
    // and the very next request reads none of it, before the controller even looks.
    await fx.patchApp("attack", { spec: { project: "nowhere" } });
    try {
      for (const path of ["", "/diff", "/resource-tree"]) {
        const reply = await call("GET", appPath("attack", path), alice);
        assert.equal(reply.status, 200, reply.text);
        assert.ok(!reply.text.includes(OWN_MARKER), `${path}: nothing is read in a missing project`);
        assert.match(reply.text, /not permitted: project \\"nowhere\\" \(spec.project\) does not exist/);
      }
    } finally {
      await fx.patchApp("attack", { spec: { project: "team-a" } });
    }
  });
});
