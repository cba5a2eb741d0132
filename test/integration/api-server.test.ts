// The HTTP API against the real control plane, a real controller and real Git: list/get/filter,
// create/update/delete with field-naming errors, the actions (refresh, sync, rollback) acted on by
// the controller, resource tree, diff, events, logs refusal, the event stream, metrics, OpenAPI.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { ApiServer } from "../../src/api/server.js";
import type { Application } from "../../src/model/application.js";
import { startApiServer } from "../../src/api/server.js";
import type {
  ApplicationDetail,
  ApplicationList,
  DiffResponse,
  ErrorBody,
  ResourceNode,
} from "../../src/api/types.js";
import type { GitWorkspace } from "../../src/localcluster/gitrepo.js";
import { waitFor } from "../../src/lib/wait.js";
import type { ControllerFixture } from "../helpers/app.js";
import { configMap, deployment, IN_CLUSTER, startControllerFixture } from "../helpers/app.js";
import { clients } from "../helpers/environment.js";

// Planted in a Secret the app manages: no API answer may ever contain it (raw or base64).
const CANARY = "canary-value-7f3a91";
const DRIFTED_CANARY = "canary-drift-c02b55";
const b64 = (text: string) => Buffer.from(text).toString("base64");
const secret = (name: string, token: string) =>
  `apiVersion: v1\nkind: Secret\nmetadata:\n  name: ${name}\ndata:\n  token: ${b64(token)}\n`;

interface Reply<T> {
  status: number;
  body: T;
}

describe("api: applications, actions, tree, stream, metrics", () => {
  let fx: ControllerFixture;
  let api: ApiServer;
  let url: string;
  let ws: GitWorkspace;
  let ns: string;

  const call = async <T>(method: string, path: string, body?: unknown): Promise<Reply<T>> => {
    const response = await fetch(`${api.url}${path}`, {
      method,
      ...(body === undefined
        ? {}
        : {
            body: typeof body === "string" ? body : JSON.stringify(body),
            headers: { "content-type": "application/json" },
          }),
    });
    const text = await response.text();
    const type = response.headers.get("content-type") ?? "";
    return { status: response.status, body: (type.includes("json") ? JSON.parse(text) : text) as T };
  };
  const appPath = (name: string, rest = "") => `/api/v1/applications/${fx.appNs}/${name}${rest}`;

  before(async () => {
    fx = await startControllerFixture("api");
    ({ url, ws } = await fx.repository("api", {
      "web/deployment.yaml": deployment("web", 1),
      "cfg/settings.yaml": configMap("settings", { level: "1" }),
      "cfg/creds.yaml": secret("creds", CANARY),
    }));
    ns = await fx.namespace("api-dest");
    // auth: false — these tests cover the API's non-auth behaviour; api-auth.test.ts covers auth.
    api = await startApiServer({
      clients: clients(),
      namespace: fx.appNs,
      systemNamespace: fx.systemNamespace,
      heartbeatMs: 200,
      auth: false,
      desired: (ref) => fx.controller.desiredOf(ref),
    });
    // "web" is manual (the API's sync drives it); "cfg" syncs itself.
    await fx.createApp("web", {
      source: { repoURL: url, targetRevision: "main", path: "web" },
      destination: { server: IN_CLUSTER, namespace: ns },
    });
    await fx.createApp("cfg", {
      source: { repoURL: url, targetRevision: "main", path: "cfg" },
      destination: { server: IN_CLUSTER, namespace: ns },
      syncPolicy: { automated: { prune: true } },
    });
    await fx.patchApp("web", { metadata: { labels: { team: "web" } } });
    await fx.waitApp("web", "compared", (a) => a.status?.sync?.status === "OutOfSync");
    await fx.waitApp("cfg", "Synced", (a) => a.status?.sync?.status === "Synced");
  });
  after(async () => {
    await api?.close();
    await fx?.stop();
  });

  test("list, filter by sync/label/project, get; unknown app and foreign namespace are 404", async () => {
    const all = await call<ApplicationList>("GET", "/api/v1/applications");
    assert.equal(all.status, 200);
    assert.deepEqual(all.body.items.map((a) => a.name).sort(), ["cfg", "web"]);
    const cfg = all.body.items.find((a) => a.name === "cfg");
    assert.equal(cfg?.repoURL, url);
    assert.equal(cfg?.path, "cfg");
    assert.equal(cfg?.project, "default");
    assert.match(cfg?.revision ?? "", /^[0-9a-f]{40}$/);

    const outOfSync = await call<ApplicationList>("GET", "/api/v1/applications?sync=OutOfSync");
    assert.deepEqual(
      outOfSync.body.items.map((a) => a.name),
      ["web"],
    );
    const labelled = await call<ApplicationList>("GET", "/api/v1/applications?label=team=web");
    assert.deepEqual(
      labelled.body.items.map((a) => a.name),
      ["web"],
    );
    const none = await call<ApplicationList>("GET", "/api/v1/applications?project=other");
    assert.deepEqual(none.body.items, []);

    const web = await call<ApplicationDetail>("GET", appPath("web"));
    assert.equal(web.status, 200);
    assert.equal(web.body.sync, "OutOfSync");
    assert.deepEqual(
      web.body.resources.map((r) => `${r.kind}/${r.name}`),
      ["Deployment/web"],
    );
    assert.deepEqual((web.body.spec["source"] as { path: string }).path, "web");

    const missing = await call<ErrorBody>("GET", appPath("nope"));
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.code, "not_found");
    const foreign = await call<ErrorBody>("GET", "/api/v1/applications/kube-system/web");
    assert.equal(foreign.status, 404);
  });

  test("create/update/delete: errors name the field; valid bodies round-trip", async () => {
    const spec = {
      source: { repoURL: url, targetRevision: "main", path: "cfg" },
      destination: { server: IN_CLUSTER, namespace: ns },
    };
    const malformed = await call<ErrorBody>("POST", "/api/v1/applications", "{not json");
    assert.equal(malformed.status, 400);

    const noRepo = await call<ErrorBody>("POST", "/api/v1/applications", {
      metadata: { name: "bad" },
      spec: { ...spec, source: { path: "cfg" } },
    });
    assert.equal(noRepo.status, 422);
    assert.equal(noRepo.body.error.field, "spec.source.repoURL");

    const badNs = await call<ErrorBody>("POST", "/api/v1/applications", {
      metadata: { name: "bad" },
      spec: { ...spec, destination: { server: IN_CLUSTER, namespace: "Not_A_Namespace" } },
    });
    assert.equal(badNs.status, 422);
    assert.equal(badNs.body.error.field, "spec.destination.namespace");
    assert.match(badNs.body.error.message, /Not_A_Namespace/);

    // The apiserver's own validation (CRD schema, object name) comes back as 422 with its message.
    const badName = await call<ErrorBody>("POST", "/api/v1/applications", {
      metadata: { name: "Bad_Name" },
      spec,
    });
    assert.equal(badName.status, 422, JSON.stringify(badName.body));
    assert.match(badName.body.error.message, /Bad_Name/);

    const created = await call<ApplicationDetail>("POST", "/api/v1/applications", {
      metadata: { name: "made", labels: { team: "x" } },
      spec,
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.namespace, fx.appNs);
    const duplicate = await call<ErrorBody>("POST", "/api/v1/applications", {
      metadata: { name: "made" },
      spec,
    });
    assert.equal(duplicate.status, 409);

    const updated = await call<ApplicationDetail>("PUT", appPath("made"), {
      metadata: { name: "made", labels: { team: "y" } },
      spec: { ...spec, source: { ...spec.source, targetRevision: "HEAD" } },
    });
    assert.equal(updated.status, 200, JSON.stringify(updated.body));
    assert.equal(updated.body.targetRevision, "HEAD");
    assert.deepEqual(updated.body.labels, { team: "y" });
    const stale = await call<ErrorBody>("PUT", appPath("made"), {
      metadata: { name: "made", resourceVersion: created.body.resourceVersion },
      spec,
    });
    assert.equal(stale.status, 409, "a stale resourceVersion is a conflict");

    const badCascade = await call<ErrorBody>("DELETE", appPath("made", "?cascade=maybe"));
    assert.equal(badCascade.status, 400);
    assert.equal(badCascade.body.error.field, "cascade");
    // cascade=true: the finalizer is set first, so the controller deletes what the app applied.
    const ns2 = await fx.namespace("api-cascade");
    const cascaded = await call<ApplicationDetail>("POST", "/api/v1/applications", {
      metadata: { name: "cascaded" },
      spec: {
        ...spec,
        destination: { server: IN_CLUSTER, namespace: ns2 },
        syncPolicy: { automated: { prune: true } },
      },
    });
    assert.equal(cascaded.status, 201, JSON.stringify(cascaded.body));
    await fx.waitApp("cascaded", "Synced", (a) => a.status?.sync?.status === "Synced");
    await clients().core.readNamespacedConfigMap({ name: "settings", namespace: ns2 });
    // 202 while the finalizer holds it; 200 if the controller was done before the answer was made.
    const cascade = await call<{ state: string }>("DELETE", appPath("cascaded", "?cascade=true"));
    assert.equal(cascade.status, cascade.body.state === "Deleting" ? 202 : 200, JSON.stringify(cascade.body));
    await waitFor(
      "cascaded's ConfigMap and the app to be gone",
      async () =>
        (await call("GET", appPath("cascaded"))).status === 404 &&
        (await clients()
          .core.readNamespacedConfigMap({ name: "settings", namespace: ns2 })
          .then(
            () => false,
            () => true,
          )),
      { timeoutMs: 30_000 },
    );

    // Without cascade nothing holds it: gone at once, and the answer says so.
    const deleted = await call<{ state: string }>("DELETE", appPath("made", "?cascade=false"));
    assert.equal(deleted.status, 200);
    assert.equal(deleted.body.state, "Deleted");
    await waitFor("made to be gone", async () => (await call("GET", appPath("made"))).status === 404, {
      timeoutMs: 30_000,
    });
  });

  test("sync dry-run shows the diff and changes nothing; sync, refresh and rollback are acted on", async () => {
    const dry = await call<DiffResponse>("POST", appPath("web", "/sync"), { dryRun: true });
    assert.equal(dry.status, 200);
    assert.deepEqual(
      dry.body.resources.map((r) => `${r.kind}/${r.name}:${r.status}`),
      ["Deployment/web:OutOfSync"],
    );
    assert.equal((await fx.readApp("web")).metadata.annotations?.["tether.dev/sync"], undefined);

    const badSync = await call<ErrorBody>("POST", appPath("web", "/sync"), { prune: "yes" });
    assert.equal(badSync.status, 422);
    assert.equal(badSync.body.error.field, "prune");

    const sync = await call<{ annotation: string }>("POST", appPath("web", "/sync"), {});
    assert.equal(sync.status, 202);
    assert.equal(sync.body.annotation, "tether.dev/sync");
    const synced = await fx.waitApp(
      "web",
      "Synced by the API's request",
      (a) => a.status?.sync?.status === "Synced" && (a.status.history?.length ?? 0) === 1,
    );
    const first = synced.status?.history?.[0];
    assert.ok(first);

    // A new commit, seen through the API's refresh, then synced: two history entries.
    const sha = await ws.commitAndPush({ "web/deployment.yaml": deployment("web", 2) }, "web: 2 replicas");
    const badType = await call<ErrorBody>("POST", appPath("web", "/refresh?type=soft"));
    assert.equal(badType.status, 400);
    const refresh = await call("POST", appPath("web", "/refresh?type=hard"));
    assert.equal(refresh.status, 202);
    await fx.waitApp(
      "web",
      "refresh saw the new commit",
      (a) => a.status?.sync?.revision === sha && a.status.sync.status === "OutOfSync",
    );
    await call("POST", appPath("web", "/sync"), {});
    await fx.waitApp(
      "web",
      "second sync",
      (a) => a.status?.sync?.status === "Synced" && (a.status.history?.length ?? 0) === 2,
    );

    const history = await call<{ items: { id: number; revision: string }[] }>(
      "GET",
      appPath("web", "/history"),
    );
    assert.deepEqual(
      history.body.items.map((h) => h.revision),
      [first.revision, sha],
    );

    const unknown = await call<ErrorBody>("POST", appPath("web", "/rollback"), { id: 999 });
    assert.equal(unknown.status, 422);
    assert.equal(unknown.body.error.field, "id");
    const rollback = await call("POST", appPath("web", "/rollback"), { id: first.id });
    assert.equal(rollback.status, 202);
    const rolled = await fx.waitApp(
      "web",
      "rolled back",
      (a) => a.status?.rollback?.id === first.id && a.status.sync?.revision === first.revision,
    );
    assert.equal(rolled.status?.rollback?.revision, first.revision);
    const d = await clients().apps.readNamespacedDeployment({ name: "web", namespace: ns });
    assert.equal(d.spec?.replicas, 1, "the rolled-back manifest is applied");
    await call("POST", appPath("web", "/rollback"), { id: "cancel" });
    await fx.waitApp("web", "rollback cancelled", (a) => a.status?.rollback === undefined);
  });

  test("resource tree: Deployment → ReplicaSet → Pod with health; events; logs refused outside the app", async () => {
    const tree = await waitFor(
      "a Pod under the Deployment",
      async () => {
        const reply = await call<{ nodes: ResourceNode[] }>("GET", appPath("web", "/resource-tree"));
        const pods = reply.body.nodes.flatMap((d) => d.children.flatMap((rs) => rs.children));
        return reply.body.nodes.length > 0 && pods.length > 0 ? reply.body.nodes : undefined;
      },
      { timeoutMs: 60_000 },
    );
    const deploymentNode = tree.find((n) => n.kind === "Deployment");
    assert.equal(deploymentNode?.name, "web");
    assert.equal(deploymentNode?.group, "apps");
    assert.ok(deploymentNode?.sync);
    assert.ok(deploymentNode?.health.status);
    const rs = deploymentNode?.children.find((n) => n.kind === "ReplicaSet");
    assert.ok(rs, "ReplicaSet child");
    assert.match(rs.name, /^web-/);
    const pod = rs.children.find((n) => n.kind === "Pod");
    assert.ok(pod, "Pod grandchild");
    assert.ok(["Healthy", "Progressing", "Degraded"].includes(pod.health.status), pod.health.status);

    const events = await waitFor(
      "events of web",
      async () => {
        const reply = await call<{ items: { reason: string }[] }>("GET", appPath("web", "/events"));
        return reply.body.items.length > 0 ? reply.body.items : undefined;
      },
      { timeoutMs: 30_000 },
    );
    assert.ok(events.every((e) => typeof e.reason === "string"));

    // A pod that is not in web's tree: cfg's namespace neighbour, created by hand.
    await clients().core.createNamespacedPod({
      namespace: ns,
      body: { metadata: { name: "stray" }, spec: { containers: [{ name: "c", image: "busybox" }] } },
    });
    const refused = await call<ErrorBody>("GET", appPath("web", "/logs?pod=stray"));
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error.code, "forbidden");
    const noPod = await call<ErrorBody>("GET", appPath("web", "/logs"));
    assert.equal(noPod.status, 400);
  });

  test("the event stream delivers an application change, with heartbeats, and closes cleanly", async () => {
    const abort = new AbortController();
    const response = await fetch(`${api.url}/api/v1/stream`, { signal: abort.signal });
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type") ?? "", /text\/event-stream/);
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    const until = async (pattern: RegExp) => {
      for (;;) {
        const match = pattern.exec(buffer);
        if (match) {
          buffer = buffer.slice(match.index + match[0].length);
          return match;
        }
        const { value, done } = await reader.read();
        if (done) throw new Error(`stream ended before ${pattern}`);
        buffer += value;
      }
    };
    await until(/event: ready\n/);
    await fx.patchApp("cfg", { metadata: { labels: { touched: "yes" } } });
    // Other changes (status writes of "web") may come first; the label change must arrive.
    for (;;) {
      const event = await until(/event: application\ndata: (.*)\n/);
      const data = JSON.parse(event[1] ?? "") as {
        type: string;
        application: { name: string; labels?: Record<string, string> };
      };
      assert.equal(data.type, "MODIFIED", "after ready, only changes");
      if (data.application.name === "cfg" && data.application.labels?.["touched"] === "yes") break;
    }
    await until(/event: heartbeat\n/);
    abort.abort();
    await reader.cancel().catch(() => undefined);
  });

  test("/metrics has per-app series and API latency; /api/openapi.json documents the paths; /healthz", async () => {
    const metrics = await call<string>("GET", "/metrics");
    assert.equal(metrics.status, 200);
    assert.match(
      metrics.body,
      new RegExp(
        `tether_app_info\\{namespace="${fx.appNs}",name="cfg",project="default",sync="[A-Za-z]+",health="[A-Za-z]+"\\} 1`,
      ),
    );
    assert.match(
      metrics.body,
      new RegExp(`tether_app_sync_status\\{namespace="${fx.appNs}",name="cfg",sync_status="Synced"\\} 1`),
    );
    assert.match(
      metrics.body,
      /tether_api_request_duration_seconds_count\{route="\/api\/v1\/applications\/:namespace\/:name",method="GET",status="200"\} \d+/,
    );

    const doc = await call<{ openapi: string; paths: Record<string, Record<string, unknown>> }>(
      "GET",
      "/api/openapi.json",
    );
    assert.equal(doc.status, 200);
    assert.equal(doc.body.openapi, "3.1.0");
    for (const path of [
      "/api/v1/applications",
      "/api/v1/applications/{namespace}/{name}",
      "/api/v1/applications/{namespace}/{name}/resource-tree",
      "/api/webhook",
      "/api/v1/stream",
    ]) {
      assert.ok(doc.body.paths[path], `documents ${path}`);
    }
    assert.ok(doc.body.paths["/api/v1/applications/{namespace}/{name}/sync"]?.["post"]);
    assert.equal((await call<string>("GET", "/healthz")).body, "ok");
  });

  test("diff: drifted resources list the differing fields, desired and live YAML; Secret values never leave", async () => {
    // Earlier tests pushed commits that leave "cfg" Synced without a sync. Its automated policy deploys
    // a revision it has not synced yet at the first difference (Argo CD's rule), which would rightly
    // re-apply the drift made below: sync it at the newest commit first, so the drift stays.
    const head = await ws.head();
    await fx.annotate("cfg", { "tether.dev/sync": "true" });
    await fx.waitApp(
      "cfg",
      "synced at HEAD",
      (a) =>
        a.status?.operationState?.revision === head &&
        a.status.operationState.phase === "Succeeded" &&
        !(a.metadata.annotations && "tether.dev/sync" in a.metadata.annotations),
    );
    await clients().core.patchNamespacedConfigMap({
      name: "settings",
      namespace: ns,
      body: [{ op: "replace", path: "/data/level", value: "drifted" }],
    });
    await clients().core.patchNamespacedSecret({
      name: "creds",
      namespace: ns,
      body: [{ op: "replace", path: "/data/token", value: b64(DRIFTED_CANARY) }],
    });
    const drifted = (kind: string) => (a: Application) =>
      a.status?.resources?.some((r) => r.kind === kind && r.status === "OutOfSync") ?? false;
    await fx.waitApp(
      "cfg",
      "Secret and ConfigMap drift seen",
      (a) => drifted("Secret")(a) && drifted("ConfigMap")(a),
    );
    const response = await fetch(`${api.url}${appPath("cfg", "/diff")}`);
    const text = await response.text();
    const diff = JSON.parse(text) as DiffResponse;
    const creds = diff.resources.find((r) => r.kind === "Secret");
    assert.ok(creds, JSON.stringify(diff));
    assert.deepEqual(creds.fields, ["/data/token"]);
    assert.match(creds.liveYaml ?? "", /token: "?\++"?/, "the value is redacted, the key shown");
    assert.doesNotMatch(creds.liveYaml ?? "", /resourceVersion|managedFields/, "normalized");
    // Desired vs live, side by side: the controller's dry-run against what is live now.
    const settings = diff.resources.find((r) => r.kind === "ConfigMap" && r.name === "settings");
    assert.match(settings?.liveYaml ?? "", /level: drifted/);
    assert.match(settings?.desiredYaml ?? "", /level: "1"/);
    assert.match(creds.desiredYaml ?? "", /token: "?\++"?/, "the desired Secret value is redacted too");
    assert.ok(diff.resources.every((r) => r.status === "OutOfSync"));
    assert.ok(diff.note.length > 0);
    // The canary scan covers every read route of this app.
    for (const route of ["", "/diff", "/resource-tree", "/history", "/events"]) {
      const body = await (await fetch(`${api.url}${appPath("cfg", route)}`)).text();
      for (const value of [CANARY, DRIFTED_CANARY, b64(CANARY), b64(DRIFTED_CANARY)]) {
        assert.ok(!body.includes(value), `GET ${route || "/"} leaks a Secret value`);
      }
    }
    assert.ok(!text.includes(DRIFTED_CANARY) && !text.includes(b64(DRIFTED_CANARY)));
    const dry = await (
      await fetch(`${api.url}${appPath("cfg", "/sync")}`, {
        method: "POST",
        body: JSON.stringify({ dryRun: true }),
      })
    ).text();
    assert.ok(!dry.includes(b64(DRIFTED_CANARY)));
  });
});
