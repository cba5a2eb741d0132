// ignoreDifferences end to end, with the HPA case done as the HPA controller does it: an Update of
// the Deployment's scale subresource as field manager "kube-controller-manager". Also JSON pointers
// and jq path expressions by name/namespace, and RespectIgnoreDifferences (a sync that corrects
// other drift keeps the ignored field's live value).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { ApplicationSpec } from "../../src/model/application.js";
import type { ControllerFixture } from "../helpers/app.js";
import { deployment, IN_CLUSTER, startControllerFixture } from "../helpers/app.js";
import { clients } from "../helpers/environment.js";
import { waitFor } from "../../src/lib/wait.js";

const HPA_MANAGER = "kube-controller-manager";
const HPA = `apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: web
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 1
  maxReplicas: 5
  metrics:
    - type: Resource
      resource: {name: cpu, target: {type: Utilization, averageUtilization: 80}}
`;

describe("controller: ignoreDifferences end to end", () => {
  let fx: ControllerFixture;
  let url: string;

  before(async () => {
    fx = await startControllerFixture("ctl-ign");
    ({ url } = await fx.repository("ign", {
      "web/deployment.yaml": deployment("web", 1),
      "web/hpa.yaml": HPA,
    }));
  });
  after(() => fx?.stop());

  /** The HPA controller's write: an Update of the scale subresource. */
  const scale = (namespace: string, replicas: number) =>
    clients().raw.request({
      method: "PATCH",
      path: `/apis/apps/v1/namespaces/${namespace}/deployments/web/scale`,
      query: { fieldManager: HPA_MANAGER },
      contentType: "application/merge-patch+json",
      body: { spec: { replicas } },
    });
  /** kubectl set image: an Update as manager "kubectl". */
  const setImage = (namespace: string, image: string) =>
    clients().raw.request({
      method: "PATCH",
      path: `/apis/apps/v1/namespaces/${namespace}/deployments/web`,
      query: { fieldManager: "kubectl" },
      contentType: "application/strategic-merge-patch+json",
      body: { spec: { template: { spec: { containers: [{ name: "nginx", image }] } } } },
    });
  const live = async (namespace: string) => {
    const d = await clients().apps.readNamespacedDeployment({ name: "web", namespace });
    return { replicas: d.spec?.replicas, image: d.spec?.template.spec?.containers[0]?.image };
  };
  const driftCorrected = async (app: string) =>
    (await clients().core.listNamespacedEvent({ namespace: fx.appNs })).items
      .filter((e) => e.involvedObject.name === app && e.reason === "DriftCorrected")
      // Repeats fold into one Event with a count (client-go's correlator).
      .reduce((sum, e) => sum + (e.count ?? 1), 0);
  const createApp = async (name: string, extra: Partial<ApplicationSpec> = {}) => {
    const ns = await fx.namespace(`ctl-ign-${name}`);
    await fx.createApp(name, {
      source: { repoURL: url, targetRevision: "main", path: "web" },
      destination: { server: IN_CLUSTER, namespace: ns },
      syncPolicy: { automated: { prune: true, selfHeal: true } },
      ...extra,
    });
    await fx.waitApp(name, "Synced", (a) => a.status?.sync?.status === "Synced");
    assert.deepEqual(await live(ns), { replicas: 1, image: "nginx:1.27-alpine" });
    return ns;
  };

  test(`managedFieldsManagers [${HPA_MANAGER}]: the HPA's replicas stay and the app stays Synced, with self-heal on`, async () => {
    const ns = await createApp("hpa-ignored", {
      ignoreDifferences: [{ group: "apps", kind: "Deployment", managedFieldsManagers: [HPA_MANAGER] }],
    });
    await scale(ns, 3);
    await fx.refresh("hpa-ignored");
    const app = await fx.refresh("hpa-ignored");
    assert.equal(app.status?.sync?.status, "Synced");
    assert.equal((await live(ns)).replicas, 3, "not reverted");
    assert.equal(await driftCorrected("hpa-ignored"), 0);
  });

  test("no rule: the HPA's write is drift and self-heal reverts it", async () => {
    const ns = await createApp("hpa-drift");
    await scale(ns, 3);
    await waitFor("replicas reverted to 1", async () => (await live(ns)).replicas === 1, {
      timeoutMs: 30_000,
    });
    await fx.waitApp("hpa-drift", "Synced again", (a) => a.status?.sync?.status === "Synced");
    assert.ok((await driftCorrected("hpa-drift")) >= 1);
  });

  test("jsonPointers and jqPathExpressions, by name and namespace: ignored there, drift elsewhere", async () => {
    const ns = await fx.namespace("ctl-ign-paths-target");
    const rules = [
      { group: "apps", kind: "Deployment", name: "web", namespace: ns, jsonPointers: ["/spec/replicas"] },
      {
        group: "apps",
        kind: "Deployment",
        name: "web",
        namespace: ns,
        jqPathExpressions: ['.spec.template.spec.containers[] | select(.name == "nginx") | .image'],
      },
    ];
    await fx.createApp("paths", {
      source: { repoURL: url, targetRevision: "main", path: "web" },
      destination: { server: IN_CLUSTER, namespace: ns },
      syncPolicy: { automated: { prune: true, selfHeal: true } },
      ignoreDifferences: rules,
    });
    await fx.waitApp("paths", "Synced", (a) => a.status?.sync?.status === "Synced");
    await scale(ns, 4);
    await setImage(ns, "nginx:1.28-alpine");
    await fx.refresh("paths");
    const app = await fx.refresh("paths");
    assert.equal(app.status?.sync?.status, "Synced");
    assert.deepEqual(await live(ns), { replicas: 4, image: "nginx:1.28-alpine" });
    assert.equal(await driftCorrected("paths"), 0);

    // The same rules naming another namespace do not apply to this app's Deployment.
    const other = await createApp("paths-other", { ignoreDifferences: rules });
    await setImage(other, "nginx:1.28-alpine");
    await waitFor("image reverted", async () => (await live(other)).image === "nginx:1.27-alpine", {
      timeoutMs: 30_000,
    });
  });

  test("RespectIgnoreDifferences=true: self-heal of other drift keeps the HPA's replicas", async () => {
    const ns = await createApp("respect", {
      syncPolicy: {
        automated: { prune: true, selfHeal: true },
        syncOptions: ["RespectIgnoreDifferences=true"],
      },
      ignoreDifferences: [{ group: "apps", kind: "Deployment", managedFieldsManagers: [HPA_MANAGER] }],
    });
    await scale(ns, 3);
    await setImage(ns, "nginx:1.28-alpine");
    await waitFor("image reverted by self-heal", async () => (await live(ns)).image === "nginx:1.27-alpine", {
      timeoutMs: 30_000,
    });
    const app = await fx.waitApp("respect", "Synced", (a) => a.status?.sync?.status === "Synced");
    assert.ok((await driftCorrected("respect")) >= 1, "a sync did run");
    assert.equal((await live(ns)).replicas, 3, "the sync kept the HPA's replicas");
    assert.equal(
      app.status?.conditions?.find((c) => c.type === "SyncError"),
      undefined,
    );
  });
});
