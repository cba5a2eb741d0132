// An app that ships a CRD together with resources of its kind (the common operator layout: CRDs
// next to the custom resources): the first sync applies the CRD, waits until the apiserver serves
// the kind, then applies the custom resources, without a failed sync in between. Removing the
// custom resource from Git prunes it; the CRD stays served. Found by hostile testing: the watch of
// the not-yet-known kind failed before anything was applied, so such an app never synced.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Application } from "../../src/model/application.js";
import { waitFor } from "../../src/lib/wait.js";
import type { ControllerFixture } from "../helpers/app.js";
import { condition, IN_CLUSTER, isGone, startControllerFixture } from "../helpers/app.js";
import { clients } from "../helpers/environment.js";

// A group of its own per run: the CRD is cluster-scoped and outlives the test's namespaces.
const GROUP = `crd-in-app-${Date.now().toString(36)}.tether-test.example.com`;
const crd = (
  kind: string,
  plural: string,
  scope: "Namespaced" | "Cluster",
) => `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: ${plural}.${GROUP}
spec:
  group: ${GROUP}
  scope: ${scope}
  names: { plural: ${plural}, singular: ${kind.toLowerCase()}, kind: ${kind} }
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema: { type: object, x-kubernetes-preserve-unknown-fields: true }
`;
const widget = (name: string, size: number) => `apiVersion: ${GROUP}/v1
kind: Widget
metadata:
  name: ${name}
spec:
  size: ${size}
`;
const gadget = `apiVersion: ${GROUP}/v1
kind: Gadget
metadata:
  name: global
spec:
  shared: true
`;

const readWidget = (ns: string, name: string) =>
  clients().custom.getNamespacedCustomObject({
    group: GROUP,
    version: "v1",
    namespace: ns,
    plural: "widgets",
    name,
  });

describe("controller: a CRD and its custom resources in one app", () => {
  let fx: ControllerFixture;

  before(async () => {
    fx = await startControllerFixture("ctl-crd");
  });
  after(async () => {
    await fx?.stop();
    for (const plural of ["widgets", "gadgets"]) {
      await clients()
        .raw.request({
          method: "DELETE",
          path: `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${plural}.${GROUP}`,
        })
        .catch(() => undefined);
    }
  });

  test("the first sync applies the CRDs, then their namespaced and cluster-scoped resources; a removed resource is pruned", async () => {
    const { ws, url } = await fx.repository("crd-in-app", {
      "app/crd-widgets.yaml": crd("Widget", "widgets", "Namespaced"),
      "app/crd-gadgets.yaml": crd("Gadget", "gadgets", "Cluster"),
      "app/widget-a.yaml": widget("a", 1),
      "app/widget-b.yaml": widget("b", 2),
      "app/gadget.yaml": gadget,
    });
    const ns = await fx.namespace("ctl-crd-web");
    await fx.createApp("crd-in-app", {
      source: { repoURL: url, targetRevision: "main", path: "app" },
      destination: { server: IN_CLUSTER, namespace: ns },
      syncPolicy: { automated: { prune: true } },
    });

    const synced = (a: Application) =>
      a.status?.sync?.status === "Synced" && a.status.operationState?.phase === "Succeeded";
    let app = await fx.waitApp("crd-in-app", "Synced with its custom resources", synced, 60_000);
    const kinds = (app.status?.resources ?? []).map((r) => `${r.kind}/${r.name}`).sort();
    assert.deepEqual(kinds, [
      `CustomResourceDefinition/gadgets.${GROUP}`,
      `CustomResourceDefinition/widgets.${GROUP}`,
      "Gadget/global",
      "Widget/a",
      "Widget/b",
    ]);
    assert.ok(
      app.status?.resources?.every((r) => r.status === "Synced"),
      JSON.stringify(app.status?.resources),
    );
    assert.equal(condition(app, "SyncError"), undefined);
    assert.equal(condition(app, "ComparisonError"), undefined);
    assert.equal(app.status?.operationState?.retryCount ?? 0, 0, "no failed attempt before the success");
    const a = (await readWidget(ns, "a")) as { spec: { size: number } };
    assert.equal(a.spec.size, 1);
    await clients().custom.getClusterCustomObject({
      group: GROUP,
      version: "v1",
      plural: "gadgets",
      name: "global",
    });

    // The kinds are watched now: an edit in Git reaches the cluster, a removed resource is pruned.
    const head = await ws.commitAndPush(
      { "app/widget-a.yaml": widget("a", 3), "app/widget-b.yaml": null },
      "widget a grows, b goes",
    );
    await fx.refresh("crd-in-app");
    app = await fx.waitApp(
      "crd-in-app",
      "Synced at the new commit",
      (x) => synced(x) && x.status?.sync?.revision === head,
      60_000,
    );
    const grown = (await readWidget(ns, "a")) as { spec: { size: number } };
    assert.equal(grown.spec.size, 3);
    // Pruned with foreground propagation (as Argo CD): gone once the garbage collector is done.
    await waitFor("widget b to be pruned", () => isGone(() => readWidget(ns, "b")), { timeoutMs: 30_000 });
    // While the collector works the app shows b as Pending deletion; then b leaves its status.
    await fx.waitApp("crd-in-app", "b gone from its resources", (x) =>
      (x.status?.resources ?? []).every((r) => r.name !== "b"),
    );
  });
});
