// Two Applications rendering the same object (ConfigMap `shared` in one namespace), from two
// repositories. As in Argo CD, the second app must not silently take the object over: the object
// keeps the first app's content and ownership, the second app reports the conflict, and removing
// the object from the second app's Git never prunes the first app's object.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { ControllerFixture } from "../helpers/app.js";
import { configMap, IN_CLUSTER, startControllerFixture } from "../helpers/app.js";
import { clients } from "../helpers/environment.js";

describe("controller: two apps claiming one object", () => {
  let fx: ControllerFixture;

  before(async () => {
    fx = await startControllerFixture("ctl-shared");
  });
  after(() => fx?.stop());

  test("the second app neither steals nor prunes the first app's ConfigMap; it reports the conflict", async () => {
    const ns = await fx.namespace("ctl-shared");
    const first = await fx.repository("first", {
      "cfg/shared.yaml": configMap("shared", { owner: "first" }),
    });
    const second = await fx.repository("second", {
      "cfg/shared.yaml": configMap("shared", { owner: "second" }),
      "cfg/own.yaml": configMap("second-own", { a: "1" }),
    });
    const spec = (url: string) => ({
      source: { repoURL: url, targetRevision: "main", path: "cfg" },
      destination: { server: IN_CLUSTER, namespace: ns },
      syncPolicy: { automated: { prune: true, selfHeal: true } },
    });
    await fx.createApp("first", spec(first.url));
    await fx.waitApp("first", "Synced", (a) => a.status?.sync?.status === "Synced");
    const read = () => clients().core.readNamespacedConfigMap({ name: "shared", namespace: ns });
    const original = await read();
    const tracking = original.metadata?.annotations?.["tether.dev/tracking-id"];
    assert.match(tracking ?? "", new RegExp(`^${fx.appNs}/first:`));

    await fx.createApp("second", spec(second.url));
    await fx.waitApp("second", "compared", (a) => (a.status?.resources?.length ?? 0) === 2);
    // Let both apps reconcile again, so any tug of war has had its chance.
    await fx.refresh("second");
    await fx.refresh("first");
    await fx.refresh("second");

    const live = await read();
    assert.equal(live.data?.["owner"], "first", "the second app must not overwrite the first app's object");
    assert.equal(live.metadata?.annotations?.["tether.dev/tracking-id"], tracking, "ownership unchanged");
    const a2 = await fx.readApp("second");
    const entry = a2.status?.resources?.find((r) => r.name === "shared");
    assert.equal(entry?.status, "OutOfSync", "the second app reports the object as not its own");
    const reported = [entry?.message ?? "", ...(a2.status?.conditions ?? []).map((c) => c.message)].join(
      "\n",
    );
    assert.match(reported, new RegExp(`${fx.appNs}/first`), "the conflict names the app that owns it");
    assert.equal((await fx.readApp("first")).status?.sync?.status, "Synced");

    // Removing the object from the second app's Git: the first app's object is not pruned.
    const sha = await second.ws.commitAndPush({ "cfg/shared.yaml": null }, "second no longer wants shared");
    await fx.annotate("second", { "tether.dev/refresh": "normal" });
    await fx.waitApp(
      "second",
      "Synced at the new commit",
      (a) => a.status?.sync?.revision === sha && a.status.sync.status === "Synced",
    );
    const still = await read();
    assert.equal(still.metadata?.uid, original.metadata?.uid, "not pruned or recreated");
    assert.equal(still.metadata?.deletionTimestamp, undefined);
    assert.equal(still.data?.["owner"], "first");
  });
});
