// A branch force-pushed back to an older commit: the app follows Git to that commit, prunes only
// what the older commit lacks, keeps everything else in place, and its history records the
// older commit as the latest deployment.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { waitFor } from "../../src/lib/wait.js";
import type { ControllerFixture } from "../helpers/app.js";
import { configMap, IN_CLUSTER, isGone, startControllerFixture } from "../helpers/app.js";
import { clients } from "../helpers/environment.js";

describe("faults: a force-push to an older commit", () => {
  let fx: ControllerFixture;

  before(async () => {
    fx = await startControllerFixture("fault-forcepush");
  });
  after(() => fx?.stop());

  test("the app goes back to the older commit, pruning only what it lacks, and history says so", async () => {
    const ns = await fx.namespace("fault-forcepush");
    const { url, ws } = await fx.repository("history", {
      "app/keep.yaml": configMap("keep", { v: "1" }),
      "app/edit.yaml": configMap("edit", { v: "old" }),
    });
    const older = await ws.head();
    const newer = await ws.commitAndPush(
      { "app/edit.yaml": configMap("edit", { v: "new" }), "app/added.yaml": configMap("added", { v: "1" }) },
      "edit changed, added added",
    );
    await fx.createApp("history", {
      source: { repoURL: url, targetRevision: "main", path: "app" },
      destination: { server: IN_CLUSTER, namespace: ns },
      syncPolicy: { automated: { prune: true, selfHeal: true } },
    });
    await fx.waitApp(
      "history",
      "Synced at the newer commit",
      (a) => a.status?.sync?.status === "Synced" && a.status.sync.revision === newer,
    );
    const read = (name: string) => clients().core.readNamespacedConfigMap({ name, namespace: ns });
    const keepUid = (await read("keep")).metadata?.uid;
    const editUid = (await read("edit")).metadata?.uid;

    await ws.resetHard(older);
    await ws.push("main", { force: true });
    await fx.refresh("history");
    const app = await fx.waitApp(
      "history",
      "Synced at the older commit",
      (a) =>
        a.status?.sync?.status === "Synced" &&
        a.status.sync.revision === older &&
        a.status.operationState?.phase === "Succeeded",
    );

    await waitFor("added pruned", () => isGone(() => read("added")), { timeoutMs: 30_000 });
    const edit = await read("edit");
    assert.equal(edit.data?.["v"], "old", "edit is back at the older commit's value");
    assert.equal(edit.metadata?.uid, editUid, "edit updated in place");
    assert.equal((await read("keep")).metadata?.uid, keepUid, "keep untouched");
    const history = app.status?.history ?? [];
    assert.deepEqual(
      history.map((h) => h.revision),
      [newer, older],
      "history: the newer commit, then the older one",
    );
    assert.equal(history.at(-1)?.result, "Succeeded");
    const pruned = app.status?.operationState?.results
      ?.filter((r) => r.action === "deleted")
      .map((r) => r.ref.name);
    assert.deepEqual(pruned, ["added"], "the operation's results name the one object pruned");
  });
});
