// Faults of the control plane under a running controller: the kube-apiserver restarted, and etcd
// frozen (SIGSTOP) for 10 s. These stop shared processes, so the file starts a private control
// plane instead of pausing the one other test files use. After each fault the app converges on
// the commit pushed during the fault: nothing lost, only what left Git pruned, and its status and
// history say which commit it deployed.
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import type { Controller } from "../../src/controller/controller.js";
import { startController } from "../../src/controller/controller.js";
import type { KubeClients } from "../../src/kube/client.js";
import { typedKubeClients } from "../../src/kube/typed.js";
import { ResourceClient } from "../../src/kube/resources.js";
import { ensureComponent, ensureComponents } from "../../src/toolchain/binaries.js";
import { CONTROL_PLANE } from "../../src/toolchain/components.js";
import type { ControlPlane } from "../../src/localcluster/controlplane.js";
import { startControlPlane } from "../../src/localcluster/controlplane.js";
import { GitWorkspace } from "../../src/localcluster/gitrepo.js";
import type { GitServer } from "../../src/localcluster/gitserver.js";
import { startGitServer } from "../../src/localcluster/gitserver.js";
import { installCrds } from "../../src/localcluster/product.js";
import { waitFor } from "../../src/lib/wait.js";
import type { Application } from "../../src/model/application.js";
import { APP_GROUP, configMap, IN_CLUSTER, isGone } from "../helpers/app.js";

describe("faults: the control plane under a running controller", () => {
  let cp: ControlPlane;
  let kube: KubeClients;
  let git: GitServer;
  let controller: Controller;
  let tmp: string;
  const lines: string[] = [];
  const appNs = "fault-apps";

  before(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), "tether-faults-cp-"));
    cp = await startControlPlane({
      binaries: await ensureComponents(CONTROL_PLANE),
      cacheDir: path.join(tmp, "cp"),
    });
    kube = typedKubeClients(cp.kubeconfigPath);
    await installCrds(new ResourceClient(kube));
    await kube.core.createNamespace({ body: { metadata: { name: appNs } } });
    git = await startGitServer({ root: path.join(tmp, "git") });
    controller = await startController({
      config: kube.config,
      applicationNamespace: appNs,
      cacheDir: path.join(tmp, "cache"),
      helmBinary: await ensureComponent("helm"),
      kustomizeBinary: await ensureComponent("kustomize"),
      pollIntervalMs: 3_000,
      gitTimeoutMs: 5_000,
      log: (line) => lines.push(`${new Date().toISOString().slice(11, 23)} ${line}`),
    });
  });
  after(async () => {
    await controller?.stop();
    await git?.close();
    await cp?.stop();
    await fs.rm(tmp, { recursive: true, force: true });
    if (process.env["TETHER_TEST_VERBOSE"]) process.stderr.write(lines.join("\n") + "\n");
  });

  const readApp = async (name: string) =>
    (await kube.custom.getNamespacedCustomObject({ ...APP_GROUP, namespace: appNs, name })) as Application;
  const waitApp = (name: string, what: string, check: (a: Application) => boolean, timeoutMs = 90_000) =>
    waitFor(
      `${name}: ${what}`,
      async () => {
        // While the apiserver is away a read fails: keep waiting, that is the fault under test.
        const app = await readApp(name).catch(() => undefined);
        return app && check(app) ? app : undefined;
      },
      { timeoutMs },
    ).catch(async (error: Error) => {
      const status = await readApp(name).then(
        (a) => JSON.stringify(a.status, null, 1),
        (e: Error) => e.message,
      );
      throw new Error(`${error.message}\nstatus: ${status}\nlog:\n${lines.slice(-60).join("\n")}`);
    });
  const uid = async (ns: string, name: string) =>
    (await kube.core.readNamespacedConfigMap({ name, namespace: ns })).metadata?.uid;

  /** An app of three ConfigMaps, Synced; returns its workspace and destination. */
  async function syncedApp(name: string) {
    const url = await git.createRepository(name);
    const ws = await GitWorkspace.clone(url);
    await ws.commitAndPush(
      {
        "app/a.yaml": configMap("a", { v: "1" }),
        "app/b.yaml": configMap("b", { v: "1" }),
        "app/c.yaml": configMap("c", { v: "1" }),
      },
      "a, b and c",
    );
    const target = `${name}-target`;
    await kube.core.createNamespace({ body: { metadata: { name: target } } });
    await kube.custom.createNamespacedCustomObject({
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
    });
    const head = await ws.head();
    await waitApp(
      name,
      "Synced at the first commit",
      (a) => a.status?.sync?.status === "Synced" && a.status.sync.revision === head,
    );
    return { ws, target, uids: { a: await uid(target, "a"), b: await uid(target, "b") } };
  }

  /** Pushes "a changed, b kept, c removed" while `fault` runs, then checks the app converged on it. */
  async function pushDuringFault(name: string, fault: (push: () => Promise<string>) => Promise<string>) {
    const { ws, target, uids } = await syncedApp(name);
    const pushed = await fault(() =>
      ws.commitAndPush(
        { "app/a.yaml": configMap("a", { v: "2" }), "app/c.yaml": null },
        "a to v2, c removed",
      ),
    );
    // Converged means no error condition either: right after SIGCONT the apiserver's /readyz can
    // still fail for etcd, and a reconcile then records ClusterUnreachable beside the Synced status it
    // keeps, until the next one clears it (a fresh-clone run caught the first snapshot in between).
    const errorCondition = (a: Application) =>
      a.status?.conditions?.find((c) => c.status === "True" && /Error/.test(c.type));
    const app = await waitApp(
      name,
      "Synced at the commit pushed during the fault, no error condition",
      (a) =>
        a.status?.sync?.status === "Synced" &&
        a.status.sync.revision === pushed &&
        a.status.operationState?.phase === "Succeeded" &&
        !errorCondition(a),
    );
    const a = await kube.core.readNamespacedConfigMap({ name: "a", namespace: target });
    assert.equal(a.data?.["v"], "2", "a follows Git");
    assert.equal(a.metadata?.uid, uids.a, "a was updated in place, not recreated");
    assert.equal(await uid(target, "b"), uids.b, "b was left alone");
    // Pruned with foreground propagation: the garbage collector (kube-controller-manager, itself
    // reconnecting after the fault) removes it once it has resynced.
    await waitFor(
      "c pruned",
      () => isGone(() => kube.core.readNamespacedConfigMap({ name: "c", namespace: target })),
      { timeoutMs: 60_000 },
    );
    const last = app.status?.history?.at(-1);
    assert.equal(last?.revision, pushed, "history names the commit deployed");
    assert.equal(last?.result, "Succeeded");
    assert.equal(errorCondition(app), undefined, "no error condition left over");
  }

  test("kube-apiserver restarted: the controller reconnects and applies what was pushed meanwhile", async () => {
    await pushDuringFault("restart", async (push) => {
      const stopped = cp.restart("kube-apiserver");
      const head = await push();
      await stopped;
      return head;
    });
  });

  test("etcd frozen for 10 s (SIGSTOP, then SIGCONT): the app converges once etcd answers again", async () => {
    await pushDuringFault("frozen", async (push) => {
      cp.signal("etcd", "SIGSTOP");
      try {
        const head = await push();
        // The fault is "etcd unresponsive for 10 s": its length is the point, not a wait for a condition.
        await new Promise((resolve) => setTimeout(resolve, 10_000));
        return head;
      } finally {
        cp.signal("etcd", "SIGCONT");
      }
    });
  });
});
