// Custom health from CEL rules in ConfigMap tether-config, on a Certificate-like custom resource
// whose controller (played by the test) reports status.conditions[type=Ready]. The rules are
// edited while the controller runs: the new verdict appears without a restart, and a broken rule
// shows as Unknown on the resource and as a HealthCheckError condition on the app.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Application, ResourceStatus } from "../../src/model/application.js";
import type { ControllerFixture } from "../helpers/app.js";
import { condition, IN_CLUSTER, startControllerFixture } from "../helpers/app.js";
import { clients } from "../helpers/environment.js";
import { waitFor } from "../../src/lib/wait.js";

const GROUP = "certs.tether-test.example.com";
const CRD = {
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: `certificates.${GROUP}` },
  spec: {
    group: GROUP,
    scope: "Namespaced",
    names: { plural: "certificates", singular: "certificate", kind: "Certificate" },
    versions: [
      {
        name: "v1",
        served: true,
        storage: true,
        subresources: { status: {} },
        schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } },
      },
    ],
  },
};

const CERTIFICATE = `apiVersion: ${GROUP}/v1
kind: Certificate
metadata:
  name: web
spec:
  dnsNames: [shop.example.com]
`;

const RULES = `- group: ${GROUP}
  kind: Certificate
  rules:
    - when: "!has(object.status) || !has(object.status.conditions)"
      status: Progressing
      message: '"waiting for the issuer"'
    - when: object.status.conditions.exists(c, c.type == "Ready" && c.status == "False")
      status: Degraded
      message: object.status.conditions.filter(c, c.type == "Ready")[0].message
    - when: object.status.conditions.exists(c, c.type == "Ready" && c.status == "True")
      status: Healthy
`;

describe("controller: custom health from CEL rules", () => {
  let fx: ControllerFixture;
  let url: string;

  before(async () => {
    fx = await startControllerFixture("ctl-cel");
    await clients().raw.request({
      method: "PATCH",
      path: `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${CRD.metadata.name}`,
      query: { fieldManager: "tether-test", force: true },
      contentType: "application/apply-patch+yaml",
      body: CRD,
    });
    await waitFor(
      "the Certificate CRD to be served",
      async () => {
        const crd = await clients().raw.request<{
          status?: { conditions?: { type: string; status: string }[] };
        }>({
          method: "GET",
          path: `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${CRD.metadata.name}`,
        });
        return crd.status?.conditions?.some((c) => c.type === "Established" && c.status === "True") ?? false;
      },
      { timeoutMs: 30_000 },
    );
    ({ url } = await fx.repository("certs", { "web/certificate.yaml": CERTIFICATE }));
  });
  after(() => fx?.stop());

  const writeRules = (text: string) =>
    clients().raw.request({
      method: "PATCH",
      path: `/api/v1/namespaces/${fx.systemNamespace}/configmaps/tether-config`,
      query: { fieldManager: "tether-test", force: true },
      contentType: "application/apply-patch+yaml",
      body: {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "tether-config", namespace: fx.systemNamespace },
        data: { "health.customizations": text },
      },
    });
  const setReady = (ns: string, ready: { status: string; message: string }) =>
    clients().raw.request({
      method: "PATCH",
      path: `/apis/${GROUP}/v1/namespaces/${ns}/certificates/web/status`,
      contentType: "application/merge-patch+json",
      body: {
        status: {
          conditions: [
            { type: "Issuing", status: "False" },
            { type: "Ready", ...ready },
          ],
        },
      },
    });
  const certificate = (app: Application): ResourceStatus | undefined =>
    app.status?.resources?.find((r) => r.kind === "Certificate");

  test("Ready=False → Degraded with the condition's message, Ready=True → Healthy, no status → Progressing; the app follows; edits reload without restart", async () => {
    await writeRules(RULES);
    const ns = await fx.namespace("ctl-cel-web");
    await fx.createApp("certs", {
      source: { repoURL: url, targetRevision: "main", path: "web" },
      destination: { server: IN_CLUSTER, namespace: ns },
      syncPolicy: { automated: { prune: true, selfHeal: true } },
    });

    // No status yet: the built-in check would say Healthy; the rule says Progressing.
    let app = await fx.waitApp(
      "certs",
      "Synced, certificate Progressing",
      (a) => a.status?.sync?.status === "Synced" && certificate(a)?.health?.status === "Progressing",
    );
    assert.deepEqual(certificate(app)?.health, { status: "Progressing", message: "waiting for the issuer" });
    assert.equal(app.status?.health?.status, "Progressing");

    await setReady(ns, { status: "False", message: "issuer letsencrypt not found" });
    app = await fx.waitApp(
      "certs",
      "certificate Degraded",
      (a) => certificate(a)?.health?.status === "Degraded",
    );
    assert.deepEqual(certificate(app)?.health, {
      status: "Degraded",
      message: "issuer letsencrypt not found",
    });
    assert.equal(app.status?.health?.status, "Degraded");
    assert.match(
      app.status?.health?.message ?? "",
      /Certificate .*web is Degraded: issuer letsencrypt not found/,
    );

    await setReady(ns, { status: "True", message: "certificate is up to date" });
    app = await fx.waitApp("certs", "app Healthy", (a) => a.status?.health?.status === "Healthy");
    assert.deepEqual(certificate(app)?.health, { status: "Healthy" });
    assert.equal(condition(app, "HealthCheckError"), undefined);

    // A broken rule, written while the controller runs: Unknown with CEL's error, and a condition.
    await writeRules(RULES.replace('c.status == "True")', 'c.status == "True"'));
    app = await fx.waitApp(
      "certs",
      "certificate Unknown",
      (a) => certificate(a)?.health?.status === "Unknown",
    );
    const message = certificate(app)?.health?.message ?? "";
    assert.match(
      message,
      /ConfigMap .*\/tether-config key health\.customizations\[0\] \(certs\.tether-test\.example\.com\/Certificate\) rules\[2\]\.when: /,
    );
    assert.equal(app.status?.health?.status, "Unknown");
    const c = condition(app, "HealthCheckError");
    assert.ok(c, "the app says why");
    assert.equal(c.reason, "InvalidHealthRule");
    assert.match(c.message, /Certificate .*web: ConfigMap .*rules\[2\]\.when/);
    assert.equal(app.status?.sync?.status, "Synced", "a bad rule does not stop reconciling");

    // Fixed again: Healthy, condition gone.
    await writeRules(RULES);
    app = await fx.waitApp(
      "certs",
      "Healthy again",
      (a) => a.status?.health?.status === "Healthy" && !condition(a, "HealthCheckError"),
    );

    // Rules removed: the built-in check decides (Ready=False is Degraded there too, with the reason).
    await clients().core.deleteNamespacedConfigMap({ name: "tether-config", namespace: fx.systemNamespace });
    await setReady(ns, { status: "Unknown", message: "renewal in progress" });
    app = await fx.waitApp(
      "certs",
      "built-in: Ready=Unknown is Progressing",
      (a) => certificate(a)?.health?.message === "renewal in progress",
    );
    assert.equal(certificate(app)?.health?.status, "Progressing");
  });
});
