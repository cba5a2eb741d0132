// charts/tether installs what deploy/ installs: helm lints it, its renders (default values and
// every option on) pass a server-side dry run on the real apiserver, values.schema.json refuses
// bad values naming the field, the ConfigMaps it writes parse as the server parses them, and its
// default render and `kustomize build deploy/` hold the same objects with the same fields.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs/promises";
import path from "node:path";
import { describe, test } from "node:test";
import type { KubernetesObject, V1ConfigMap, V1Deployment, V1Service } from "@kubernetes/client-node";
import { parseOidcConfig } from "../../src/api/auth/oidc-config.js";
import { parsePolicyConfigMap } from "../../src/api/auth/rbac-policy.js";
import { repoRoot } from "../../src/toolchain/components.js";
import { installCrds, testEnv, testNamespace } from "../helpers/environment.js";
import {
  CHART_DIR,
  DEPLOY_DIR,
  helm,
  helmTemplate,
  kustomizeBuild,
  manifestDrift,
  objectKey,
} from "../helpers/manifests.js";

const FULL_VALUES = path.join(repoRoot, "test/fixtures/chart-values-full.yaml");

/** `kubectl apply --dry-run=server` of the objects: the apiserver validates, nothing is stored. */
function serverDryRun(objects: readonly KubernetesObject[]): Promise<string> {
  const input = objects.map((o) => JSON.stringify(o)).join("\n");
  return new Promise((resolve, reject) => {
    const child = spawn(
      "kubectl",
      ["--kubeconfig", testEnv.kubeconfig, "apply", "--dry-run=server", "--validate=strict", "-f", "-"],
      { stdio: ["pipe", "pipe", "pipe"] },
    );
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (out += chunk.toString("utf8")));
    child.on("error", reject);
    child.on("exit", (code) =>
      code === 0 ? resolve(out) : reject(new Error(`kubectl apply --dry-run=server exited ${code}:\n${out}`)),
    );
    child.stdin.end(input);
  });
}

const find = <T extends KubernetesObject>(objects: readonly KubernetesObject[], key: string): T => {
  const found = objects.find((o) => objectKey(o) === key);
  assert.ok(found, `${key} is rendered (have: ${objects.map(objectKey).join(", ")})`);
  return found as T;
};

describe("charts/tether", () => {
  test("helm lint passes with the default values and with every option on", async () => {
    await helm(["lint", "--strict", CHART_DIR]);
    await helm(["lint", "--strict", CHART_DIR, "-f", FULL_VALUES]);
  });

  test("both renders pass a server-side dry run", async (t) => {
    await installCrds();
    // A stand-in for tether-system: the release namespace is every namespaced object's.
    const namespace = await testNamespace(t, "tether-system");
    for (const values of [[], ["-f", FULL_VALUES]]) {
      const objects = await helmTemplate(namespace, values);
      assert.ok(
        objects.every((o) => !o.metadata?.namespace || o.metadata.namespace === namespace),
        "one namespace",
      );
      const out = await serverDryRun(objects);
      assert.match(out, /deployment\.apps\/tether-server (created|configured) \(server dry run\)/);
    }
  });

  test("every option on renders what it promises", async () => {
    const ns = "tether-system";
    const objects = await helmTemplate(ns, ["-f", FULL_VALUES]);
    const server = find<V1Deployment>(objects, `Deployment ${ns}/tether-server`);
    assert.equal(server.spec?.replicas, 3);
    const pod = server.spec?.template.spec;
    const container = pod?.containers.find((c) => c.name === "server");
    assert.equal(container?.image, "registry.example.com/tether:0.1.0-test");
    assert.deepEqual(container?.args, [
      "server",
      "--system-namespace",
      ns,
      "--tls-cert",
      "/etc/tether/tls/tls.crt",
      "--tls-key",
      "/etc/tether/tls/tls.key",
      "--public-app-metrics",
    ]);
    assert.equal(container?.readinessProbe?.httpGet?.scheme, "HTTPS");
    assert.equal(container?.livenessProbe?.httpGet?.scheme, "HTTPS");
    const tlsMount = container?.volumeMounts?.find((m) => m.mountPath === "/etc/tether/tls");
    const tlsVolume = pod?.volumes?.find((v) => v.name === tlsMount?.name);
    assert.equal(tlsVolume?.secret?.secretName, "tether-server-tls");
    assert.deepEqual(pod?.imagePullSecrets, [{ name: "registry-credentials" }]);
    const service = find<V1Service>(objects, `Service ${ns}/tether-server`);
    assert.deepEqual(
      service.spec?.ports?.map((p) => [p.name, p.port, p.targetPort]),
      [
        ["http", 80, "http"],
        ["https", 443, "http"],
      ],
    );
    const ingress = find<
      KubernetesObject & { spec: { rules: { host: string }[]; ingressClassName: string } }
    >(objects, `Ingress ${ns}/tether-server`);
    assert.equal(ingress.spec.rules[0]?.host, "tether.example.org");
    assert.equal(ingress.spec.ingressClassName, "nginx");

    // The ConfigMaps parse as the server parses them.
    const oidc = parseOidcConfig(find<V1ConfigMap>(objects, `ConfigMap ${ns}/tether-oidc`).data);
    assert.ok(oidc.ok && oidc.enabled, `oidc.config is valid: ${JSON.stringify(oidc)}`);
    assert.deepEqual(oidc.config.clientSecret, { secret: "corp-sso", key: "client-secret" });
    assert.equal(oidc.config.redirectURL, "https://tether.example.org/api/v1/auth/oidc/callback");
    const policy = parsePolicyConfigMap(find<V1ConfigMap>(objects, `ConfigMap ${ns}/tether-rbac`).data);
    assert.ok(policy.ok, `policy.yaml is valid: ${JSON.stringify(policy)}`);
    assert.deepEqual(find<V1ConfigMap>(objects, `ConfigMap ${ns}/tether-accounts`).data, {
      "accounts.alice": "login",
      "accounts.bob": "login, apiKey",
      "accounts.bob.enabled": "false",
      "accounts.ci": "apiKey",
    });
    const webhook = find<KubernetesObject & { data: Record<string, string> }>(
      objects,
      `Secret ${ns}/tether-webhook`,
    );
    assert.deepEqual(Object.keys(webhook.data).sort(), ["bitbucket", "gitea", "github", "gitlab"]);

    // The controller: metrics on (and reachable through its NetworkPolicy), no cluster-wide apply.
    const controller = find<V1Deployment>(objects, `Deployment ${ns}/tether-controller`);
    const main = controller.spec?.template.spec?.containers.find((c) => c.name === "controller");
    assert.deepEqual(main?.args?.slice(-2), ["--metrics-port", "8081"]);
    const policyOf = find<KubernetesObject & { spec: { ingress?: { ports: { port: number }[] }[] } }>(
      objects,
      `NetworkPolicy ${ns}/tether-controller`,
    );
    assert.deepEqual(
      policyOf.spec.ingress?.[0]?.ports.map((p) => p.port),
      [8081],
    );
    assert.ok(!objects.some((o) => objectKey(o) === "ClusterRoleBinding tether-controller-apply"));
  });

  test("values.schema.json refuses a wrong type and an unknown key, naming the field", async () => {
    const refused = async (args: string[], message: RegExp) => {
      await assert.rejects(helm(["template", "tether", CHART_DIR, ...args]), (error: Error) => {
        assert.match(error.message, /values don't meet the specifications of the schema/);
        assert.match(error.message, message);
        return true;
      });
    };
    await refused(["--set-string", "server.replicas=two"], /\/server\/replicas': got string, want integer/);
    await refused(
      ["--set", "server.replicass=3"],
      /\/server': additional properties 'replicass' not allowed/,
    );
    await refused(["--set", "bogus=1"], /additional properties 'bogus' not allowed/);
    await refused(["--set", "controller.replicas=0"], /\/controller\/replicas'/);
    await refused(["--set", "image.pullPolicy=Sometimes"], /\/image\/pullPolicy'/);
    await refused(["--set", "oidc.enabled=true"], /\/oidc\/issuer'/);
    await refused(["--set", "accounts.ci.capabilities={deploy}"], /\/accounts\/ci\/capabilities\/0'/);
  });

  test("kept in step: the default render and kustomize build deploy/ hold the same objects and fields", async () => {
    const chart = await helmTemplate("tether-system", ["--include-crds"]);
    const deploy = await kustomizeBuild();
    // The chart leaves the namespace to `helm install --create-namespace`.
    assert.deepEqual(manifestDrift(chart, deploy, ["Namespace tether-system"]), []);

    // Two sharded controller replicas with a budget by default; one replica renders no budget (it
    // would block every drain of its node).
    assert.equal(find<V1Deployment>(chart, "Deployment tether-system/tether-controller").spec?.replicas, 2);
    assert.ok(chart.some((o) => objectKey(o) === "PodDisruptionBudget tether-system/tether-controller"));
    const single = await helmTemplate("tether-system", ["--set", "controller.replicas=1"]);
    assert.equal(find<V1Deployment>(single, "Deployment tether-system/tether-controller").spec?.replicas, 1);
    assert.ok(!single.some((o) => objectKey(o) === "PodDisruptionBudget tether-system/tether-controller"));

    // The CRDs are the same files, byte for byte.
    const files = async (dir: string) => (await fs.readdir(dir)).filter((f) => f.endsWith(".yaml")).sort();
    const deployCrds = await files(path.join(DEPLOY_DIR, "crds"));
    assert.deepEqual(await files(path.join(CHART_DIR, "crds")), deployCrds);
    for (const file of deployCrds) {
      const [a, b] = await Promise.all([
        fs.readFile(path.join(CHART_DIR, "crds", file), "utf8"),
        fs.readFile(path.join(DEPLOY_DIR, "crds", file), "utf8"),
      ]);
      assert.ok(
        a === b,
        `charts/tether/crds/${file} is a copy of deploy/crds/${file} (npm run generate writes both)`,
      );
    }

    // A drift on either side is reported naming the object and the field.
    const drifted = await helmTemplate("tether-system", ["--include-crds", "--set", "server.replicas=3"]);
    assert.deepEqual(manifestDrift(drifted, deploy, ["Namespace tether-system"]), [
      "Deployment tether-system/tether-server: /spec/replicas (3 vs 2) differs (chart vs deploy/)",
    ]);
    const lessDeploy = deploy.filter(
      (o) => objectKey(o) !== "PodDisruptionBudget tether-system/tether-server",
    );
    assert.deepEqual(manifestDrift(chart, lessDeploy, ["Namespace tether-system"]), [
      "PodDisruptionBudget tether-system/tether-server: in the chart, not in deploy/",
    ]);
  });
});
