// A sync survives a hard kill of the controller: `tether controller` runs as a real process, is
// SIGKILLed while the sync waits between waves, and a new process resumes the same operation at
// the step it was in — finished hooks are not run again, later waves and PostSync follow.
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { BatchV1Api } from "@kubernetes/client-node";
import { ensureComponent } from "../../src/toolchain/binaries.js";
import { GitWorkspace } from "../../src/localcluster/gitrepo.js";
import type { GitServer } from "../../src/localcluster/gitserver.js";
import { startGitServer } from "../../src/localcluster/gitserver.js";
import { waitFor } from "../../src/lib/wait.js";
import type { Application } from "../../src/model/application.js";
import { APP_GROUP, IN_CLUSTER, isGone } from "../helpers/app.js";
import { runController } from "../helpers/controllerprocess.js";
import { clients, installCrds, testEnv, uniqueName } from "../helpers/environment.js";
import { gate, gatedDeployment, job } from "../helpers/syncmanifests.js";

describe("controller: a sync resumes after the controller is killed", () => {
  let git: GitServer;
  let tmp: string;
  let ws: GitWorkspace;
  const namespaces: string[] = [];

  before(async () => {
    await installCrds();
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), "tether-resume-"));
    git = await startGitServer({ root: path.join(tmp, "git") });
  });
  after(async () => {
    await git?.close();
    await ws?.remove();
    for (const name of namespaces)
      await clients()
        .core.deleteNamespace({ name })
        .catch(() => undefined);
    await fs.rm(tmp, { recursive: true, force: true });
  });

  test("SIGKILL between waves: the next process continues the same operation without re-running hooks", async () => {
    const db = gate("resume-db");
    try {
      const appNs = uniqueName("resume-apps");
      const target = uniqueName("resume-target");
      namespaces.push(appNs, target);
      for (const name of [appNs, target])
        await clients().core.createNamespace({ body: { metadata: { name } } });
      const url = await git.createRepository("resume");
      ws = await GitWorkspace.clone(url);
      await ws.commitAndPush(
        {
          "app/migrate.yaml": job("migrate", { hook: "PreSync" }),
          "app/db.yaml": gatedDeployment("db", "postgres:17", { gate: db, wave: 0 }),
          "app/web.yaml": gatedDeployment("web", "nginx:1.27", { wave: 1 }),
          "app/smoke.yaml": job("smoke", { hook: "PostSync" }),
        },
        "db, then web, with a migration and a smoke test",
      );
      const args = [
        "--kubeconfig",
        testEnv.kubeconfig,
        "--namespace",
        appNs,
        "--system-namespace",
        uniqueName("resume-system"),
        "--cache-dir",
        path.join(tmp, "cache"),
        "--poll-interval",
        "3s",
        "--helm",
        await ensureComponent("helm"),
        "--kustomize",
        await ensureComponent("kustomize"),
      ];
      namespaces.push(args[5] ?? "");
      const first = runController(args);
      const readApp = async () =>
        (await clients().custom.getNamespacedCustomObject({
          ...APP_GROUP,
          namespace: appNs,
          name: "resume",
        })) as Application;
      const waitApp = (what: string, check: (a: Application) => boolean, died: Promise<Error>) =>
        waitFor(
          what,
          async () => {
            const app = await readApp();
            return check(app) ? app : undefined;
          },
          { timeoutMs: 60_000, abort: died },
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
        first.died,
      );
      const operation = waiting.status?.operationState;
      assert.deepEqual(
        operation?.hooks?.map((h) => `${h.phase}:${h.ref.name}:${h.status}`),
        ["PreSync:migrate:Succeeded"],
      );
      const batch = clients().kube.makeApiClient(BatchV1Api);
      const migration = await batch.readNamespacedJob({ name: "migrate", namespace: target });
      await first.kill();

      // Wave 0 becomes healthy while no controller runs; nothing moves on by itself.
      await db.open();
      await waitFor(
        "db available",
        async () => {
          const d = await clients().apps.readNamespacedDeployment({ name: "db", namespace: target });
          return (d.status?.availableReplicas ?? 0) >= 1;
        },
        { timeoutMs: 60_000 },
      );
      assert.ok(
        await isGone(() => clients().apps.readNamespacedDeployment({ name: "web", namespace: target })),
      );
      assert.equal(
        (await readApp()).status?.operationState?.step,
        "Sync/0",
        "status still says where the sync stopped",
      );

      const second = runController(args);
      try {
        const done = await waitApp(
          "the resumed sync succeeds",
          (a) => a.status?.operationState?.phase === "Succeeded",
          second.died,
        );
        const state = done.status?.operationState;
        assert.equal(state?.id, operation?.id, "the same operation continued");
        assert.equal(state?.startedAt, operation?.startedAt);
        const again = await batch.readNamespacedJob({ name: "migrate", namespace: target });
        assert.equal(again.metadata?.uid, migration.metadata?.uid, "the PreSync hook was not run again");
        const smoke = await batch.readNamespacedJob({ name: "smoke", namespace: target });
        assert.equal(smoke.metadata?.annotations?.["tether.dev/hook-operation"], operation?.id);
        await clients().apps.readNamespacedDeployment({ name: "web", namespace: target });
        assert.deepEqual(state?.hooks?.map((h) => `${h.phase}:${h.ref.name}:${h.status}`).sort(), [
          "PostSync:smoke:Succeeded",
          "PreSync:migrate:Succeeded",
        ]);
        assert.equal(done.status?.history?.length, 1);
        assert.equal(done.status?.sync?.status, "Synced");
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
      } finally {
        await second.stop();
        if (process.env["TETHER_TEST_VERBOSE"]) process.stderr.write(first.stderr() + second.stderr());
      }
    } finally {
      await db.close();
    }
  });
});
