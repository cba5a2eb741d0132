// Tether's kubeconfig reader and request credentials: the file format as kubectl writes it,
// KUBECONFIG lists, the in-cluster service account, and what a request carries.
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import type { Agent } from "node:http";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { KubeConfig } from "../../src/kube/connection.js";
import {
  defaultKubeConfig,
  inClusterKubeConfig,
  mergeKubeConfigs,
  parseKubeConfig,
} from "../../src/kube/kubeconfig.js";

const KUBECONFIG = `apiVersion: v1
kind: Config
current-context: dev
clusters:
  - name: dev
    cluster:
      server: https://127.0.0.1:6443/
      certificate-authority: pki/ca.crt
      tls-server-name: kubernetes
  - name: prod
    cluster: {server: https://prod.example:6443, insecure-skip-tls-verify: true}
users:
  - name: admin
    user: {client-certificate: pki/admin.crt, client-key-data: a2V5, as: alice}
  - name: robot
    user: {token: abc}
  - name: cloud
    user: {exec: {command: aws, args: [eks, get-token]}}
contexts:
  - name: dev
    context: {cluster: dev, user: admin, namespace: team-a}
  - name: prod
    context: {cluster: prod, user: robot}
`;

test("parseKubeConfig: clusters, users, contexts; relative paths resolved against the file's folder", () => {
  const data = parseKubeConfig(KUBECONFIG, "test", "/etc/kube");
  assert.equal(data.currentContext, "dev");
  assert.deepEqual(data.clusters[0], {
    name: "dev",
    server: "https://127.0.0.1:6443",
    caData: undefined,
    caFile: "/etc/kube/pki/ca.crt",
    skipTLSVerify: false,
    tlsServerName: "kubernetes",
    proxyUrl: undefined,
  });
  assert.equal(data.clusters[1]?.skipTLSVerify, true);
  const admin = data.users[0];
  assert.equal(admin?.certFile, "/etc/kube/pki/admin.crt");
  assert.equal(admin?.keyData, "a2V5");
  assert.equal(admin?.impersonate, "alice");
  assert.equal(data.users[1]?.token, "abc");
  assert.equal(data.users[2]?.delegated, "exec", "exec plugins are left to client-node");
  assert.deepEqual(data.contexts[0], { name: "dev", cluster: "dev", user: "admin", namespace: "team-a" });
});

test("parseKubeConfig: bad input names the file and the field", () => {
  assert.throws(() => parseKubeConfig("clusters: {a: 1}", "kc"), /kc: clusters must be a list/);
  assert.throws(
    () => parseKubeConfig("clusters: [{name: a, cluster: {}}]", "kc"),
    /kc: clusters\[0\]\.cluster\.server is missing/,
  );
  assert.throws(
    () => parseKubeConfig("users: [{user: {token: x}}]", "kc"),
    /kc: users\[0\]\.name is missing/,
  );
  assert.throws(() => parseKubeConfig("- a\n- b", "kc"), /kc: not a kubeconfig mapping/);
});

test("mergeKubeConfigs: the first file defining a name wins, as kubectl merges KUBECONFIG", () => {
  const a = parseKubeConfig("clusters: [{name: c, cluster: {server: https://a}}]", "a");
  const b = parseKubeConfig(
    "current-context: x\nclusters: [{name: c, cluster: {server: https://b}}, {name: d, cluster: {server: https://d}}]",
    "b",
  );
  const merged = mergeKubeConfigs([a, b]);
  assert.deepEqual(
    merged.clusters.map((c) => c.server),
    ["https://a", "https://d"],
  );
  assert.equal(merged.currentContext, "x");
});

test("inClusterKubeConfig: the service account's CA, token file and namespace; IPv6 hosts bracketed", async () => {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), "tether-sa-"));
  await fs.writeFile(path.join(root, "namespace"), "tether-system\n");
  const data = inClusterKubeConfig(
    { KUBERNETES_SERVICE_HOST: "fd00::1", KUBERNETES_SERVICE_PORT: "443" },
    root,
  );
  const config = new KubeConfig(data);
  assert.equal(config.getCurrentCluster()?.server, "https://[fd00::1]:443");
  assert.equal(config.getCurrentCluster()?.caFile, path.join(root, "ca.crt"));
  assert.equal(config.getCurrentUser()?.tokenFile, path.join(root, "token"));
  assert.equal(config.contextNamespace, "tether-system");
  await fs.rm(root, { recursive: true, force: true });
});

test("defaultKubeConfig: $KUBECONFIG (first file required, later ones optional), then ~/.kube/config", async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "tether-kc-"));
  const file = path.join(dir, "config");
  await fs.writeFile(file, KUBECONFIG);
  const listed = defaultKubeConfig({ KUBECONFIG: `${file}${path.delimiter}${path.join(dir, "absent")}` });
  assert.equal(listed.currentContext, "dev");
  assert.deepEqual(listed.files, [file]);
  assert.throws(() => defaultKubeConfig({ KUBECONFIG: path.join(dir, "absent") }), /ENOENT/);
  await fs.mkdir(path.join(dir, ".kube"));
  await fs.writeFile(
    path.join(dir, ".kube", "config"),
    KUBECONFIG.replace("current-context: dev", "current-context: prod"),
  );
  assert.equal(defaultKubeConfig({ HOME: dir }).currentContext, "prod");
  await fs.rm(dir, { recursive: true, force: true });
});

test("requests carry the user's credentials: bearer token, basic auth, impersonation; one agent per TLS material", async () => {
  const config = (user: Record<string, string>) =>
    new KubeConfig({
      clusters: [{ name: "c", server: "https://127.0.0.1:1", skipTLSVerify: true }],
      users: [{ name: "u", ...user }],
      contexts: [{ name: "x", cluster: "c", user: "u" }],
      currentContext: "x",
    });
  const headers = async (c: KubeConfig) => {
    const options: { headers?: Record<string, string>; agent?: Agent } = {};
    await c.applyToHTTPSOptions(options);
    return options;
  };
  assert.equal((await headers(config({ token: "t" }))).headers?.["authorization"], "Bearer t");
  assert.equal(
    (await headers(config({ username: "u", password: "p" }))).headers?.["authorization"],
    `Basic ${Buffer.from("u:p").toString("base64")}`,
  );
  assert.equal(
    (await headers(config({ token: "t", impersonate: "alice" }))).headers?.["impersonate-user"],
    "alice",
  );
  const shared = config({ token: "t" });
  const first = await headers(shared);
  const second = await headers(shared);
  assert.ok(first.agent, "an agent is set");
  assert.equal(first.agent, second.agent, "keep-alive: the same agent for the same material");
});

test("a token file is read again after a minute, so a rotated service account token is used", async (t) => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "tether-token-"));
  const tokenFile = path.join(dir, "token");
  await fs.writeFile(tokenFile, "first\n");
  t.mock.timers.enable({ apis: ["Date"], now: 1_000_000 });
  const config = new KubeConfig({
    clusters: [{ name: "c", server: "https://127.0.0.1:1", skipTLSVerify: false }],
    users: [{ name: "u", tokenFile }],
    contexts: [{ name: "x", cluster: "c", user: "u" }],
    currentContext: "x",
  });
  const token = async () => {
    const options: { headers?: Record<string, string> } = {};
    await config.applyToHTTPSOptions(options);
    return options.headers?.["authorization"];
  };
  assert.equal(await token(), "Bearer first");
  await fs.writeFile(tokenFile, "second\n");
  assert.equal(await token(), "Bearer first", "cached within the minute");
  t.mock.timers.tick(60_001);
  assert.equal(await token(), "Bearer second");
  await fs.rm(dir, { recursive: true, force: true });
});

test("an exec credential plugin is run through client-node, loaded only for such a kubeconfig", async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "tether-exec-"));
  const file = path.join(dir, "config");
  const credential = JSON.stringify({
    apiVersion: "client.authentication.k8s.io/v1beta1",
    kind: "ExecCredential",
    status: { token: "from-exec" },
  });
  await fs.writeFile(
    file,
    JSON.stringify({
      "current-context": "x",
      clusters: [{ name: "c", cluster: { server: "https://127.0.0.1:1" } }],
      users: [
        {
          name: "u",
          user: {
            exec: {
              apiVersion: "client.authentication.k8s.io/v1beta1",
              command: process.execPath,
              args: ["-e", `console.log(${JSON.stringify(credential)})`],
            },
          },
        },
      ],
      contexts: [{ name: "x", context: { cluster: "c", user: "u" } }],
    }),
  );
  const options: { headers?: Record<string, string> } = {};
  await KubeConfig.fromFile(file).applyToHTTPSOptions(options);
  assert.equal(options.headers?.["Authorization"] ?? options.headers?.["authorization"], "Bearer from-exec");
  await fs.rm(dir, { recursive: true, force: true });
});
