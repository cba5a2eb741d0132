// Deleting an Application: with the cascade finalizer Tether deletes what it applied and then lets
// the Application go; without it the Application goes at once and its objects keep running.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { waitFor } from "../../src/lib/wait.js";
import type { ControllerFixture } from "../helpers/app.js";
import { deployment, IN_CLUSTER, isGone, service, startControllerFixture } from "../helpers/app.js";
import { clients } from "../helpers/environment.js";

describe("controller: deleting an Application", () => {
  let fx: ControllerFixture;
  let url: string;

  before(async () => {
    fx = await startControllerFixture("ctl-delete");
    ({ url } = await fx.repository("web", {
      "web/deployment.yaml": deployment("web", 1),
      "web/service.yaml": service("web"),
    }));
  });
  after(() => fx?.stop());

  const synced = async (name: string, ns: string, finalizers?: string[]) => {
    await fx.createApp(
      name,
      {
        source: { repoURL: url, targetRevision: "main", path: "web" },
        destination: { server: IN_CLUSTER, namespace: ns },
        syncPolicy: { automated: { prune: true, selfHeal: true } },
      },
      finalizers,
    );
    await fx.waitApp(name, "Synced", (a) => a.status?.sync?.status === "Synced");
    await clients().apps.readNamespacedDeployment({ name: "web", namespace: ns });
    await clients().core.readNamespacedService({ name: "web", namespace: ns });
  };

  test("with the resources finalizer: the Deployment and Service are deleted, then the Application", async () => {
    const ns = await fx.namespace("ctl-delete-cascade");
    await synced("cascade", ns, ["tether.dev/resources-finalizer"]);
    await fx.deleteApp("cascade");
    const readDeployment = () => clients().apps.readNamespacedDeployment({ name: "web", namespace: ns });
    const readService = () => clients().core.readNamespacedService({ name: "web", namespace: ns });
    // The Application must still exist (held by the finalizer) while its objects are being deleted.
    let appGoneFirst = false;
    await waitFor(
      "Deployment and Service deleted",
      async () => {
        const appGone = await isGone(() => fx.readApp("cascade"));
        const objectsGone = (await isGone(readDeployment)) && (await isGone(readService));
        if (appGone && !objectsGone) appGoneFirst = true;
        return objectsGone;
      },
      { timeoutMs: 60_000 },
    );
    assert.equal(appGoneFirst, false, "the Application was released before its resources were deleted");
    await waitFor("Application gone", () => isGone(() => fx.readApp("cascade")), { timeoutMs: 30_000 });
  });

  test("without the finalizer: the Application is gone and its objects stay (orphaned)", async () => {
    const ns = await fx.namespace("ctl-delete-orphan");
    await synced("orphan", ns);
    await fx.deleteApp("orphan");
    await waitFor("Application gone", () => isGone(() => fx.readApp("orphan")), { timeoutMs: 30_000 });
    // The controller has handled the deletion once it let go of the app's watches.
    const key = `${fx.appNs}/orphan`;
    await waitFor("controller released the app", () => fx.controller.watches.ownedBy(key).length === 0, {
      timeoutMs: 30_000,
    });
    const d = await clients().apps.readNamespacedDeployment({ name: "web", namespace: ns });
    const s = await clients().core.readNamespacedService({ name: "web", namespace: ns });
    assert.equal(d.metadata?.deletionTimestamp, undefined, "Deployment not being deleted");
    assert.equal(s.metadata?.deletionTimestamp, undefined, "Service not being deleted");
    assert.equal(d.spec?.replicas, 1);
  });
});
