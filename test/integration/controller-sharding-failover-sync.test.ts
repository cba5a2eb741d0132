// A multi-wave sync survives SIGKILL of the replica holding the app, with three replicas (3 s
// Leases): the holder runs the PreSync hook and waits on wave 0 (a Deployment that cannot become
// available yet); it is killed there, another replica claims the app within 20 s and continues the
// same operation: the hook is not run again, waves 1 and 2 and the PostSync hook follow, one history
// entry, one SyncStarted event.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { BatchV1Api } from "@kubernetes/client-node";
import { waitFor } from "../../src/lib/wait.js";
import type { Application } from "../../src/model/application.js";
import { APP_GROUP, IN_CLUSTER } from "../helpers/app.js";
import { clients } from "../helpers/environment.js";
import type { ReplicaFixture } from "../helpers/replicas.js";
import { startReplicaFixture } from "../helpers/replicas.js";
import { gate, gatedDeployment, job } from "../helpers/syncmanifests.js";

const LEASE_MS = 3_000;

describe("controller sharding: a multi-wave sync continues on another replica after SIGKILL", () => {
  let fx: ReplicaFixture;
  before(async () => {
    fx = await startReplicaFixture("shard-resume", { leaseMs: LEASE_MS, pollInterval: "3s" });
  });
  after(() => fx?.stop());

  test("SIGKILL of the holder between waves: another replica finishes the same operation", async () => {
    const db = gate("shard-resume-db");
    try {
      const { appNs, target, replicas } = fx;
      const { url, ws } = await fx.repository("shard-resume");
      await ws.commitAndPush(
        {
          "app/migrate.yaml": job("migrate", { hook: "PreSync" }),
          "app/db.yaml": gatedDeployment("db", "postgres:17", { gate: db, wave: 0 }),
          "app/web.yaml": gatedDeployment("web", "nginx:1.27", { wave: 1 }),
          "app/api.yaml": gatedDeployment("api", "nginx:1.27", { wave: 2 }),
          "app/smoke.yaml": job("smoke", { hook: "PostSync" }),
        },
        "db, web, api in three waves, a migration and a smoke test",
      );
      for (const id of ["r0", "r1", "r2"]) fx.start(id);
      const died = () => Promise.race([...replicas.values()].map((c) => c.died));
      const readApp = async () =>
        (await clients().custom.getNamespacedCustomObject({
          ...APP_GROUP,
          namespace: appNs,
          name: "resume",
        })) as Application;
      const waitApp = (what: string, check: (a: Application) => boolean, timeoutMs = 60_000) =>
        waitFor(
          what,
          async () => {
            const app = await readApp();
            return check(app) ? app : undefined;
          },
          { timeoutMs, intervalMs: 100, maxIntervalMs: 250, abort: died() },
        );
      await clients().custom.createNamespacedCustomObject({
        ...APP_GROUP,
        namespace: appNs,
        body: {
          apiVersion: "tether.dev/v1alpha1",
          kind: "Application",
          metadata: { name: "resume", namespace: appNs },
          spec: {
            source: { repoURL: url, targetRevision: "main", path: "app" },
            destination: { server: IN_CLUSTER, namespace: target },
            syncPolicy: { automated: { prune: true, selfHeal: true } },
          },
        },
      });

      const waiting = await waitApp(
        "the sync waits on wave 0",
        (a) => a.status?.operationState?.step === "Sync/0" && a.status.operationState.phase === "Running",
      );
      const operation = waiting.status?.operationState;
      const holder = waiting.status?.controller?.replica ?? "";
      assert.ok(replicas.has(holder), `held by a running replica: ${holder}`);
      assert.deepEqual(
        operation?.hooks?.map((h) => `${h.phase}:${h.ref.name}:${h.status}`),
        ["PreSync:migrate:Succeeded"],
      );
      const batch = clients().kube.makeApiClient(BatchV1Api);
      const migration = await batch.readNamespacedJob({ name: "migrate", namespace: target });

      const killedAt = performance.now();
      await replicas.get(holder)!.kill();
      replicas.delete(holder);
      await db.open();
      const moved = await waitApp(
        "another replica claims the app and moves past wave 0",
        (a) => {
          const next = a.status?.controller?.replica;
          return next !== undefined && next !== holder && a.status?.operationState?.step !== "Sync/0";
        },
        20_000,
      );
      const continuedMs = performance.now() - killedAt;
      process.stderr.write(
        `# sync continued by ${moved.status?.controller?.replica} ${(continuedMs / 1000).toFixed(1)} s after SIGKILL of ${holder} (lease ${LEASE_MS / 1000} s)\n`,
      );

      const done = await waitApp(
        "the continued sync succeeds",
        (a) => a.status?.operationState?.phase === "Succeeded",
      );
      const state = done.status?.operationState;
      assert.equal(state?.id, operation?.id, "the same operation continued");
      assert.equal(state?.startedAt, operation?.startedAt);
      const again = await batch.readNamespacedJob({ name: "migrate", namespace: target });
      assert.equal(again.metadata?.uid, migration.metadata?.uid, "the PreSync hook ran once");
      const smoke = await batch.readNamespacedJob({ name: "smoke", namespace: target });
      assert.equal(smoke.metadata?.annotations?.["tether.dev/hook-operation"], operation?.id);
      for (const name of ["web", "api"])
        await clients().apps.readNamespacedDeployment({ name, namespace: target });
      assert.deepEqual(state?.hooks?.map((h) => `${h.phase}:${h.ref.name}:${h.status}`).sort(), [
        "PostSync:smoke:Succeeded",
        "PreSync:migrate:Succeeded",
      ]);
      assert.equal(done.status?.history?.length, 1, JSON.stringify(done.status?.history));
      assert.equal(done.status?.sync?.status, "Synced");
      assert.equal(done.status?.controller?.replica, moved.status?.controller?.replica);
      const events = await clients().core.listNamespacedEvent({
        namespace: appNs,
        fieldSelector: "involvedObject.name=resume",
      });
      assert.equal(
        // Counted with repeats: an identical Event recorded twice is one object with count 2.
        events.items.filter((e) => e.reason === "SyncStarted").reduce((n, e) => n + (e.count ?? 1), 0),
        1,
        "one operation, started once",
      );
      assert.ok(continuedMs < 20_000);
    } finally {
      await db.close();
    }
  });
});
