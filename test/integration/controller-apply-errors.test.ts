// An object the apiserver rejects (replicas: -1): the app reports a SyncError with the apiserver's
// own message naming the object, the controller keeps going, and fixing the manifest in Git
// recovers without any manual step. And a failure repeated 1,000 times makes one Event object
// with a count, as client-go's correlator folds repeats.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { GitWorkspace } from "../../src/localcluster/gitrepo.js";
import { waitFor } from "../../src/lib/wait.js";
import type { ControllerFixture } from "../helpers/app.js";
import {
  condition,
  configMap,
  deployment,
  IN_CLUSTER,
  isGone,
  startControllerFixture,
} from "../helpers/app.js";
import { clients } from "../helpers/environment.js";
import { kubeEventRecorder } from "../../src/controller/events.js";
import { rawCoreApi } from "../../src/kube/apis.js";

describe("controller: an object the apiserver rejects", () => {
  let fx: ControllerFixture;
  let url: string;
  let ws: GitWorkspace;

  before(async () => {
    fx = await startControllerFixture("ctl-reject");
    ({ url, ws } = await fx.repository("reject", {
      "app/settings.yaml": configMap("settings", { a: "1" }),
      "app/deployment.yaml": deployment("api", 1),
    }));
  });
  after(() => fx?.stop());

  test("replicas: -1 → SyncError naming the Deployment with the apiserver's message; fixing Git recovers", async () => {
    const ns = await fx.namespace("ctl-reject");
    await fx.createApp("reject", {
      source: { repoURL: url, targetRevision: "main", path: "app" },
      destination: { server: IN_CLUSTER, namespace: ns },
      syncPolicy: { automated: { prune: true, selfHeal: true } },
    });
    await fx.waitApp("reject", "Synced", (a) => a.status?.sync?.status === "Synced");

    const bad = await ws.commitAndPush(
      { "app/deployment.yaml": deployment("api", -1), "app/extra.yaml": configMap("extra", { b: "2" }) },
      "replicas -1",
    );
    await fx.annotate("reject", { "tether.dev/refresh": "normal" });
    const failed = await fx.waitApp(
      "reject",
      "an error naming the Deployment",
      (a) =>
        a.status?.sync?.revision === bad &&
        /api/.test(condition(a, "SyncError")?.message ?? condition(a, "ComparisonError")?.message ?? ""),
    );
    const c = condition(failed, "SyncError");
    assert.ok(c, `expected a SyncError condition, got ${JSON.stringify(failed.status?.conditions)}`);
    assert.match(c.message, /Deployment/);
    assert.match(c.message, /\bapi\b/);
    // The apiserver's own validation message.
    assert.match(c.message, /spec\.replicas.*greater than or equal to 0/);
    assert.equal(failed.status?.operationState?.phase, "Failed");
    assert.equal(failed.status?.sync?.status, "OutOfSync");
    assert.equal(
      (await clients().apps.readNamespacedDeployment({ name: "api", namespace: ns })).spec?.replicas,
      1,
    );

    const fixed = await ws.commitAndPush({ "app/deployment.yaml": deployment("api", 2) }, "replicas 2");
    await fx.annotate("reject", { "tether.dev/refresh": "normal" });
    await fx.waitApp(
      "reject",
      "Synced at the fix",
      (a) =>
        a.status?.sync?.revision === fixed &&
        a.status.sync.status === "Synced" &&
        !condition(a, "SyncError") &&
        !condition(a, "ComparisonError"),
    );
    await waitFor(
      "replicas 2",
      async () =>
        (await clients().apps.readNamespacedDeployment({ name: "api", namespace: ns })).spec?.replicas === 2,
      { timeoutMs: 10_000 },
    );
    assert.ok(
      !(await isGone(() => clients().core.readNamespacedConfigMap({ name: "extra", namespace: ns }))),
    );
  });

  test("1,000 identical failures recorded make one Event with count 1,000", async () => {
    const app = await fx.createApp("flapping", {
      source: { repoURL: url, targetRevision: "main", path: "app" },
      destination: { server: IN_CLUSTER, namespace: "default" },
    });
    const namespace = app.metadata.namespace ?? "";
    const core = rawCoreApi(clients().raw);
    const recorder = kubeEventRecorder(
      core,
      (line) => assert.fail(line),
      () => new Date(),
    );
    for (let i = 0; i < 1000; i++) recorder.record(app, "Warning", "FoldCheck", "sync failed: boom");
    const selector = `involvedObject.name=flapping,reason=FoldCheck`;
    const events = await waitFor(
      "the Event's count reaches 1,000",
      async () => {
        const list = await core.listNamespacedEvent({ namespace, fieldSelector: selector });
        return list.items.some((e) => e.count === 1000) ? list.items : undefined;
      },
      { timeoutMs: 20_000 },
    );
    assert.equal(events.length, 1, `one Event object: ${JSON.stringify(events.map((e) => e.count))}`);
  });
});
