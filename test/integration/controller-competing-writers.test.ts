// Another writer on a field Tether applies (the HPA case, simulated by a client server-side
// applying spec.replicas as field manager "hpa-sim" with force). With an ignoreDifferences rule
// for that manager Tether leaves the field alone; without one, self-heal must not turn into a
// hot loop: after a bounded number of reverts the app says which manager keeps changing it.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { waitFor } from "../../src/lib/wait.js";
import type { Application, ApplicationSpec } from "../../src/model/application.js";
import type { ControllerFixture } from "../helpers/app.js";
import { condition, deployment, IN_CLUSTER, startControllerFixture } from "../helpers/app.js";
import { clients } from "../helpers/environment.js";

const WRITER = "hpa-sim";

describe("controller: a competing writer on spec.replicas", () => {
  let fx: ControllerFixture;
  let url: string;

  before(async () => {
    fx = await startControllerFixture("ctl-hpa");
    ({ url } = await fx.repository("hpa", { "web/deployment.yaml": deployment("web", 1) }));
  });
  after(() => fx?.stop());

  /** What an HPA does, as a server-side apply of only spec.replicas, forced. */
  const writeReplicas = (namespace: string, replicas: number) =>
    clients().raw.request({
      method: "PATCH",
      path: `/apis/apps/v1/namespaces/${namespace}/deployments/web`,
      query: { fieldManager: WRITER, force: true },
      contentType: "application/apply-patch+yaml",
      body: {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "web", namespace },
        spec: { replicas },
      },
    });
  const replicas = async (namespace: string) =>
    (await clients().apps.readNamespacedDeployment({ name: "web", namespace })).spec?.replicas;
  /** Events Tether recorded on the app with this reason (repeats fold into one with a count). */
  const events = async (app: string, reason: string) => ({
    length: (await clients().core.listNamespacedEvent({ namespace: fx.appNs })).items
      .filter((e) => e.involvedObject.name === app && e.reason === reason)
      .reduce((sum, e) => sum + (e.count ?? 1), 0),
  });
  const createApp = async (name: string, namespace: string, extra: Partial<ApplicationSpec> = {}) => {
    await fx.createApp(name, {
      source: { repoURL: url, targetRevision: "main", path: "web" },
      destination: { server: IN_CLUSTER, namespace },
      syncPolicy: { automated: { prune: true, selfHeal: true } },
      ...extra,
    });
    await fx.waitApp(name, "Synced", (a) => a.status?.sync?.status === "Synced");
    assert.equal(await replicas(namespace), 1);
  };

  test("ignoreDifferences managedFieldsManagers: Tether leaves hpa-sim's replicas alone and stays Synced", async () => {
    const ns = await fx.namespace("ctl-hpa-ignored");
    await createApp("ignored", ns, {
      ignoreDifferences: [{ group: "apps", kind: "Deployment", managedFieldsManagers: [WRITER] }],
    });
    await writeReplicas(ns, 3);
    const app = await fx.refresh("ignored");
    // A second full reconcile: drift events from the write have certainly been handled by now.
    await fx.refresh("ignored");
    assert.equal(await replicas(ns), 3, "hpa-sim's value stays");
    assert.equal(app.status?.sync?.status, "Synced");
    assert.equal((await fx.readApp("ignored")).status?.sync?.status, "Synced");
    assert.equal((await events("ignored", "DriftCorrected")).length, 0, "Tether never reverted the field");
    assert.equal(condition(await fx.readApp("ignored"), "SelfHealBackoff"), undefined);
  });

  /** Writes replicas: 5 as hpa-sim up to 10 times, each time waiting for Tether to revert or to report hpa-sim. */
  const fight = async (name: string, ns: string) => {
    let app: Application | undefined;
    let writes = 0;
    for (let i = 0; i < 10; i += 1) {
      await writeReplicas(ns, 5);
      writes += 1;
      app = await waitFor(
        `revert or a report of ${WRITER} (write ${writes})`,
        async () => {
          const a = await fx.readApp(name);
          if (condition(a, "SelfHealBackoff") || /hpa-sim/.test(condition(a, "SyncError")?.message ?? ""))
            return a;
          return (await replicas(ns)) === 1 ? a : undefined;
        },
        { timeoutMs: 20_000 },
      ).catch(async (error: Error) => {
        throw new Error(
          `${error.message}\nstatus: ${JSON.stringify((await fx.readApp(name)).status, null, 1)}\nlog:\n${fx.lines.join("\n")}`,
        );
      });
      if (condition(app, "SelfHealBackoff") || condition(app, "SyncError")) break;
    }
    assert.ok(app);
    return { app, writes };
  };

  test("no ignore rule: hpa-sim's Apply ownership is a dispute reported by name; Tether does not force or loop", async () => {
    const ns = await fx.namespace("ctl-hpa-dispute");
    await createApp("dispute", ns);
    const { app, writes } = await fight("dispute", ns);
    assert.equal(writes, 1, "reported at the first write, no revert");
    const c = condition(app, "SyncError");
    assert.ok(c, `expected SyncError, got ${JSON.stringify(app.status?.conditions)}`);
    assert.match(c.message, /Deployment .*web/);
    assert.match(c.message, /owned by hpa-sim/);
    assert.match(c.message, /Force=true/);
    const failed = (await fx.readApp("dispute")).status?.operationState;
    assert.equal(failed?.phase, "Failed");
    await fx.refresh("dispute");
    await fx.refresh("dispute");
    assert.equal(await replicas(ns), 5, "hpa-sim's value stays");
    assert.equal((await events("dispute", "DriftCorrected")).length, 0);
    // Each sync is a new operation (id, startedAt): the failed one is still the last.
    const last = (await fx.readApp("dispute")).status?.operationState;
    assert.deepEqual(
      [last?.id, last?.startedAt, last?.phase],
      [failed?.id, failed?.startedAt, "Failed"],
      "no sync retried in a loop",
    );
    assert.equal((await fx.readApp("dispute")).status?.sync?.status, "OutOfSync");
  });

  test("Force=true, no ignore rule: after a bounded number of reverts, SelfHealBackoff names hpa-sim", async () => {
    const ns = await fx.namespace("ctl-hpa-fight");
    await createApp("fight", ns, {
      syncPolicy: { automated: { prune: true, selfHeal: true }, syncOptions: ["Force=true"] },
    });
    const { app, writes } = await fight("fight", ns);
    const backoff = condition(app, "SelfHealBackoff");
    assert.ok(
      backoff,
      `expected SelfHealBackoff after ${writes} writes, got ${JSON.stringify(app.status?.conditions)}`,
    );
    assert.match(backoff.message, /hpa-sim/);
    assert.match(backoff.message, /Deployment .*web/);
    const reverts = (await events("fight", "DriftCorrected")).length;
    assert.ok(writes > 1, "Tether reverted at least once before backing off");
    assert.ok(reverts >= 1 && reverts <= 6, `Tether re-applied ${reverts} times for ${writes} writes`);
    // Backed off: the writer's value stays through further reconciles.
    await fx.refresh("fight");
    await fx.refresh("fight");
    assert.equal(await replicas(ns), 5);
    assert.equal((await events("fight", "DriftCorrected")).length, reverts, "no further reverts");
  });
});
