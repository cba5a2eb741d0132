// The empty-render guard: a commit that removes every manifest of an automated, pruning app looks
// exactly like a broken render or a wrong path, so Tether refuses to prune everything unless the
// app says `allowEmpty: true`, and says why in a SyncError condition.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { GitWorkspace } from "../../src/localcluster/gitrepo.js";
import { waitFor } from "../../src/lib/wait.js";
import type { ControllerFixture } from "../helpers/app.js";
import { condition, configMap, IN_CLUSTER, isGone, startControllerFixture } from "../helpers/app.js";
import { clients } from "../helpers/environment.js";

describe("controller: empty render guard", () => {
  let fx: ControllerFixture;
  let url: string;
  let ws: GitWorkspace;

  before(async () => {
    fx = await startControllerFixture("ctl-empty");
    ({ url, ws } = await fx.repository("empty", {
      "cfg/README.md": "The folder stays in Git when every manifest is removed.\n",
      "cfg/a.yaml": configMap("a", { v: "1" }),
      "cfg/b.yaml": configMap("b", { v: "1" }),
    }));
  });
  after(() => fx?.stop());

  test("removing every manifest prunes nothing (EmptyRender); allowEmpty: true prunes", async () => {
    const ns = await fx.namespace("ctl-empty");
    await fx.createApp("empty", {
      source: { repoURL: url, targetRevision: "main", path: "cfg" },
      destination: { server: IN_CLUSTER, namespace: ns },
      syncPolicy: { automated: { prune: true, selfHeal: true } },
    });
    await fx.waitApp(
      "empty",
      "Synced",
      (a) => a.status?.sync?.status === "Synced" && a.status.resources?.length === 2,
    );
    const read = (name: string) => clients().core.readNamespacedConfigMap({ name, namespace: ns });
    const before = await Promise.all([read("a"), read("b")]);

    const sha = await ws.commitAndPush({ "cfg/a.yaml": null, "cfg/b.yaml": null }, "remove every manifest");
    await fx.annotate("empty", { "tether.dev/refresh": "normal" });
    const guarded = await fx.waitApp(
      "empty",
      "EmptyRender",
      (a) => condition(a, "SyncError")?.reason === "EmptyRender",
    );
    assert.match(condition(guarded, "SyncError")?.message ?? "", /allowEmpty/);
    assert.match(condition(guarded, "SyncError")?.message ?? "", /2 object/);
    assert.equal(guarded.status?.sync?.revision, sha);
    // Two more full reconciles: the guard holds, and it does not turn into a sync on every poll.
    const history = guarded.status?.history?.length ?? 0;
    await fx.refresh("empty");
    const later = await fx.refresh("empty");
    const after = await Promise.all([read("a"), read("b")]);
    for (const [i, cm] of after.entries()) {
      assert.equal(cm.metadata?.deletionTimestamp, undefined, `${cm.metadata?.name} not being deleted`);
      assert.equal(cm.metadata?.uid, before[i]?.metadata?.uid, `${cm.metadata?.name} not recreated`);
    }
    assert.equal(condition(later, "SyncError")?.reason, "EmptyRender", "the explanation stays");
    assert.deepEqual(later.status?.resources?.map((r) => `${r.name}:${r.status}`).sort(), [
      "a:OutOfSync",
      "b:OutOfSync",
    ]);
    assert.equal(later.status?.sync?.status, "OutOfSync", "two objects still need pruning");
    assert.equal(later.status?.history?.length ?? 0, history, "no sync is recorded on every reconcile");

    await fx.patchApp("empty", {
      spec: { syncPolicy: { automated: { prune: true, selfHeal: true, allowEmpty: true } } },
    });
    await waitFor(
      "both ConfigMaps pruned",
      async () => (await isGone(() => read("a"))) && (await isGone(() => read("b"))),
      { timeoutMs: 30_000 },
    );
    const app = await fx.waitApp(
      "empty",
      "Synced and empty",
      (a) => a.status?.sync?.status === "Synced" && !condition(a, "SyncError"),
    );
    assert.deepEqual(app.status?.resources ?? [], []);
  });
});
