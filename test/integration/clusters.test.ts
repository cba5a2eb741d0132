// Multi-cluster: a second real control plane beside the test run's, registered by cluster Secrets
// (bearer token of a ServiceAccount, and a client certificate; Tether's label and Argo CD's). One
// repository deploys to both; drift is reverted on each; wrong credentials, an outage of the second
// control plane and a deleted cluster Secret each give a condition naming the cluster and prune
// nothing on either cluster; everything recovers without a controller restart.
//
// The outage: the Secret's server is a TCP proxy in front of the second apiserver, closed and
// reopened on the same port — to the controller exactly an apiserver that stops answering and comes
// back, without restarting etcd and the apiserver (which the local control plane cannot do in place).
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { after, before, describe, test } from "node:test";
import type { V1Secret } from "@kubernetes/client-node";
import { createApi } from "../../src/api/server.js";
import type { ClusterList, ResourceTree } from "../../src/api/types.js";
import type { TypedKubeClients } from "../../src/kube/typed.js";
import { typedKubeClients } from "../../src/kube/typed.js";
import { CASCADE_FINALIZER } from "../../src/model/contract.js";
import { CLUSTER_STATUS_ANNOTATION } from "../../src/model/contract.js";
import { ensureComponents } from "../../src/toolchain/binaries.js";
import { CONTROL_PLANE } from "../../src/toolchain/components.js";
import type { ControlPlane } from "../../src/localcluster/controlplane.js";
import { startControlPlane } from "../../src/localcluster/controlplane.js";
import { waitFor } from "../../src/lib/wait.js";
import type { Application } from "../../src/model/application.js";
import type { ControllerFixture } from "../helpers/app.js";
import {
  condition,
  configMap,
  deployment,
  IN_CLUSTER,
  isGone,
  startControllerFixture,
} from "../helpers/app.js";
import { clients, testEnv } from "../helpers/environment.js";

const run = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** Forwards TCP to the second apiserver; close() is an outage, open() brings it back on the same port. */
class TcpProxy {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  port = 0;

  constructor(private readonly targetPort: number) {}

  async open(): Promise<void> {
    const server = net.createServer((client) => {
      const upstream = net.connect(this.targetPort, "127.0.0.1");
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on("close", () => this.sockets.delete(s));
        s.on("error", () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.port, "127.0.0.1", () => resolve());
    });
    this.port = (server.address() as net.AddressInfo).port;
    this.server = server;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

const WAIT = 90_000;
const b64file = async (file: string) => (await fs.readFile(file)).toString("base64");

describe("clusters: a second control plane registered by cluster Secrets", () => {
  let fx: ControllerFixture;
  let cp2: ControlPlane;
  let remote: TypedKubeClients;
  let proxy: TcpProxy;
  let url: string;
  let token: string;
  let caData: string;
  let cert: { certData: string; keyData: string };
  let directServer: string;
  let tmp: string;
  const proxies: TcpProxy[] = [];
  const secrets = () => clients().core;

  const clusterSecret = (
    name: string,
    data: { name: string; server: string; config: unknown },
    labels: Record<string, string> = { "tether.dev/secret-type": "cluster" },
  ): V1Secret => ({
    metadata: { name, namespace: fx.systemNamespace, labels },
    stringData: { name: data.name, server: data.server, config: JSON.stringify(data.config) },
  });
  const createSecret = (body: V1Secret) =>
    secrets().createNamespacedSecret({ namespace: fx.systemNamespace, body });
  const clusterState = (name: string) => fx.controller.clusters.list().find((c) => c.name === name)?.state;
  const waitCluster = (name: string, status: string, timeoutMs = WAIT) =>
    waitFor(`cluster ${name} ${status}`, () => clusterState(name)?.status === status, { timeoutMs }).catch(
      (error: Error) => {
        throw new Error(
          `${error.message}: ${JSON.stringify(fx.controller.clusters.list())}\n${fx.lines.join("\n")}`,
        );
      },
    );
  const spec = (destination: Record<string, string>) => ({
    source: { repoURL: url, targetRevision: "main", path: "web" },
    destination,
    syncPolicy: { automated: { prune: true, selfHeal: true }, syncOptions: ["CreateNamespace=true"] },
  });
  const replicas = async (c: TypedKubeClients, namespace: string) =>
    (await c.apps.readNamespacedDeployment({ name: "web", namespace })).spec?.replicas;
  /** `kubectl scale`: an imperative Update through the scale subresource. */
  const scale = (c: TypedKubeClients, namespace: string, count: number) =>
    c.apps.replaceNamespacedDeploymentScale({
      name: "web",
      namespace,
      body: { metadata: { name: "web", namespace }, spec: { replicas: count } },
    });
  const waitReplicas = (c: TypedKubeClients, namespace: string, count: number) =>
    waitFor(
      `web in ${namespace} back to ${count} replicas`,
      async () => (await replicas(c, namespace)) === count,
      { timeoutMs: WAIT },
    );
  const synced = (a: Application) =>
    a.status?.sync?.status === "Synced" && !condition(a, "ComparisonError") && !condition(a, "InvalidSpec");

  before(
    async () => {
      const binaries = await ensureComponents(CONTROL_PLANE);
      [cp2, fx] = await Promise.all([
        startControlPlane({ binaries }),
        startControllerFixture("clusters", { clusterCheckIntervalMs: 500 }),
      ]);
      remote = typedKubeClients(cp2.kubeconfigPath);
      directServer = cp2.server;
      proxy = new TcpProxy(Number(new URL(cp2.server).port));
      await proxy.open();
      tmp = await fs.mkdtemp(path.join(os.tmpdir(), "tether-clusters-"));
      caData = await b64file(cp2.pki.ca.cert);

      // Bearer token: a ServiceAccount of the second cluster bound to cluster-admin.
      await remote.core.createNamespacedServiceAccount({
        namespace: "kube-system",
        body: { metadata: { name: "tether" } },
      });
      const binding = (name: string, subject: Record<string, string>) =>
        remote.raw.request({
          method: "POST",
          path: "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
          body: {
            apiVersion: "rbac.authorization.k8s.io/v1",
            kind: "ClusterRoleBinding",
            metadata: { name },
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "cluster-admin" },
            subjects: [subject],
          },
        });
      await binding("tether-sa", { kind: "ServiceAccount", name: "tether", namespace: "kube-system" });
      const request = await remote.raw.request<{ status: { token: string } }>({
        method: "POST",
        path: "/api/v1/namespaces/kube-system/serviceaccounts/tether/token",
        body: {
          apiVersion: "authentication.k8s.io/v1",
          kind: "TokenRequest",
          spec: { expirationSeconds: 3600 },
        },
      });
      token = request.status.token;

      // Client certificate: a new user signed by the second cluster's CA, bound to cluster-admin.
      const key = path.join(tmp, "user.key");
      const csr = path.join(tmp, "user.csr");
      const crt = path.join(tmp, "user.crt");
      const ext = path.join(tmp, "user.ext");
      await run("openssl", [
        "req",
        "-new",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        key,
        "-out",
        csr,
        "-subj",
        "/CN=tether-remote",
      ]);
      await fs.writeFile(
        ext,
        "keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n",
      );
      await run("openssl", [
        "x509",
        "-req",
        "-in",
        csr,
        "-CA",
        cp2.pki.ca.cert,
        "-CAkey",
        cp2.pki.ca.key,
        "-set_serial",
        `0x${randomBytes(8).toString("hex")}`,
        "-days",
        "1",
        "-out",
        crt,
        "-extfile",
        ext,
      ]);
      await binding("tether-cert", {
        kind: "User",
        name: "tether-remote",
        apiGroup: "rbac.authorization.k8s.io",
      });
      cert = { certData: await b64file(crt), keyData: await b64file(key) };

      ({ url } = await fx.repository("clusters", {
        "web/deployment.yaml": deployment("web", 2),
        "web/settings.yaml": configMap("settings", { color: "blue" }),
      }));
      // The token cluster goes through the proxy (the outage test closes it); the certificate one
      // straight to the apiserver, registered with Argo CD's label as a migrated Secret would be.
      await createSecret(
        clusterSecret("second", {
          name: "second",
          server: `https://127.0.0.1:${proxy.port}`,
          config: { bearerToken: token, tlsClientConfig: { caData } },
        }),
      );
      await createSecret(
        clusterSecret(
          "second-cert",
          { name: "second-cert", server: directServer, config: { tlsClientConfig: { caData, ...cert } } },
          { "argocd.argoproj.io/secret-type": "cluster", env: "test" },
        ),
      );
    },
    { timeout: 300_000 },
  );
  after(async () => {
    await fx?.stop();
    await proxy?.close();
    for (const p of proxies) await p.close();
    await cp2?.stop();
    if (tmp) await fs.rm(tmp, { recursive: true, force: true });
  });

  test("both clusters connect (bearer token, client certificate) and report their version", async () => {
    await waitCluster("second", "Successful");
    await waitCluster("second-cert", "Successful");
    await waitCluster("in-cluster", "Successful");
    const version = await remote.raw.request<{ gitVersion: string }>({ method: "GET", path: "/version" });
    assert.equal(clusterState("second")?.serverVersion, version.gitVersion);
    // kubectl get secret -o yaml shows it: the status annotation on the cluster Secret.
    const annotated = await waitFor(
      "status annotation",
      async () => {
        const s = await secrets().readNamespacedSecret({
          name: "second-cert",
          namespace: fx.systemNamespace,
        });
        const text = s.metadata?.annotations?.[CLUSTER_STATUS_ANNOTATION];
        const state = text ? (JSON.parse(text) as Record<string, string>) : undefined;
        return state?.["status"] === "Successful" ? state : undefined;
      },
      { timeoutMs: WAIT },
    );
    assert.equal(annotated["serverVersion"], version.gitVersion);
    assert.ok(annotated["checkedAt"]);
    assert.doesNotMatch(JSON.stringify(fx.lines), new RegExp(token.slice(-20)), "the token is never logged");
  });

  test("one repository deployed to both control planes; drift reverted on each", async () => {
    const localNs = await fx.namespace("clusters-local");
    await fx.createApp("web-local", spec({ server: IN_CLUSTER, namespace: localNs }));
    await fx.createApp("web-remote", spec({ name: "second", namespace: "web-remote" }));
    await fx.waitApp("web-local", "Synced", synced, WAIT);
    await fx.waitApp("web-remote", "Synced", synced, WAIT);
    assert.equal(await replicas(remote, "web-remote"), 2, "the Deployment is on the second cluster");
    assert.equal(await replicas(clients(), localNs), 2, "and on the first");
    assert.ok(
      await isGone(() => clients().core.readNamespace({ name: "web-remote" })),
      "not on the first cluster",
    );
    assert.ok(await isGone(() => remote.core.readNamespace({ name: localNs })), "not on the second cluster");

    await scale(remote, "web-remote", 5);
    await waitReplicas(remote, "web-remote", 2);
    await scale(clients(), localNs, 7);
    await waitReplicas(clients(), localNs, 2);
    assert.equal(await replicas(remote, "web-remote"), 2);
  });

  test("client-certificate cluster by server URL; deleting the app (cascade) deletes on that cluster only", async () => {
    await fx.createApp("web-cert", spec({ server: directServer, namespace: "web-cert" }), [
      CASCADE_FINALIZER,
    ]);
    await fx.waitApp("web-cert", "Synced", synced, WAIT);
    assert.equal(await replicas(remote, "web-cert"), 2);
    await fx.deleteApp("web-cert");
    await waitFor(
      "web-cert deleted on the second cluster",
      () => isGone(() => remote.apps.readNamespacedDeployment({ name: "web", namespace: "web-cert" })),
      { timeoutMs: WAIT },
    );
    assert.equal(await replicas(remote, "web-remote"), 2, "the other app's objects on that cluster stay");
  });

  test("API, CLI: GET /api/v1/clusters and tether cluster list show name, server, status, version", async () => {
    const api = createApi({
      clients: clients(),
      auth: false,
      systemNamespace: fx.systemNamespace,
      uiDir: false,
    });
    const { items } = (await (await api.request("/api/v1/clusters")).json()) as ClusterList;
    const byName = new Map(items.map((c) => [c.name, c]));
    assert.equal(items[0]?.name, "in-cluster");
    assert.equal(byName.get("in-cluster")?.status, "Successful");
    assert.equal(byName.get("second")?.status, "Successful");
    assert.equal(byName.get("second")?.server, `https://127.0.0.1:${proxy.port}`);
    assert.match(byName.get("second")?.serverVersion ?? "", /^v1\./);
    assert.deepEqual(byName.get("second-cert")?.labels, { env: "test" });
    assert.doesNotMatch(JSON.stringify(items), /bearerToken|keyData|BEGIN/, "no credentials in the view");
    // The resource tree and diff of an app on the second cluster are read from that cluster.
    const tree = (await (
      await api.request(`/api/v1/applications/${fx.appNs}/web-remote/resource-tree`)
    ).json()) as ResourceTree;
    const web = tree.nodes.find((n) => n.kind === "Deployment" && n.name === "web");
    assert.equal(web?.namespace, "web-remote");
    assert.notEqual(web?.health.status, "Missing", JSON.stringify(web));
    assert.ok(
      web?.children.some((c) => c.kind === "ReplicaSet"),
      "live children from the second cluster",
    );
    const diff = await api.request(`/api/v1/applications/${fx.appNs}/web-remote/diff`);
    assert.equal(diff.status, 200);
    // Creating an app for a cluster the API does not know: 422 naming the field.
    const refused = await api.request("/api/v1/applications", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        metadata: { name: "nowhere", namespace: fx.appNs },
        spec: spec({ name: "nowhere", namespace: "x" }),
      }),
    });
    assert.equal(refused.status, 422);
    assert.match(await refused.text(), /spec\.destination\.name/);

    const cli = (args: string[]) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        const env = { ...process.env, TETHER_CONFIG: path.join(tmp, "cli.json") };
        const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], {
          cwd: root,
          env,
        });
        let stdout = "";
        let stderr = "";
        child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
        child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
        child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
      });
    const flags = ["--core", "--kubeconfig", testEnv.kubeconfig, "--system-namespace", fx.systemNamespace];
    const table = await cli(["cluster", "list", ...flags]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^NAME\s+SERVER\s+STATUS\s+VERSION\s+MESSAGE/);
    assert.match(table.stdout, /\nsecond\s+https:\/\/127\.0\.0\.1:\d+\s+Successful\s+v1\./);
    const json = await cli(["cluster", "list", ...flags, "-o", "json"]);
    assert.equal(json.code, 0, json.stderr);
    assert.deepEqual(
      (JSON.parse(json.stdout) as ClusterList).items.map((c) => c.name),
      ["in-cluster", "second", "second-cert"],
    );
  });

  test("wrong credentials: cluster Failed (401), the app's condition names it; a rotated Secret recovers", async () => {
    // Its own proxy: a server URL of its own, so it is a cluster of its own.
    const wrongProxy = new TcpProxy(Number(new URL(directServer).port));
    await wrongProxy.open();
    proxies.push(wrongProxy);
    const server = `https://127.0.0.1:${wrongProxy.port}`;
    await createSecret(
      clusterSecret("wrong", {
        name: "wrong-creds",
        server,
        config: { bearerToken: "not-a-valid-token", tlsClientConfig: { caData } },
      }),
    );
    await waitCluster("wrong-creds", "Failed");
    assert.match(clusterState("wrong-creds")?.message ?? "", /401 Unauthorized/);
    await fx.createApp("web-wrong", spec({ name: "wrong-creds", namespace: "web-wrong" }));
    const app = await fx.waitApp(
      "web-wrong",
      "ClusterUnreachable",
      (a) => condition(a, "ComparisonError")?.reason === "ClusterUnreachable",
      WAIT,
    );
    assert.match(
      condition(app, "ComparisonError")?.message ?? "",
      /cluster "wrong-creds" \(https:\/\/127\.0\.0\.1:\d+\) is not reachable: .*401/,
    );
    assert.ok(await isGone(() => remote.core.readNamespace({ name: "web-wrong" })), "nothing applied");

    // Rotation: the same Secret with a valid token, picked up without a restart.
    await secrets().replaceNamespacedSecret({
      name: "wrong",
      namespace: fx.systemNamespace,
      body: clusterSecret("wrong", {
        name: "wrong-creds",
        server,
        config: { bearerToken: token, tlsClientConfig: { caData } },
      }),
    });
    await waitCluster("wrong-creds", "Successful");
    await fx.waitApp("web-wrong", "Synced after rotation", synced, WAIT);
    assert.equal(await replicas(remote, "web-wrong"), 2);
  });

  test("second control plane unreachable: condition names it, nothing pruned anywhere, recovers when it is back", async () => {
    const localNs = (await fx.readApp("web-local")).spec.destination.namespace ?? "";
    await proxy.close();
    await waitCluster("second", "Failed");
    const down = await fx.waitApp(
      "web-remote",
      "ClusterUnreachable",
      (a) => condition(a, "ComparisonError")?.reason === "ClusterUnreachable",
      WAIT,
    );
    assert.match(
      condition(down, "ComparisonError")?.message ?? "",
      /cluster "second" \(https:\/\/127\.0\.0\.1:\d+\) is not reachable/,
    );
    // Drift made meanwhile (straight to the apiserver) waits for the cluster to come back.
    await scale(remote, "web-remote", 4);
    await fx.refresh("web-remote");
    assert.equal(await replicas(remote, "web-remote"), 4);
    assert.ok(
      (await remote.core.readNamespacedConfigMap({ name: "settings", namespace: "web-remote" })).data,
      "not pruned on cluster 2",
    );
    assert.ok(
      (await clients().core.readNamespacedConfigMap({ name: "settings", namespace: localNs })).data,
      "not pruned on cluster 1",
    );
    assert.ok(synced(await fx.readApp("web-local")), "the in-cluster app is unaffected");

    await proxy.open();
    await waitCluster("second", "Successful");
    await fx.waitApp("web-remote", "Synced after the outage", synced, WAIT);
    await waitReplicas(remote, "web-remote", 2);
  });

  test("a deleted cluster Secret: InvalidSpec naming spec.destination.name, nothing pruned; recreated, it syncs again", async () => {
    const saved = await secrets().readNamespacedSecret({ name: "second", namespace: fx.systemNamespace });
    await secrets().deleteNamespacedSecret({ name: "second", namespace: fx.systemNamespace });
    const app = await fx.waitApp(
      "web-remote",
      "InvalidSpec",
      (a) => Boolean(condition(a, "InvalidSpec")),
      WAIT,
    );
    assert.match(
      condition(app, "InvalidSpec")?.message ?? "",
      /spec\.destination\.name "second": no cluster of that name is registered/,
    );
    assert.equal(await replicas(remote, "web-remote"), 2, "objects on the removed cluster are left alone");
    assert.ok(
      (await remote.core.readNamespacedConfigMap({ name: "settings", namespace: "web-remote" })).data,
    );

    await createSecret({
      metadata: { name: "second", namespace: fx.systemNamespace, labels: saved.metadata?.labels ?? {} },
      data: saved.data ?? {},
    });
    await fx.waitApp("web-remote", "Synced with the cluster back", synced, WAIT);
    await scale(remote, "web-remote", 3);
    await waitReplicas(remote, "web-remote", 2);
  });
});
