// The controller killed (SIGKILL) while a fleet of apps is OutOfSync after one push, and started
// again: every app converges on the pushed commit, each syncs it exactly once (an operation cut
// short is resumed, not started over), nothing lost, only what left Git pruned.
// TETHER_FAULT_APPS sets the fleet size (1,000 by default, as the issue asks: about 75 s here).
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { ensureComponent } from "../../src/toolchain/binaries.js";
import { GitWorkspace } from "../../src/localcluster/gitrepo.js";
import type { GitServer } from "../../src/localcluster/gitserver.js";
import { startGitServer } from "../../src/localcluster/gitserver.js";
import { waitFor } from "../../src/lib/wait.js";
import type { Application } from "../../src/model/application.js";
import { APP_GROUP, configMap, IN_CLUSTER, isGone } from "../helpers/app.js";
import type { ControllerProcess } from "../helpers/controllerprocess.js";
import { runController } from "../helpers/controllerprocess.js";
import { mapLimit } from "../../src/engine/concurrency.js";
import { clients, installCrds, testEnv, uniqueName } from "../helpers/environment.js";

const APPS = Number(process.env["TETHER_FAULT_APPS"] ?? 1000);

describe(`faults: the controller restarted while ${APPS} apps are OutOfSync`, () => {
  let git: GitServer;
  let tmp: string;
  let ws: GitWorkspace | undefined;
  const namespaces: string[] = [];
  const controllers: ControllerProcess[] = [];

  before(async () => {
    await installCrds();
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), "tether-fault-restart-"));
    git = await startGitServer({ root: path.join(tmp, "git") });
  });
  after(async () => {
    for (const c of controllers) await c.stop();
    await git?.close();
    await ws?.remove();
    await mapLimit(namespaces, 16, (name) =>
      clients()
        .core.deleteNamespace({ name })
        .catch(() => undefined),
    );
    await fs.rm(tmp, { recursive: true, force: true });
  });

  test("all converge on the pushed commit, each syncing it once", async () => {
    const appNs = uniqueName("fault-restart-apps");
    const systemNs = uniqueName("fault-restart-system");
    const prefix = uniqueName("fault-restart");
    const targets = Array.from({ length: APPS }, (_, i) => `${prefix}-${i}`);
    namespaces.push(appNs, systemNs, ...targets);
    await clients().core.createNamespace({ body: { metadata: { name: appNs } } });
    await mapLimit(targets, 16, (name) => clients().core.createNamespace({ body: { metadata: { name } } }));
    const url = await git.createRepository("fleet");
    ws = await GitWorkspace.clone(url);
    const first = await ws.commitAndPush(
      { "app/keep.yaml": configMap("keep", { v: "1" }), "app/drop.yaml": configMap("drop", { v: "1" }) },
      "keep and drop",
    );
    await mapLimit(
      targets.map((target, i) => ({ target, name: `app-${i}` })),
      8,
      ({ target, name }) =>
        clients().custom.createNamespacedCustomObject({
          ...APP_GROUP,
          namespace: appNs,
          body: {
            apiVersion: "tether.dev/v1alpha1",
            kind: "Application",
            metadata: { name, namespace: appNs },
            spec: {
              source: { repoURL: url, targetRevision: "main", path: "app" },
              destination: { server: IN_CLUSTER, namespace: target },
              syncPolicy: { automated: { prune: true, selfHeal: true } },
            },
          },
        }),
    );
    const args = [
      "--kubeconfig",
      testEnv.kubeconfig,
      "--namespace",
      appNs,
      "--system-namespace",
      systemNs,
      "--cache-dir",
      path.join(tmp, "cache"),
      "--poll-interval",
      "3s",
      "--helm",
      await ensureComponent("helm"),
      "--kustomize",
      await ensureComponent("kustomize"),
    ];
    const list = async () =>
      (
        (await clients().custom.listNamespacedCustomObject({ ...APP_GROUP, namespace: appNs })) as {
          items: Application[];
        }
      ).items;
    const allAt = (revision: string, died: Promise<Error>, what: string) =>
      waitFor(
        what,
        async () => {
          const apps = await list();
          const done = apps.filter(
            (a) =>
              a.status?.sync?.status === "Synced" &&
              a.status.sync.revision === revision &&
              a.status.operationState?.phase !== "Running",
          );
          return apps.length === APPS && done.length === APPS ? apps : undefined;
        },
        { timeoutMs: 600_000, abort: died, maxIntervalMs: 2_000 },
      );

    const one = runController(args);
    controllers.push(one);
    await allAt(first, one.died, `all ${APPS} apps Synced at the first commit`);
    const uids = new Map<string, string | undefined>();
    await mapLimit(targets, 16, async (ns) =>
      uids.set(
        ns,
        (await clients().core.readNamespacedConfigMap({ name: "keep", namespace: ns })).metadata?.uid,
      ),
    );

    const second = await ws.commitAndPush(
      { "app/keep.yaml": configMap("keep", { v: "2" }), "app/drop.yaml": null },
      "keep to v2, drop removed",
    );
    // Kill as soon as the fleet starts moving: most apps are OutOfSync, some mid-operation.
    await waitFor(
      "a first app picks up the push",
      async () => (await list()).some((a) => a.status?.operationState?.revision === second),
      { timeoutMs: 120_000, abort: one.died, intervalMs: 20, maxIntervalMs: 100 },
    );
    await one.kill();
    const before = await list();
    const movedBeforeKill = before.filter(
      (a) => a.status?.sync?.revision === second && a.status.operationState?.phase === "Succeeded",
    ).length;

    const two = runController(args);
    controllers.push(two);
    const apps = await allAt(
      second,
      two.died,
      `all ${APPS} apps Synced at the pushed commit after the restart`,
    );
    process.stderr.write(
      `# ${movedBeforeKill} of ${APPS} apps had finished the new commit before the kill\n`,
    );
    for (const app of apps) {
      const runs = app.status?.history?.filter((h) => h.revision === second) ?? [];
      assert.equal(
        runs.length,
        1,
        `${app.metadata.name}: synced the pushed commit once, history: ${JSON.stringify(app.status?.history)}`,
      );
      assert.equal(runs[0]?.result, "Succeeded");
    }
    await mapLimit(targets, 16, async (ns) => {
      const keep = await clients().core.readNamespacedConfigMap({ name: "keep", namespace: ns });
      assert.equal(keep.data?.["v"], "2", `${ns}: keep follows Git`);
      assert.equal(keep.metadata?.uid, uids.get(ns), `${ns}: keep updated in place`);
      await waitFor(
        `${ns}: drop pruned`,
        () => isGone(() => clients().core.readNamespacedConfigMap({ name: "drop", namespace: ns })),
        { timeoutMs: 60_000 },
      );
    });
  });
});
