// Sync options on the real control plane: Replace (app-wide and per resource), PruneLast,
// ApplyOutOfSyncOnly=false, retry with backoff, and Delete=false on cascade deletion.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { V1ConfigMap } from "@kubernetes/client-node";
import { CASCADE_FINALIZER } from "../../src/model/contract.js";
import { waitFor } from "../../src/lib/wait.js";
import type { Application } from "../../src/model/application.js";
import type { ControllerFixture } from "../helpers/app.js";
import { condition, configMap, IN_CLUSTER, isGone, startControllerFixture } from "../helpers/app.js";
import { clients } from "../helpers/environment.js";
import type { Gate } from "../helpers/syncmanifests.js";
import { gate, job } from "../helpers/syncmanifests.js";

const op = (a: Application) => a.status?.operationState;
const readCm = (name: string, namespace: string) =>
  clients().core.readNamespacedConfigMap({ name, namespace });
const managers = (cm: V1ConfigMap) =>
  (cm.metadata?.managedFields ?? []).filter((f) => f.manager === "tether").map((f) => f.operation);
const annotated = (name: string, annotation: string, data: Record<string, string>) =>
  configMap(name, data).replace(
    "metadata:\n",
    `metadata:\n  annotations:\n    tether.dev/sync-options: ${annotation}\n`,
  );

describe("controller: sync options", () => {
  let fx: ControllerFixture;
  const gates: Gate[] = [];

  before(async () => {
    fx = await startControllerFixture("ctl-options");
  });
  after(async () => {
    for (const g of gates) await g.close();
    await fx?.stop();
  });

  const createApp = async (
    name: string,
    url: string,
    ns: string,
    syncOptions: string[],
    extra: object = {},
  ) =>
    fx.createApp(name, {
      source: { repoURL: url, targetRevision: "main", path: "app" },
      destination: { server: IN_CLUSTER, namespace: ns },
      syncPolicy: { automated: { prune: true, selfHeal: true }, syncOptions, ...extra },
    });

  test("Replace=true (app-wide or per resource) creates and replaces with PUT instead of server-side apply", async () => {
    const ns = await fx.namespace("ctl-opt-replace");
    const { url, ws } = await fx.repository("replace", {
      "app/big.yaml": annotated("big", "Replace=true", { v: "1" }),
      "app/normal.yaml": configMap("normal", { v: "1" }),
    });
    await createApp("replace", url, ns, []);
    await fx.waitApp("replace", "Synced", (a) => a.status?.sync?.status === "Synced");
    assert.deepEqual(managers(await readCm("big", ns)), ["Update"], "created by a plain write, not an apply");
    assert.deepEqual(managers(await readCm("normal", ns)), ["Apply"]);

    const next = await ws.commitAndPush(
      { "app/big.yaml": annotated("big", "Replace=true", { v: "2" }) },
      "big: v2",
    );
    await fx.waitApp(
      "replace",
      "v2 synced",
      (a) => a.status?.sync?.revision === next && a.status.sync.status === "Synced",
    );
    const big = await readCm("big", ns);
    assert.equal(big.data?.["v"], "2");
    assert.deepEqual(managers(big), ["Update"]);

    // App-wide: every object is replaced.
    const ns2 = await fx.namespace("ctl-opt-replace-all");
    await createApp("replace-all", url, ns2, ["Replace=true"]);
    await fx.waitApp("replace-all", "Synced", (a) => a.status?.sync?.status === "Synced");
    assert.deepEqual(managers(await readCm("normal", ns2)), ["Update"]);
  });

  test("PruneLast=true: what left Git is deleted only after the PostSync hooks finished", async () => {
    const postSync = gate("prune-last");
    gates.push(postSync);
    const ns = await fx.namespace("ctl-opt-prunelast");
    const { url, ws } = await fx.repository("prunelast", {
      "app/old.yaml": configMap("old", { v: "1" }),
      "app/keep.yaml": configMap("keep", { v: "1" }),
    });
    await createApp("prunelast", url, ns, ["PruneLast=true"]);
    await fx.waitApp("prunelast", "Synced", (a) => a.status?.sync?.status === "Synced");
    await ws.commitAndPush(
      {
        "app/old.yaml": null,
        "app/keep.yaml": configMap("keep", { v: "2" }),
        "app/check.yaml": job("check", { hook: "PostSync", gate: postSync }),
      },
      "drop old, check after",
    );
    await fx.waitApp(
      "prunelast",
      "waiting on PostSync",
      (a) => op(a)?.step === "PostSync/0" && op(a)?.phase === "Running",
      45_000,
    );
    assert.equal((await readCm("keep", ns)).data?.["v"], "2", "the wave was applied");
    await readCm("old", ns); // still there: prune comes last
    await postSync.open();
    const done = await fx.waitApp(
      "prunelast",
      "Succeeded",
      (a) => op(a)?.phase === "Succeeded" && a.status?.history?.length === 2,
      60_000,
    );
    await waitFor("old pruned (foreground deletion)", () => isGone(() => readCm("old", ns)), {
      timeoutMs: 30_000,
    });
    const order = op(done)?.results?.map((r) => `${r.ref.kind}/${r.ref.name}:${r.action}`) ?? [];
    assert.ok(
      order.indexOf("ConfigMap/old:deleted") > order.indexOf("Job/check:configured"),
      `prune after PostSync: ${order.join(", ")}`,
    );
  });

  test("ApplyOutOfSyncOnly=false applies every resource; the default applies only what differs", async () => {
    const { url, ws } = await fx.repository("all", {
      "app/a.yaml": configMap("a", { v: "1" }),
      "app/b.yaml": configMap("b", { v: "1" }),
    });
    const nsAll = await fx.namespace("ctl-opt-all");
    const nsDiff = await fx.namespace("ctl-opt-diff");
    await createApp("apply-all", url, nsAll, ["ApplyOutOfSyncOnly=false"]);
    await createApp("apply-diff", url, nsDiff, []);
    await fx.waitApp("apply-all", "Synced", (a) => a.status?.sync?.status === "Synced");
    await fx.waitApp("apply-diff", "Synced", (a) => a.status?.sync?.status === "Synced");
    const next = await ws.commitAndPush({ "app/a.yaml": configMap("a", { v: "2" }) }, "a: v2");
    const done = (a: Application) => op(a)?.revision === next && op(a)?.phase === "Succeeded";
    const all = await fx.waitApp("apply-all", "v2 synced", done);
    const diff = await fx.waitApp("apply-diff", "v2 synced", done);
    assert.deepEqual(
      op(all)
        ?.results?.map((r) => r.ref.name)
        .sort(),
      ["a", "b"],
    );
    assert.deepEqual(
      op(diff)?.results?.map((r) => r.ref.name),
      ["a"],
    );
  });

  test("retry: a failed sync is retried up to retry.limit with the configured backoff, then left alone", async () => {
    const ns = await fx.namespace("ctl-opt-retry");
    const { url } = await fx.repository("retry", {
      "app/cm.yaml": configMap("cm", { v: "1" }),
      "app/migrate.yaml": job("migrate", { hook: "PreSync", fails: true }),
    });
    await createApp("retry", url, ns, [], {
      retry: { limit: 2, backoff: { duration: "2s", factor: 2, maxDuration: "1m" } },
    });
    const failed = await fx.waitApp(
      "retry",
      "two retries failed",
      (a) => op(a)?.phase === "Failed" && op(a)?.retryCount === 2 && a.status?.history?.length === 3,
      120_000,
    );
    const history = failed.status?.history ?? [];
    assert.ok(history.every((h) => h.result === "Failed"));
    const at = history.map((h) => Date.parse(h.deployedAt));
    // Each retry starts no earlier than its backoff (2 s, then 4 s) after the failure before it.
    assert.ok((at[1] ?? 0) - (at[0] ?? 0) >= 2_000, `first retry waited 2 s: ${at.join(", ")}`);
    assert.ok((at[2] ?? 0) - (at[1] ?? 0) >= 4_000, `second retry waited 4 s: ${at.join(", ")}`);
    assert.equal(
      (await readCm("cm", ns).catch(() => undefined))?.data?.["v"],
      undefined,
      "nothing applied past the failed PreSync",
    );
    // The limit is reached: a refresh does not start another attempt.
    const after = await fx.refresh("retry");
    assert.equal(after.status?.history?.length, 3);
  });

  test("a misspelt per-resource option stops the app naming object, file and entry; a garbage sync request is refused", async () => {
    const ns = await fx.namespace("ctl-opt-typo");
    const { ws, url } = await fx.repository("typo", {
      "app/keep.yaml": annotated("keep", "Prune=false", { v: "1" }),
      "app/other.yaml": configMap("other", { v: "1" }),
    });
    await fx.createApp("typo", {
      source: { repoURL: url, targetRevision: "main", path: "app" },
      destination: { server: IN_CLUSTER, namespace: ns },
      syncPolicy: { automated: { prune: true } },
    });
    await fx.waitApp("typo", "Synced", (a) => a.status?.sync?.status === "Synced");

    // The protection misspelt, and the other object changed: nothing is applied or pruned.
    const head = await ws.commitAndPush(
      {
        "app/keep.yaml": annotated("keep", "Prune=flase", { v: "1" }),
        "app/other.yaml": configMap("other", { v: "2" }),
      },
      "typo in the protection",
    );
    await fx.refresh("typo");
    const refused = await fx.waitApp(
      "typo",
      "ComparisonError",
      (a) => condition(a, "ComparisonError") !== undefined,
    );
    const c = condition(refused, "ComparisonError");
    assert.equal(c?.reason, "InvalidManifest");
    assert.match(
      c?.message ?? "",
      /ConfigMap .*\/keep \(app\/keep\.yaml\): annotation tether\.dev\/sync-options: "Prune=flase" is not an option/,
    );
    assert.notEqual(refused.status?.operationState?.revision, head);
    assert.equal((await readCm("other", ns)).data?.["v"], "1", "nothing applied");
    assert.ok(await readCm("keep", ns), "nothing pruned");

    // A request annotation that is neither plain nor JSON: refused with SyncError, not a plain sync.
    await ws.commitAndPush({ "app/keep.yaml": annotated("keep", "Prune=False", { v: "1" }) }, "fixed");
    const fixed = await fx.refresh("typo");
    assert.equal(condition(fixed, "ComparisonError"), undefined, "Prune=False is Prune=false");
    await fx.annotate("typo", { "tether.dev/sync": "garbage{" });
    const bad = await fx.waitApp(
      "typo",
      "SyncError",
      (a) => condition(a, "SyncError")?.reason === "InvalidSyncRequest",
    );
    assert.match(
      condition(bad, "SyncError")?.message ?? "",
      /tether\.dev\/sync: "garbage\{" is neither a plain value/,
    );
  });

  test("Delete=false: deleting the app with the cascade finalizer keeps that object and deletes the rest", async () => {
    const ns = await fx.namespace("ctl-opt-delete");
    const { url } = await fx.repository("deletion", {
      "app/kept.yaml": annotated("kept", "Delete=false", { v: "1" }),
      "app/gone.yaml": configMap("gone", { v: "1" }),
    });
    await fx.createApp(
      "deletion",
      {
        source: { repoURL: url, targetRevision: "main", path: "app" },
        destination: { server: IN_CLUSTER, namespace: ns },
        syncPolicy: { automated: { prune: true } },
      },
      [CASCADE_FINALIZER],
    );
    await fx.waitApp("deletion", "Synced", (a) => a.status?.sync?.status === "Synced");
    await fx.deleteApp("deletion");
    await waitFor("app deleted", () => isGone(() => fx.readApp("deletion")), { timeoutMs: 30_000 });
    assert.ok(await isGone(() => readCm("gone", ns)));
    assert.equal((await readCm("kept", ns)).data?.["v"], "1");
  });
});
