// Sync waves and hooks on the real control plane: a PreSync migration Job gates the Deployment, a
// failed one stops the sync and runs SyncFail hooks, each wave waits for the previous one to be
// healthy, and a newer commit supersedes a sync that is waiting.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { V1Job } from "@kubernetes/client-node";
import { BatchV1Api } from "@kubernetes/client-node";
import type { GitWorkspace } from "../../src/localcluster/gitrepo.js";
import { waitFor } from "../../src/lib/wait.js";
import type { Application } from "../../src/model/application.js";
import type { ControllerFixture } from "../helpers/app.js";
import { IN_CLUSTER, isGone, startControllerFixture } from "../helpers/app.js";
import { clients } from "../helpers/environment.js";
import type { Gate } from "../helpers/syncmanifests.js";
import { gate, gatedDeployment, job } from "../helpers/syncmanifests.js";

const op = (a: Application) => a.status?.operationState;
const readJob = (name: string, namespace: string) =>
  clients().kube.makeApiClient(BatchV1Api).readNamespacedJob({ name, namespace });
const readDeployment = (name: string, namespace: string) =>
  clients().apps.readNamespacedDeployment({ name, namespace });
const jobDone = (j: V1Job, type: string) =>
  j.status?.conditions?.some((c) => c.type === type && c.status === "True") ?? false;

describe("controller: sync waves and hooks", () => {
  let fx: ControllerFixture;
  const gates: Gate[] = [];
  const newGate = (name: string) => {
    const g = gate(name);
    gates.push(g);
    return g;
  };

  before(async () => {
    fx = await startControllerFixture("ctl-waves");
  });
  after(async () => {
    for (const g of gates) await g.close();
    await fx?.stop();
  });

  describe("a PreSync migration", () => {
    let ws: GitWorkspace;
    let ns: string;
    let migration: Gate;

    test("must succeed before the Deployment is created; PostSync runs after and is deleted on success", async () => {
      migration = newGate("migrate");
      ns = await fx.namespace("ctl-waves-mig");
      let url: string;
      ({ url, ws } = await fx.repository("migrate", {
        "app/migrate.yaml": job("migrate", { hook: "PreSync", gate: migration }),
        "app/web.yaml": gatedDeployment("web", "nginx:1.27"),
        "app/smoke.yaml": job("smoke", { hook: "PostSync", deletePolicy: "on-success" }),
        "app/alert.yaml": job("alert", { hook: "SyncFail" }),
      }));
      await fx.createApp("migrate", {
        source: { repoURL: url, targetRevision: "main", path: "app" },
        destination: { server: IN_CLUSTER, namespace: ns },
        syncPolicy: { automated: { prune: true, selfHeal: true } },
      });
      // The migration runs (its pod held Pending by the gate); the Deployment must not exist yet.
      const waiting = await fx.waitApp(
        "migrate",
        "waiting on the PreSync hook",
        (a) => op(a)?.phase === "Running" && op(a)?.step === "PreSync/0",
      );
      assert.match(op(waiting)?.message ?? "", /waiting for PreSync hook Job .*\/migrate/);
      const running = await readJob("migrate", ns);
      assert.equal(running.metadata?.annotations?.["tether.dev/hook-operation"], op(waiting)?.id);
      assert.ok(await isGone(() => readDeployment("web", ns)), "the Deployment waits for the migration");
      assert.equal(waiting.status?.sync?.status, "OutOfSync");

      await migration.open();
      const done = await fx.waitApp("migrate", "sync succeeded", (a) => op(a)?.phase === "Succeeded", 60_000);
      const migrated = await readJob("migrate", ns);
      assert.ok(jobDone(migrated, "Complete"), "the migration completed");
      const web = await readDeployment("web", ns);
      const completed = Date.parse(String(migrated.status?.completionTime ?? ""));
      assert.ok(
        Date.parse(String(web.metadata?.creationTimestamp)) >= completed - 999,
        "Deployment created after the migration completed",
      );
      assert.ok(await isGone(() => readJob("smoke", ns)), "the PostSync hook was deleted on success");
      assert.ok(await isGone(() => readJob("alert", ns)), "no SyncFail hook on success");
      assert.deepEqual(
        op(done)
          ?.hooks?.map((h) => `${h.phase}:${h.ref.name}:${h.status}`)
          .sort(),
        ["PostSync:smoke:Succeeded", "PreSync:migrate:Succeeded"],
      );
      assert.equal(done.status?.history?.at(-1)?.result, "Succeeded");
      assert.equal(done.status?.sync?.status, "Synced");
      assert.ok(!done.status?.resources?.some((r) => r.kind === "Job"), "hooks are not app resources");
    });

    test("a failed PreSync stops the sync, runs the SyncFail hook and leaves the Deployment as it was", async () => {
      const before = await readDeployment("web", ns);
      const failing = await ws.commitAndPush(
        {
          "app/migrate.yaml": job("migrate", { hook: "PreSync", fails: true }),
          "app/web.yaml": gatedDeployment("web", "nginx:1.28"),
        },
        "web 1.28 with a migration that fails",
      );
      const failed = await fx.waitApp(
        "migrate",
        "sync failed",
        (a) => op(a)?.revision === failing && op(a)?.phase === "Failed",
        60_000,
      );
      assert.match(op(failed)?.message ?? "", /PreSync hook Job .*\/migrate failed/);
      const migration = await readJob("migrate", ns);
      assert.ok(jobDone(migration, "Failed"), "this run of the migration failed");
      assert.equal(migration.metadata?.annotations?.["tether.dev/hook-operation"], op(failed)?.id);
      const alert = await readJob("alert", ns);
      assert.equal(
        alert.metadata?.annotations?.["tether.dev/hook-operation"],
        op(failed)?.id,
        "SyncFail hook ran for this sync",
      );
      const web = await readDeployment("web", ns);
      assert.equal(
        web.spec?.template.spec?.containers[0]?.image,
        "nginx:1.27",
        "the Deployment was not changed",
      );
      assert.equal(web.metadata?.generation, before.metadata?.generation);
      assert.equal(failed.status?.history?.at(-1)?.result, "Failed");
      assert.equal(failed.status?.sync?.status, "OutOfSync");
      assert.equal(failed.status?.conditions?.find((c) => c.type === "SyncError")?.reason, "SyncFailed");
      // Not retried without a retry policy: the failed migration is not run in a loop.
      const refreshed = await fx.refresh("migrate");
      assert.equal(op(refreshed)?.id, op(failed)?.id);
    });
  });

  test("each wave waits for the previous one to be healthy; a newer commit supersedes a waiting sync", async () => {
    const database = newGate("db");
    const ns = await fx.namespace("ctl-waves-order");
    const { url, ws } = await fx.repository("waves", {
      "app/db.yaml": gatedDeployment("db", "postgres:17", { gate: database, wave: -1 }),
      "app/web.yaml": gatedDeployment("web", "nginx:1.27", { wave: 1 }),
    });
    await fx.createApp("waves", {
      source: { repoURL: url, targetRevision: "main", path: "app" },
      destination: { server: IN_CLUSTER, namespace: ns },
      syncPolicy: { automated: { prune: true, selfHeal: true } },
    });
    const first = await ws.head();
    const waiting = await fx.waitApp(
      "waves",
      "waiting on wave -1",
      (a) => op(a)?.phase === "Running" && op(a)?.step === "Sync/-1",
    );
    assert.match(
      op(waiting)?.message ?? "",
      /wave -1: waiting for Deployment .*\/db \((Progressing|Missing)\) to be healthy/,
    );
    await readDeployment("db", ns);
    assert.ok(await isGone(() => readDeployment("web", ns)), "wave 1 waits for wave -1");

    // A new commit while the sync waits: the wait is cancelled and the new revision synced from the start.
    const second = await ws.commitAndPush(
      { "app/db.yaml": gatedDeployment("db", "postgres:17", { wave: -1 }) },
      "db: no gate",
    );
    const done = await fx.waitApp(
      "waves",
      "new revision synced",
      (a) => op(a)?.revision === second && op(a)?.phase === "Succeeded",
      60_000,
    );
    assert.notEqual(first, second);
    assert.equal(done.status?.history?.length, 1, "the superseded sync left no history entry");
    assert.equal(done.status?.history?.at(-1)?.revision, second);
    await readDeployment("web", ns);
    const superseded = await waitFor(
      "SyncSuperseded Event",
      async () =>
        (
          await clients().core.listNamespacedEvent({
            namespace: fx.appNs,
            fieldSelector: "involvedObject.name=waves",
          })
        ).items.find((e) => e.reason === "SyncSuperseded"),
      { timeoutMs: 15_000 },
    );
    assert.match(
      superseded?.message ?? "",
      new RegExp(`sync of ${first.slice(0, 7)} stopped \\(Sync/-1\\): ${second.slice(0, 7)} is newer`),
    );
  });
});
