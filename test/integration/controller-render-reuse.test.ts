// Renders reused across commits: in a monorepo, a commit that changes one app's folder re-renders
// that app only. Every other plain-manifest app is compared at the new commit from the render of
// its unchanged folder (engine/render/contentkey.ts), without a tree extracted or a file read;
// a Kustomize app, which may read outside its folder, is rendered again.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { ControllerFixture } from "../helpers/app.js";
import { configMap, IN_CLUSTER, startControllerFixture } from "../helpers/app.js";
import { clients } from "../helpers/environment.js";

const KUSTOMIZATION = "resources:\n  - cm.yaml\n";

describe("controller: renders reused while an app's folder is unchanged", () => {
  let fx: ControllerFixture;

  before(async () => {
    fx = await startControllerFixture("ctl-reuse");
  });
  after(() => fx?.stop());

  test("a commit touching one folder re-renders that app and the Kustomize app only; all follow the commit", async () => {
    const { ws, url } = await fx.repository("mono", {
      "apps/a/cm.yaml": configMap("a", { v: "1" }),
      "apps/b/cm.yaml": configMap("b", { v: "1" }),
      "apps/c/cm.yaml": configMap("c", { v: "1" }),
      "apps/k/kustomization.yaml": KUSTOMIZATION,
      "apps/k/cm.yaml": configMap("k", { v: "1" }),
    });
    const names = ["a", "b", "c", "k"];
    const namespaces = new Map<string, string>();
    for (const name of names) {
      const ns = await fx.namespace(`ctl-reuse-${name}`);
      namespaces.set(name, ns);
      await fx.createApp(name, {
        source: { repoURL: url, targetRevision: "main", path: `apps/${name}` },
        destination: { server: IN_CLUSTER, namespace: ns },
        syncPolicy: { automated: { prune: true } },
      });
    }
    const initial = await ws.head();
    for (const name of names)
      await fx.waitApp(
        name,
        "Synced",
        (x) => x.status?.sync?.status === "Synced" && x.status.sync.revision === initial,
      );

    const stats = () => ({ ...fx.controller.rendering.renderer.stats });
    const before = stats();
    const head = await ws.commitAndPush({ "apps/a/cm.yaml": configMap("a", { v: "2" }) }, "a changes");
    for (const name of names) await fx.refresh(name);
    for (const name of names)
      await fx.waitApp(
        name,
        `Synced at ${head}`,
        (x) => x.status?.sync?.status === "Synced" && x.status.sync.revision === head,
      );
    const afterStats = stats();
    assert.equal(
      afterStats.renders - before.renders,
      2,
      `a and k rendered again, b and c reused: ${JSON.stringify({ before, after: afterStats })}`,
    );
    const live = await clients().core.readNamespacedConfigMap({
      name: "a",
      namespace: namespaces.get("a") ?? "",
    });
    assert.equal(live.data?.["v"], "2");

    // Content, not the commit, is the key: b's folder changed back and forth is rendered each time.
    const again = await ws.commitAndPush({ "apps/b/cm.yaml": configMap("b", { v: "2" }) }, "b changes");
    await fx.refresh("b");
    await fx.waitApp(
      "b",
      `Synced at ${again}`,
      (x) => x.status?.sync?.status === "Synced" && x.status.sync.revision === again,
    );
    const b = await clients().core.readNamespacedConfigMap({
      name: "b",
      namespace: namespaces.get("b") ?? "",
    });
    assert.equal(b.data?.["v"], "2");
  });
});
