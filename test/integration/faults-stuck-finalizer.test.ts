// A pruned object whose finalizer never clears: the app says the object is being deleted (and
// which finalizer holds it) instead of hiding it, and the rest of the app keeps syncing.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { PatchStrategy } from "@kubernetes/client-node";
import type { ControllerFixture } from "../helpers/app.js";
import { configMap, IN_CLUSTER, startControllerFixture } from "../helpers/app.js";
import { clients } from "../helpers/environment.js";

const FINALIZER = "example.com/never-clears";

describe("faults: a finalizer that never clears on a pruned object", () => {
  let fx: ControllerFixture;
  let ns: string;

  before(async () => {
    fx = await startControllerFixture("fault-finalizer");
  });
  after(async () => {
    // Release the object so its namespace can go.
    await clients()
      .objects.patch(
        {
          apiVersion: "v1",
          kind: "ConfigMap",
          metadata: { name: "stuck", namespace: ns, finalizers: null },
        } as never,
        undefined,
        undefined,
        undefined,
        undefined,
        PatchStrategy.MergePatch,
      )
      .catch(() => undefined);
    await fx?.stop();
  });

  test("the app reports the object as deleting; other changes still sync", async () => {
    ns = await fx.namespace("fault-finalizer");
    const { url, ws } = await fx.repository("stuck", {
      "app/stuck.yaml": configMap("stuck", { v: "1" }),
      "app/other.yaml": configMap("other", { v: "1" }),
    });
    await fx.createApp("stuck", {
      source: { repoURL: url, targetRevision: "main", path: "app" },
      destination: { server: IN_CLUSTER, namespace: ns },
      syncPolicy: { automated: { prune: true, selfHeal: true } },
    });
    await fx.waitApp("stuck", "Synced", (a) => a.status?.sync?.status === "Synced");
    // Someone else's controller put a finalizer on it and is gone.
    await clients().objects.patch(
      {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "stuck", namespace: ns, finalizers: [FINALIZER] },
      } as never,
      undefined,
      undefined,
      undefined,
      undefined,
      PatchStrategy.MergePatch,
    );

    const removed = await ws.commitAndPush(
      { "app/stuck.yaml": null, "app/other.yaml": configMap("other", { v: "2" }) },
      "stuck removed, other to v2",
    );
    await fx.refresh("stuck");
    const app = await fx.waitApp(
      "stuck",
      "the deleting object reported",
      (a) =>
        a.status?.sync?.revision === removed &&
        (a.status.resources ?? []).some((r) => r.name === "stuck" && /delet/i.test(r.message ?? "")),
    );
    const live = await clients().core.readNamespacedConfigMap({ name: "stuck", namespace: ns });
    assert.ok(live.metadata?.deletionTimestamp, "the prune was asked for");
    assert.deepEqual(live.metadata?.finalizers, [FINALIZER]);
    const other = await clients().core.readNamespacedConfigMap({ name: "other", namespace: ns });
    assert.equal(other.data?.["v"], "2", "the rest of the app synced");
    const entry = app.status?.resources?.find((r) => r.name === "stuck");
    assert.match(
      entry?.message ?? "",
      new RegExp(FINALIZER.replace(/[./]/g, "\\$&")),
      "the message names the finalizer holding it",
    );
    assert.equal(entry?.health?.status, "Progressing", "counted as Progressing (pending deletion)");
    assert.equal(app.status?.health?.status, "Progressing");
    assert.equal(app.status?.sync?.status, "Synced", "nothing left to do for Tether");
    // Once, not in a loop: the held object is not "to prune" again on every reconcile.
    const again = await fx.refresh("stuck");
    assert.equal(
      again.status?.history?.filter((h) => h.revision === removed).length,
      1,
      "one sync of the commit",
    );

    // Nothing else blocked: a later commit still syncs while the object stays stuck.
    const later = await ws.commitAndPush({ "app/other.yaml": configMap("other", { v: "3" }) }, "other to v3");
    await fx.refresh("stuck");
    await fx.waitApp(
      "stuck",
      "the later commit applied",
      (a) =>
        a.status?.sync?.revision === later &&
        a.status.operationState?.revision === later &&
        a.status.operationState.phase === "Succeeded",
    );
    assert.equal(
      (await clients().core.readNamespacedConfigMap({ name: "other", namespace: ns })).data?.["v"],
      "3",
    );
  });
});
