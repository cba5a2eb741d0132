// Apps without `automated`: Tether compares and reports but applies nothing until asked, through
// the `tether.dev/sync` annotation; `tether.dev/refresh` asks for a fresh look at Git. Both
// requests are removed once handled, and status says when and for which generation it looked.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { GitWorkspace } from "../../src/localcluster/gitrepo.js";
import { waitFor } from "../../src/lib/wait.js";
import type { ControllerFixture } from "../helpers/app.js";
import { configMap, IN_CLUSTER, isGone, startControllerFixture } from "../helpers/app.js";
import { clients } from "../helpers/environment.js";

describe("controller: manual sync and refresh requests", () => {
  let fx: ControllerFixture;
  let url: string;
  let ws: GitWorkspace;

  before(async () => {
    fx = await startControllerFixture("ctl-manual");
    ({ url, ws } = await fx.repository("manual", {
      "cfg/settings.yaml": configMap("settings", { level: "1" }),
    }));
  });
  after(() => fx?.stop());

  test("no automated policy: OutOfSync and nothing applied; tether.dev/sync syncs it and is removed", async () => {
    const ns = await fx.namespace("ctl-manual-a");
    await fx.createApp("manual", {
      source: { repoURL: url, targetRevision: "main", path: "cfg" },
      destination: { server: IN_CLUSTER, namespace: ns },
    });
    const app = await fx.waitApp("manual", "OutOfSync", (a) => a.status?.sync?.status === "OutOfSync");
    assert.deepEqual(
      app.status?.resources?.map((r) => `${r.kind}/${r.name}:${r.status}`),
      ["ConfigMap/settings:OutOfSync"],
    );
    assert.equal(app.status?.history, undefined, "no sync happened");
    assert.ok(
      await isGone(() => clients().core.readNamespacedConfigMap({ name: "settings", namespace: ns })),
    );

    await fx.annotate("manual", { "tether.dev/sync": "true" });
    const synced = await fx.waitApp("manual", "Synced", (a) => a.status?.sync?.status === "Synced");
    const cm = await clients().core.readNamespacedConfigMap({ name: "settings", namespace: ns });
    assert.equal(cm.data?.["level"], "1");
    assert.equal(synced.status?.history?.length, 1);
    assert.equal(synced.status?.history?.at(-1)?.initiatedBy, "manual");
    assert.equal(synced.status?.history?.at(-1)?.result, "Succeeded");
    assert.equal(synced.status?.history?.at(-1)?.revision, await ws.head());
    await fx.waitApp(
      "manual",
      "sync annotation removed",
      (a) => !(a.metadata.annotations && "tether.dev/sync" in a.metadata.annotations),
    );
  });

  test("a manual sync applies only the selected resources, and prunes only when asked", async () => {
    const ns = await fx.namespace("ctl-manual-sel");
    const repo = await fx.repository("selective", {
      "two/a.yaml": configMap("a", { v: "1" }),
      "two/b.yaml": configMap("b", { v: "1" }),
    });
    await fx.createApp("selective", {
      source: { repoURL: repo.url, targetRevision: "main", path: "two" },
      destination: { server: IN_CLUSTER, namespace: ns },
    });
    await fx.waitApp("selective", "OutOfSync", (a) => a.status?.sync?.status === "OutOfSync");
    const exists = (name: string) =>
      clients()
        .core.readNamespacedConfigMap({ name, namespace: ns })
        .then(
          () => true,
          () => false,
        );
    const handled = (a: { metadata: { annotations?: Record<string, string> } }) =>
      !(a.metadata.annotations && "tether.dev/sync" in a.metadata.annotations);

    await fx.annotate("selective", {
      "tether.dev/sync": JSON.stringify({ resources: [{ kind: "ConfigMap", name: "a", namespace: ns }] }),
    });
    await fx.waitApp(
      "selective",
      "selective sync handled",
      (a) => handled(a) && a.status?.history?.length === 1,
    );
    assert.equal(await exists("a"), true, "the selected ConfigMap was applied");
    assert.equal(await exists("b"), false, "the other one was not");

    await fx.annotate("selective", { "tether.dev/sync": "true" });
    await fx.waitApp("selective", "Synced", (a) => handled(a) && a.status?.sync?.status === "Synced");
    assert.equal(await exists("b"), true);

    await repo.ws.commitAndPush({ "two/b.yaml": null }, "remove b");
    await fx.annotate("selective", { "tether.dev/sync": "true" });
    const kept = await fx.waitApp(
      "selective",
      "sync without prune handled",
      (a) => handled(a) && a.status?.history?.length === 3,
    );
    assert.equal(await exists("b"), true, "a manual sync without prune keeps what left Git");
    assert.equal(kept.status?.sync?.status, "OutOfSync");
    assert.ok(kept.status?.resources?.some((r) => r.name === "b" && r.message === "requires pruning"));

    await fx.annotate("selective", { "tether.dev/sync": JSON.stringify({ prune: true }) });
    await fx.waitApp(
      "selective",
      "pruned and Synced",
      (a) => handled(a) && a.status?.sync?.status === "Synced",
    );
    // Foreground deletion: the garbage collector removes b just after the sync reports it pruned.
    await waitFor("b pruned when asked", async () => !(await exists("b")), { timeoutMs: 30_000 });
  });

  test("tether.dev/refresh is handled and removed; reconciledAt and observedGeneration are set", async () => {
    const ns = await fx.namespace("ctl-manual-b");
    await fx.createApp("refreshed", {
      source: { repoURL: url, targetRevision: "main", path: "cfg" },
      destination: { server: IN_CLUSTER, namespace: ns },
    });
    const first = await fx.waitApp("refreshed", "compared", (a) => a.status?.sync?.status === "OutOfSync");
    assert.ok(first.status?.reconciledAt, "reconciledAt set");
    assert.ok(!Number.isNaN(Date.parse(first.status.reconciledAt)), "reconciledAt is a timestamp");
    assert.equal(first.status.observedGeneration, first.metadata.generation);

    // A new commit is seen at once on refresh (the poll interval is longer than this wait).
    const sha = await ws.commitAndPush(
      { "cfg/settings.yaml": configMap("settings", { level: "2" }) },
      "level 2",
    );
    await fx.annotate("refreshed", { "tether.dev/refresh": "normal" });
    const after = await fx.waitApp(
      "refreshed",
      "refresh handled",
      (a) =>
        a.status?.sync?.revision === sha &&
        !(a.metadata.annotations && "tether.dev/refresh" in a.metadata.annotations),
    );
    assert.ok(Date.parse(after.status?.reconciledAt ?? "") >= Date.parse(first.status.reconciledAt));
    assert.equal(after.status?.sync?.status, "OutOfSync", "refresh compares, it does not sync");

    // A spec change moves generation; status follows it.
    await fx.patchApp("refreshed", {
      spec: { source: { repoURL: url, targetRevision: "main", path: "cfg", directory: { recurse: true } } },
    });
    const changed = await fx.waitApp(
      "refreshed",
      "observedGeneration follows",
      (a) =>
        (a.metadata.generation ?? 0) > (first.metadata.generation ?? 0) &&
        a.status?.observedGeneration === a.metadata.generation,
    );
    assert.ok(changed.status?.reconciledAt);
  });

  test("a refresh with nothing new still records when Tether last looked (reconciledAt advances)", async () => {
    const ns = await fx.namespace("ctl-manual-c");
    await fx.createApp("quiet", {
      source: { repoURL: url, targetRevision: "main", path: "cfg" },
      destination: { server: IN_CLUSTER, namespace: ns },
      syncPolicy: { automated: { prune: true, selfHeal: true } },
    });
    const synced = await fx.waitApp("quiet", "Synced", (a) => a.status?.sync?.status === "Synced");
    // Strictly later than the last write: the clock has moved past it before the refresh is asked.
    const last = synced.status?.reconciledAt ?? "";
    const handled = await fx.refresh("quiet");
    assert.ok(
      (handled.status?.reconciledAt ?? "") > last,
      `reconciledAt ${handled.status?.reconciledAt ?? "unset"} should be after the refresh request (was ${last})`,
    );
  });
});
