// App of apps: a parent Application whose Git path holds child Applications, each with its own
// workloads in the same repository. The parent applies the children (after its other objects),
// shows each child's own health, prunes a child removed from Git only when the parent prunes, and
// on deletion cascades through the children's own finalizers — or, without its finalizer, leaves
// the children (and their resources) running.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { CASCADE_FINALIZER } from "../../src/model/contract.js";
import type { Application } from "../../src/model/application.js";
import type { ControllerFixture } from "../helpers/app.js";
import { APP_GROUP, configMap, IN_CLUSTER, isGone, service, startControllerFixture } from "../helpers/app.js";
import { clients } from "../helpers/environment.js";
import type { GitWorkspace } from "../../src/localcluster/gitrepo.js";
import { waitFor } from "../../src/lib/wait.js";

function childApp(name: string, url: string, path: string, namespace: string): string {
  return `apiVersion: tether.dev/v1alpha1
kind: Application
metadata:
  name: ${name}
  finalizers: [${CASCADE_FINALIZER}]
spec:
  source: {repoURL: "${url}", targetRevision: main, path: ${path}}
  destination: {server: "${IN_CLUSTER}", namespace: ${namespace}}
  syncPolicy: {automated: {prune: true, selfHeal: true}}
`;
}

describe("controller: app of apps", () => {
  let fx: ControllerFixture;
  let url: string;
  let ws: GitWorkspace;
  const ns: Record<"a" | "b" | "c", string> = { a: "", b: "", c: "" };

  before(async () => {
    fx = await startControllerFixture("ctl-aoa");
    for (const k of ["a", "b", "c"] as const) ns[k] = await fx.namespace(`ctl-aoa-${k}`);
    ({ url, ws } = await fx.repository("apps", { "README.md": "apps\n" }));
    await ws.commitAndPush(
      {
        "parent/settings.yaml": configMap("parent-settings", { owner: "platform" }),
        "parent/child-a.yaml": childApp("child-a", url, "a", ns.a),
        "parent/child-b.yaml": childApp("child-b", url, "b", ns.b),
        "a/config.yaml": configMap("a-config", { team: "a" }),
        "a/service.yaml": service("a-web"),
        "b/config.yaml": configMap("b-config", { team: "b" }),
        "orphaning/child-c.yaml": childApp("child-c", url, "c", ns.c),
        "c/config.yaml": configMap("c-config", { team: "c" }),
      },
      "parent, children and their workloads",
    );
  });
  after(() => fx?.stop());

  const configMapGone = (name: string, namespace: string) =>
    isGone(() => clients().core.readNamespacedConfigMap({ name, namespace }));
  const appGone = (name: string) => isGone(() => fx.readApp(name));
  const healthOf = (app: Application, name: string) =>
    app.status?.resources?.find((r) => r.kind === "Application" && r.name === name)?.health;

  test("the parent applies its children last, reports their own health, and prunes a removed child only when it prunes", async () => {
    await fx.createApp(
      "parent",
      {
        source: { repoURL: url, targetRevision: "main", path: "parent" },
        destination: { server: IN_CLUSTER, namespace: fx.appNs },
        syncPolicy: { automated: { prune: true, selfHeal: true } },
      },
      [CASCADE_FINALIZER],
    );
    const parent = await fx.waitApp(
      "parent",
      "Synced and Healthy with two Healthy children",
      (a) =>
        a.status?.sync?.status === "Synced" &&
        a.status?.health?.status === "Healthy" &&
        healthOf(a, "child-a")?.status === "Healthy" &&
        healthOf(a, "child-b")?.status === "Healthy",
      60_000,
    );
    // Applications last in the change set of the first sync.
    const applied = (parent.status?.operationState?.results ?? []).map((r) => r.ref.kind);
    assert.deepEqual(
      applied,
      ["ConfigMap", "Application", "Application"],
      JSON.stringify(parent.status?.operationState),
    );
    for (const child of ["child-a", "child-b"]) {
      const app = await fx.readApp(child);
      assert.equal(app.status?.sync?.status, "Synced");
      assert.match(
        app.metadata.annotations?.["tether.dev/tracking-id"] ?? "",
        new RegExp(`^${fx.appNs}/parent:tether.dev/Application:`),
      );
    }
    await clients().core.readNamespacedConfigMap({ name: "a-config", namespace: ns.a });
    await clients().core.readNamespacedService({ name: "a-web", namespace: ns.a });
    await clients().core.readNamespacedConfigMap({ name: "b-config", namespace: ns.b });

    // Prune off: child-b leaves Git but stays, and the parent says it needs pruning.
    await fx.patchApp("parent", { spec: { syncPolicy: { automated: { prune: false, selfHeal: true } } } });
    await ws.commitAndPush({ "parent/child-b.yaml": null }, "child-b leaves Git");
    await fx.refresh("parent");
    let app = await fx.waitApp(
      "parent",
      "OutOfSync with child-b to prune",
      (a) =>
        a.status?.sync?.status === "OutOfSync" &&
        a.status.resources?.some((r) => r.name === "child-b" && r.message?.startsWith("requires pruning")) ===
          true,
    );
    assert.equal(await appGone("child-b"), false, "kept while the parent does not prune");
    assert.equal(await configMapGone("b-config", ns.b), false);

    // Prune on: child-b is deleted, and its own finalizer deletes its resources.
    await fx.patchApp("parent", { spec: { syncPolicy: { automated: { prune: true, selfHeal: true } } } });
    await waitFor(
      "child-b and its ConfigMap to be deleted",
      async () => (await appGone("child-b")) && (await configMapGone("b-config", ns.b)),
      { timeoutMs: 30_000 },
    );
    // child-b is listed as "Pending deletion" until its own finalizer is done; the parent's next
    // reconcile (woken by child-b's deletion) drops it.
    app = await fx.waitApp(
      "parent",
      "Synced after pruning child-b, child-b no longer listed",
      (a) => a.status?.sync?.status === "Synced" && healthOf(a, "child-b") === undefined,
    );
    assert.equal(
      app.status?.resources?.some((r) => r.name === "child-b"),
      false,
    );
    assert.equal(await configMapGone("a-config", ns.a), false, "child-a untouched");
  });

  test("deleting a parent with the cascade finalizer deletes its children and, through their finalizers, their resources", async () => {
    await fx.waitApp("parent", "Synced", (a) => a.status?.sync?.status === "Synced");
    await fx.deleteApp("parent");
    await waitFor(
      "parent, child-a and child-a's objects to be deleted",
      async () =>
        (await appGone("parent")) &&
        (await appGone("child-a")) &&
        (await configMapGone("a-config", ns.a)) &&
        (await isGone(() => clients().core.readNamespacedService({ name: "a-web", namespace: ns.a }))),
      { timeoutMs: 60_000 },
    ).catch((error: Error) => {
      throw new Error(`${error.message}\nlog:\n${fx.lines.join("\n")}`);
    });
  });

  test("deleting a parent without the finalizer orphans its children: they and their resources stay", async () => {
    await fx.createApp("orphaning", {
      source: { repoURL: url, targetRevision: "main", path: "orphaning" },
      destination: { server: IN_CLUSTER, namespace: fx.appNs },
      syncPolicy: { automated: { prune: true, selfHeal: true } },
    });
    await fx.waitApp(
      "orphaning",
      "Healthy with child-c Healthy",
      (a) => a.status?.health?.status === "Healthy" && healthOf(a, "child-c")?.status === "Healthy",
      60_000,
    );
    await fx.deleteApp("orphaning");
    await waitFor("the parent to be gone", () => appGone("orphaning"), { timeoutMs: 30_000 });
    // The child keeps working on its own: a refresh is handled, it stays Synced with its objects.
    const child = await fx.refresh("child-c");
    assert.equal(child.metadata.deletionTimestamp, undefined);
    assert.equal(child.status?.sync?.status, "Synced");
    assert.equal(await configMapGone("c-config", ns.c), false);
    const list = (await clients().custom.listNamespacedCustomObject({
      ...APP_GROUP,
      namespace: fx.appNs,
    })) as { items: Application[] };
    assert.deepEqual(list.items.map((a) => a.metadata.name).sort(), ["child-c"]);
  });
});
