// The acceptance story, end to end on the real control plane with real Git: the demo app syncs,
// follows commits, heals drift, rolls back with `git revert`, prunes, and survives bad input and a
// Git outage without touching live objects.
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { PatchStrategy } from "@kubernetes/client-node";
import type { Controller } from "../../src/controller/controller.js";
import { startController } from "../../src/controller/controller.js";
import { errorStatus } from "../../src/kube/client.js";
import { ensureComponent } from "../../src/toolchain/binaries.js";
import { helloDeployment, helloService } from "../../src/localcluster/demo.js";
import { GitWorkspace } from "../../src/localcluster/gitrepo.js";
import type { GitServer } from "../../src/localcluster/gitserver.js";
import { startGitServer } from "../../src/localcluster/gitserver.js";
import { waitFor } from "../../src/lib/wait.js";
import type { Application } from "../../src/model/application.js";
import { clients, installCrds, uniqueName } from "../helpers/environment.js";

const GROUP = { group: "tether.dev", version: "v1alpha1", plural: "applications" };

describe("the GitOps loop (acceptance story)", () => {
  let git: GitServer;
  let gitRoot: string;
  let cacheDir: string;
  let ws: GitWorkspace;
  let controller: Controller;
  let appNs: string;
  let ns: string;
  const lines: string[] = [];

  const readApp = async () =>
    (await clients().custom.getNamespacedCustomObject({
      ...GROUP,
      namespace: appNs,
      name: "hello",
    })) as Application;
  const deployment = () => clients().apps.readNamespacedDeployment({ name: "hello", namespace: ns });
  const readyReplicas = async (n: number) => {
    const d = await deployment();
    return d.spec?.replicas === n && d.status?.readyReplicas === n && d.status.updatedReplicas === n;
  };
  // What a webhook or `kubectl annotate application hello tether.dev/refresh=normal` does. Setting
  // the annotation while an earlier identical request is still pending changes nothing on the
  // server (no new resourceVersion, no event), so wait until the earlier one was handled.
  const refresh = async () => {
    await waitFor(
      "the previous refresh request to be handled",
      async () => (await readApp()).metadata.annotations?.["tether.dev/refresh"] === undefined,
      { timeoutMs: 30_000 },
    );
    await clients().objects.patch(
      {
        apiVersion: "tether.dev/v1alpha1",
        kind: "Application",
        metadata: { name: "hello", namespace: appNs, annotations: { "tether.dev/refresh": "normal" } },
      },
      undefined,
      undefined,
      undefined,
      undefined,
      PatchStrategy.MergePatch,
    );
  };

  before(async () => {
    await installCrds();
    gitRoot = await fs.mkdtemp(path.join(os.tmpdir(), "tether-e2e-git-"));
    cacheDir = await fs.mkdtemp(path.join(os.tmpdir(), "tether-e2e-cache-"));
    git = await startGitServer({ root: gitRoot });
    const url = await git.createRepository("demo");
    ws = await GitWorkspace.clone(url);
    await ws.commitAndPush(
      { "hello/deployment.yaml": helloDeployment(2), "hello/service.yaml": helloService },
      "hello: nginx with 2 replicas",
    );
    appNs = uniqueName("apps");
    ns = uniqueName("hello");
    for (const name of [appNs, ns])
      await clients().core.createNamespace({
        body: { metadata: { name, labels: { "tether.dev/test": "true" } } },
      });
    controller = await startController({
      config: clients().config,
      applicationNamespace: appNs,
      cacheDir,
      helmBinary: await ensureComponent("helm"),
      kustomizeBinary: await ensureComponent("kustomize"),
      // Long on purpose: every step must be driven by an event (push, refresh request, watch), not by polling.
      pollIntervalMs: 60_000,
      gitTimeoutMs: 5_000,
      log: (line) => lines.push(`${new Date().toISOString().slice(11, 23)} ${line}`),
    });
    await clients().custom.createNamespacedCustomObject({
      ...GROUP,
      namespace: appNs,
      body: {
        apiVersion: "tether.dev/v1alpha1",
        kind: "Application",
        metadata: { name: "hello", namespace: appNs },
        spec: {
          source: { repoURL: url, targetRevision: "main", path: "hello" },
          destination: { server: "https://kubernetes.default.svc", namespace: ns },
          syncPolicy: { automated: { prune: true, selfHeal: true } },
        },
      },
    });
  });

  after(async () => {
    await controller?.stop();
    await git?.close();
    await ws?.remove();
    for (const name of [appNs, ns])
      await clients()
        .core.deleteNamespace({ name })
        .catch(() => undefined);
    await fs.rm(gitRoot, { recursive: true, force: true });
    await fs.rm(cacheDir, { recursive: true, force: true });
    if (process.env["TETHER_TEST_VERBOSE"]) process.stderr.write(lines.join("\n") + "\n");
  });

  test("1. the demo app becomes Synced and Healthy with 2 Running pods", async () => {
    const app = await waitFor(
      "hello Synced and Healthy",
      async () => {
        const a = await readApp();
        return a.status?.sync?.status === "Synced" && a.status.health?.status === "Healthy" ? a : undefined;
      },
      { timeoutMs: 90_000 },
    ).catch(async (error: Error) => {
      throw new Error(
        `${error.message}\nstatus: ${JSON.stringify((await readApp()).status, null, 1)}\nlog:\n${lines.join("\n")}`,
      );
    });
    assert.equal(app.status?.sync?.revision, await ws.head());
    assert.equal(app.status?.history?.at(-1)?.message, "hello: nginx with 2 replicas");
    assert.equal(app.status?.history?.at(-1)?.author, "Tether Demo <demo@tether.dev>");
    const pods = await clients().core.listNamespacedPod({ namespace: ns, labelSelector: "app=hello" });
    assert.equal(pods.items.filter((p) => p.status?.phase === "Running").length, 2);
    assert.deepEqual(app.status?.resources?.map((r) => `${r.kind}/${r.name}:${r.status}`).sort(), [
      "Deployment/hello:Synced",
      "Service/hello:Synced",
    ]);
  });

  test("2. commit replicas: 5 → 5 Ready replicas (the push itself triggers the refresh)", async (t) => {
    // As in `npm start`: the Git server's push notification refreshes the apps of that repository.
    const unsubscribe = git.onPush((repo) => controller.refreshRepository(git.repositoryUrl(repo)));
    t.after(unsubscribe);
    const sha = await ws.commitAndPush({ "hello/deployment.yaml": helloDeployment(5) }, "scale hello to 5");
    await waitFor("5 ready replicas", () => readyReplicas(5), { timeoutMs: 60_000 });
    await waitFor("status at the new commit", async () => (await readApp()).status?.sync?.revision === sha, {
      timeoutMs: 30_000,
    });
  });

  test("3. kubectl scale --replicas=1 → back to 5 (self-heal)", async () => {
    const started = performance.now();
    await clients().apps.patchNamespacedDeploymentScale({
      name: "hello",
      namespace: ns,
      body: [{ op: "replace", path: "/spec/replicas", value: 1 }],
    });
    await waitFor("spec.replicas back to 5", async () => (await deployment()).spec?.replicas === 5, {
      timeoutMs: 30_000,
    });
    const seconds = (performance.now() - started) / 1000;
    process.stderr.write(`# drift reverted in ${seconds.toFixed(2)} s\n`);
    await waitFor("5 ready replicas again", () => readyReplicas(5), { timeoutMs: 60_000 });
    const app = await readApp();
    assert.ok(app.status?.history?.some((h) => h.initiatedBy === "auto"));
  });

  test("4. git revert HEAD → back to 2", async () => {
    const sha = await ws.revert("HEAD");
    await ws.push();
    await refresh();
    await waitFor("2 ready replicas", () => readyReplicas(2), { timeoutMs: 60_000 });
    await waitFor(
      "status at the revert commit",
      async () => (await readApp()).status?.sync?.revision === sha,
      { timeoutMs: 30_000 },
    );
  });

  test("5. removing the Service from Git prunes it; an unowned object and a Prune=false object stay", async () => {
    await clients().core.createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { name: "not-tethers" }, data: { a: "1" } },
    });
    const pinned = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: pinned\n  annotations:\n    tether.dev/sync-options: Prune=false\ndata:\n  a: "1"\n`;
    await ws.commitAndPush({ "hello/pinned.yaml": pinned }, "add a pinned ConfigMap");
    await refresh();
    await waitFor(
      "pinned ConfigMap applied",
      async () =>
        (await clients().core.readNamespacedConfigMap({ name: "pinned", namespace: ns })).data?.["a"] === "1",
      { timeoutMs: 30_000 },
    );
    await ws.commitAndPush(
      { "hello/service.yaml": null, "hello/pinned.yaml": null },
      "remove the Service and the pinned ConfigMap",
    );
    await refresh();
    await waitFor(
      "Service pruned",
      async () => {
        try {
          await clients().core.readNamespacedService({ name: "hello", namespace: ns });
          return false;
        } catch (error) {
          return errorStatus(error) === 404;
        }
      },
      { timeoutMs: 30_000 },
    );
    await clients().core.readNamespacedConfigMap({ name: "not-tethers", namespace: ns });
    await clients().core.readNamespacedConfigMap({ name: "pinned", namespace: ns });
    assert.equal((await deployment()).spec?.replicas, 2, "the Deployment is untouched");
  });

  test("6. invalid YAML → ComparisonError naming the file; nothing pruned, live objects untouched", async () => {
    const before = await deployment();
    const sha = await ws.commitAndPush({ "hello/broken.yaml": "kind: [unclosed\n" }, "broken manifest");
    await refresh();
    const app = await waitFor(
      "ComparisonError",
      async () => {
        const a = await readApp();
        return a.status?.conditions?.find((c) => c.type === "ComparisonError") ? a : undefined;
      },
      { timeoutMs: 30_000 },
    );
    const condition = app.status?.conditions?.find((c) => c.type === "ComparisonError");
    assert.match(condition?.message ?? "", /broken\.yaml/);
    assert.notEqual(app.status?.sync?.revision, sha, "status still describes the last good revision");
    const after = await deployment();
    // generation moves only when the spec is written (status updates by the controller-manager do not).
    assert.equal(after.metadata?.generation, before.metadata?.generation, "Deployment spec not written");
    await ws.commitAndPush({ "hello/broken.yaml": null }, "remove the broken manifest");
    await refresh();
    await waitFor(
      "error cleared",
      async () => !(await readApp()).status?.conditions?.some((c) => c.type === "ComparisonError"),
      { timeoutMs: 30_000 },
    );
  });

  test("7. Git server down → error condition, nothing touched; recovers when it returns", async () => {
    const before = await deployment();
    lines.push(`${new Date().toISOString().slice(11, 23)} TEST step 7: git offline`);
    git.setOffline(true);
    try {
      await refresh();
      const app = await waitFor(
        "ComparisonError while Git is down",
        async () => {
          const a = await readApp();
          const c = a.status?.conditions?.find((x) => x.type === "ComparisonError");
          return c ? a : undefined;
        },
        { timeoutMs: 30_000 },
      );
      assert.match(
        app.status?.conditions?.find((c) => c.type === "ComparisonError")?.message ?? "",
        /source/,
      );
      assert.equal(
        (await deployment()).metadata?.generation,
        before.metadata?.generation,
        "spec not written",
      );
    } finally {
      git.setOffline(false);
    }
    const sha = await ws.commitAndPush(
      { "hello/deployment.yaml": helloDeployment(3) },
      "three replicas after the outage",
    );
    await refresh();
    await waitFor("3 ready replicas after recovery", () => readyReplicas(3), { timeoutMs: 60_000 });
    const app = await waitFor(
      "Synced at the new commit",
      async () => {
        const a = await readApp();
        return a.status?.sync?.revision === sha && a.status.sync.status === "Synced" ? a : undefined;
      },
      { timeoutMs: 30_000 },
    );
    assert.ok(!app.status?.conditions?.some((c) => c.type === "ComparisonError"));
  });

  test("8. rollback to a history entry pins that revision and pauses following Git; cancel resumes", async () => {
    const annotate = (value: string) =>
      clients().objects.patch(
        {
          apiVersion: "tether.dev/v1alpha1",
          kind: "Application",
          metadata: { name: "hello", namespace: appNs, annotations: { "tether.dev/rollback": value } },
        },
        undefined,
        undefined,
        undefined,
        undefined,
        PatchStrategy.MergePatch,
      );
    const five = (await readApp()).status?.history?.find((h) => h.message === "scale hello to 5");
    assert.ok(five, "history has the 5-replica sync");
    await annotate(String(five.id));
    await waitFor("5 ready replicas after rollback", () => readyReplicas(5), { timeoutMs: 60_000 });
    const app = await waitFor(
      "AutoSyncPaused",
      async () => {
        const a = await readApp();
        return a.status?.conditions?.some((c) => c.type === "AutoSyncPaused") &&
          a.status.sync?.status === "Synced"
          ? a
          : undefined;
      },
      { timeoutMs: 30_000 },
    );
    assert.equal(app.status?.sync?.revision, five.revision);
    assert.equal(app.status?.history?.at(-1)?.initiatedBy, "manual");
    assert.equal(app.metadata.annotations?.["tether.dev/rollback"], undefined, "request annotation removed");

    // A new commit is not followed while rolled back...
    const newer = await ws.commitAndPush({ "hello/deployment.yaml": helloDeployment(4) }, "four replicas");
    await refresh();
    await waitFor(
      "refresh handled",
      async () => (await readApp()).metadata.annotations?.["tether.dev/refresh"] === undefined,
      { timeoutMs: 30_000 },
    );
    assert.equal((await deployment()).spec?.replicas, 5, "still at the rolled-back revision");
    // ...until the user resumes.
    await annotate("cancel");
    await waitFor("4 ready replicas after resuming", () => readyReplicas(4), { timeoutMs: 60_000 });
    await waitFor(
      "following Git again",
      async () => {
        const a = await readApp();
        return (
          a.status?.sync?.revision === newer && !a.status.conditions?.some((c) => c.type === "AutoSyncPaused")
        );
      },
      { timeoutMs: 30_000 },
    );
  });
});
