// The destination: CreateNamespace=true creates a missing namespace; without it the sync fails
// with a message naming the namespace. A destination server Tether does not know is InvalidSpec:
// nothing is applied until the spec is fixed.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { waitFor } from "../../src/lib/wait.js";
import type { ControllerFixture } from "../helpers/app.js";
import { condition, configMap, IN_CLUSTER, isGone, startControllerFixture } from "../helpers/app.js";
import { clients } from "../helpers/environment.js";

describe("controller: destination namespace and server", () => {
  let fx: ControllerFixture;
  let url: string;

  before(async () => {
    fx = await startControllerFixture("ctl-dest");
    ({ url } = await fx.repository("dest", { "cfg/settings.yaml": configMap("settings", { a: "1" }) }));
  });
  after(() => fx?.stop());

  const spec = (namespace: string, syncOptions?: string[], server = IN_CLUSTER) => ({
    source: { repoURL: url, targetRevision: "main", path: "cfg" },
    destination: { server, namespace },
    syncPolicy: { automated: { prune: true, selfHeal: true }, ...(syncOptions ? { syncOptions } : {}) },
  });

  test("CreateNamespace=true: a missing destination namespace is created and the app syncs", async () => {
    const ns = fx.reserveNamespace("ctl-dest-created");
    await fx.createApp("creates", spec(ns, ["CreateNamespace=true"]));
    await fx.waitApp("creates", "Synced", (a) => a.status?.sync?.status === "Synced", 45_000);
    await clients().core.readNamespace({ name: ns });
    const cm = await clients().core.readNamespacedConfigMap({ name: "settings", namespace: ns });
    assert.equal(cm.data?.["a"], "1");
  });

  test("without CreateNamespace: SyncError naming the namespace; the controller keeps working", async () => {
    const ns = fx.reserveNamespace("ctl-dest-missing");
    await fx.createApp("missing", spec(ns));
    const app = await fx.waitApp("missing", "an error condition", (a) =>
      Boolean(condition(a, "SyncError") ?? condition(a, "ComparisonError")),
    );
    const reported = condition(app, "SyncError") ?? condition(app, "ComparisonError");
    assert.match(reported?.message ?? "", new RegExp(`namespaces? "?${ns}`), "the error names the namespace");
    assert.notEqual(app.status?.sync?.status, "Synced");
    assert.ok(await isGone(() => clients().core.readNamespace({ name: ns })), "namespace not created");
    // Still alive: once the namespace exists, a sync request (what `tether app sync` does) syncs it.
    await clients().core.createNamespace({ body: { metadata: { name: ns } } });
    await fx.annotate("missing", { "tether.dev/sync": "true" });
    await fx.waitApp(
      "missing",
      "Synced once the namespace exists",
      (a) =>
        a.status?.sync?.status === "Synced" && !condition(a, "SyncError") && !condition(a, "ComparisonError"),
      45_000,
    );
    // The comparison was fine (a missing namespace is a fact of the cluster): the *sync* failed.
    assert.equal(
      reported?.type,
      "SyncError",
      `expected a SyncError condition, got ${JSON.stringify(app.status?.conditions)}`,
    );
    assert.equal(app.status?.operationState?.phase, "Failed", "a failed sync attempt is recorded");
  });

  test("an ignoreDifferences expression outside the supported subset is InvalidSpec naming the rule", async () => {
    const ns = await fx.namespace("ctl-dest-ignore");
    const bad = {
      ...spec(ns),
      ignoreDifferences: [{ kind: "ConfigMap", jqPathExpressions: [".data | keys"] }],
    };
    await fx.createApp("bad-ignore", bad);
    const app = await fx.waitApp("bad-ignore", "InvalidSpec", (a) => Boolean(condition(a, "InvalidSpec")));
    assert.match(condition(app, "InvalidSpec")?.message ?? "", /spec\.ignoreDifferences\[0\]/);
    assert.ok(
      await isGone(() => clients().core.readNamespacedConfigMap({ name: "settings", namespace: ns })),
    );
  });

  test("unknown destination server: InvalidSpec naming spec.destination.server; fixing it syncs", async () => {
    const ns = await fx.namespace("ctl-dest-invalid");
    await fx.createApp("elsewhere", spec(ns, undefined, "https://elsewhere.example:6443"));
    const app = await fx.waitApp("elsewhere", "InvalidSpec", (a) => Boolean(condition(a, "InvalidSpec")));
    assert.match(condition(app, "InvalidSpec")?.message ?? "", /spec\.destination\.server/);
    assert.match(condition(app, "InvalidSpec")?.message ?? "", /elsewhere\.example/);
    assert.equal(app.status?.history, undefined, "no sync");
    assert.ok(
      await isGone(() => clients().core.readNamespacedConfigMap({ name: "settings", namespace: ns })),
    );

    await fx.patchApp("elsewhere", { spec: { destination: { server: IN_CLUSTER, namespace: ns } } });
    await fx.waitApp(
      "elsewhere",
      "Synced without InvalidSpec",
      (a) => a.status?.sync?.status === "Synced" && !condition(a, "InvalidSpec"),
    );
    await waitFor(
      "ConfigMap applied",
      async () =>
        (await clients().core.readNamespacedConfigMap({ name: "settings", namespace: ns })).data?.["a"] ===
        "1",
      { timeoutMs: 10_000 },
    );
  });
});
