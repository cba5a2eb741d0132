// Cluster Secrets (Argo CD's format): parsing, the client configuration built from them, the views
// the API shows, destination validation against the registered clusters, and `tether cluster list`.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { V1Secret } from "@kubernetes/client-node";
import { parse as parseYaml } from "yaml";
import { clusterViewsOf, stateFromAnnotation } from "../../src/api/clusters.js";
import type { ClusterView } from "../../src/api/types.js";
import { formatClusters } from "../../src/cli/cluster/format.js";
import { isClusterSecret, kubeConfigForCluster, parseClusterSecret } from "../../src/kube/clusters.js";
import { CLUSTER_STATUS_ANNOTATION } from "../../src/model/contract.js";
import type { Application } from "../../src/model/application.js";
import { destinationProblem, validateApplication } from "../../src/engine/validate.js";

const b64 = (s: string) => Buffer.from(s).toString("base64");
const PEM = b64("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");

function secret(
  data: Record<string, string>,
  labels: Record<string, string> = { "tether.dev/secret-type": "cluster" },
  annotations?: Record<string, string>,
): V1Secret {
  return {
    metadata: { name: "prod", namespace: "tether-system", labels, ...(annotations ? { annotations } : {}) },
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])),
  };
}

describe("parseClusterSecret", () => {
  test("Argo CD's format: name, server, config with bearer token and TLS; labels kept, type label dropped", () => {
    const config = {
      bearerToken: "tok",
      tlsClientConfig: { caData: PEM, insecure: false, serverName: "api.prod" },
    };
    const parsed = parseClusterSecret(
      secret(
        { name: "prod", server: "https://prod.example:6443/", config: JSON.stringify(config) },
        { "argocd.argoproj.io/secret-type": "cluster", env: "prod" },
      ),
    );
    assert.ok(parsed.ok);
    assert.equal(parsed.cluster.name, "prod");
    assert.equal(parsed.cluster.server, "https://prod.example:6443", "trailing slash trimmed");
    assert.deepEqual(parsed.cluster.labels, { env: "prod" });
    assert.equal(parsed.cluster.credentials.bearerToken, "tok");
    assert.equal(parsed.cluster.credentials.tlsClientConfig?.serverName, "api.prod");
    assert.equal(parsed.cluster.secret, "tether-system/prod");
  });

  test("stringData (as written by kubectl apply before the server converts it) is read too", () => {
    const parsed = parseClusterSecret({
      metadata: { name: "s", namespace: "n" },
      stringData: { server: "https://x", config: "{}" },
    });
    assert.ok(parsed.ok);
    assert.equal(parsed.cluster.name, "https://x", "the name defaults to the server");
  });

  test("mistakes name the Secret and the key", () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ name: "a", config: "{}" }, /tether-system\/prod: data\.server is required/],
      [{ server: "not a url" }, /data\.server "not a url" is not a URL/],
      [{ server: "ftp://x" }, /must be https/],
      [{ server: "https://x", config: "{bearerToken" }, /data\.config is not JSON/],
      [{ server: "https://x", config: "[]" }, /data\.config must be a JSON object/],
      [
        { server: "https://x", config: JSON.stringify({ tlsClientConfig: { certData: PEM } }) },
        /needs both certData and keyData/,
      ],
      [
        { server: "https://x", config: JSON.stringify({ tlsClientConfig: { caData: "%%%" } }) },
        /tlsClientConfig\.caData must be base64/,
      ],
    ];
    for (const [data, expected] of cases) {
      const parsed = parseClusterSecret(secret(data));
      assert.equal(parsed.ok, false, JSON.stringify(data));
      if (!parsed.ok) assert.match(parsed.message, expected);
    }
  });

  test("isClusterSecret: either label with value cluster", () => {
    assert.ok(isClusterSecret(secret({})));
    assert.ok(isClusterSecret(secret({}, { "argocd.argoproj.io/secret-type": "cluster" })));
    assert.ok(!isClusterSecret(secret({}, { "tether.dev/secret-type": "repository" })));
  });
});

describe("kubeConfigForCluster", () => {
  test("bearer token, CA, server name", () => {
    const parsed = parseClusterSecret(
      secret({
        server: "https://a:6443",
        config: JSON.stringify({ bearerToken: "t", tlsClientConfig: { caData: PEM, serverName: "api" } }),
      }),
    );
    assert.ok(parsed.ok);
    const config = kubeConfigForCluster(parsed.cluster);
    assert.equal(config.getCurrentCluster()?.server, "https://a:6443");
    assert.equal(config.getCurrentCluster()?.caData, PEM);
    assert.equal(config.getCurrentCluster()?.tlsServerName, "api");
    assert.equal(config.getCurrentCluster()?.skipTLSVerify, false);
    assert.equal(config.getCurrentUser()?.token, "t");
  });

  test("client certificate; insecure; basic auth", () => {
    const parsed = parseClusterSecret(
      secret({
        server: "https://a",
        config: JSON.stringify({
          username: "u",
          password: "p",
          tlsClientConfig: { certData: PEM, keyData: PEM, insecure: true },
        }),
      }),
    );
    assert.ok(parsed.ok);
    const config = kubeConfigForCluster(parsed.cluster);
    assert.equal(config.getCurrentUser()?.certData, PEM);
    assert.equal(config.getCurrentUser()?.keyData, PEM);
    assert.equal(config.getCurrentUser()?.username, "u");
    assert.equal(config.getCurrentCluster()?.skipTLSVerify, true);
  });
});

describe("cluster views (API)", () => {
  test("the controller's annotation gives status, version and check time; never credentials", () => {
    const status = JSON.stringify({
      status: "Failed",
      message: "GET /version: 401 Unauthorized",
      serverVersion: "v1.33.0",
      checkedAt: "2026-01-01T00:00:00.000Z",
    });
    const views = clusterViewsOf([
      secret(
        { name: "prod", server: "https://prod", config: JSON.stringify({ bearerToken: "secret-token" }) },
        { "tether.dev/secret-type": "cluster", env: "prod" },
        { [CLUSTER_STATUS_ANNOTATION]: status },
      ),
    ]);
    assert.deepEqual(views, [
      {
        name: "prod",
        server: "https://prod",
        status: "Failed",
        message: "GET /version: 401 Unauthorized",
        serverVersion: "v1.33.0",
        checkedAt: "2026-01-01T00:00:00.000Z",
        labels: { env: "prod" },
        secret: "tether-system/prod",
      },
    ]);
    assert.doesNotMatch(JSON.stringify(views), /secret-token/);
  });

  test("not checked yet, or an unreadable annotation: Unknown; an invalid Secret: Failed with why", () => {
    assert.equal(stateFromAnnotation(undefined).status, "Unknown");
    assert.match(stateFromAnnotation("{").message, /not JSON/);
    const [view] = clusterViewsOf([secret({ config: "{}" })]);
    assert.equal(view?.status, "Failed");
    assert.match(view?.message ?? "", /data\.server is required/);
  });
});

describe("destination validation with registered clusters", () => {
  const clusters = [{ name: "prod", server: "https://prod.example:6443" }];
  const options = { localServers: ["https://127.0.0.1:6443"], clusters };
  test("in-cluster, the local server, and registered clusters by name or server are accepted", () => {
    for (const d of [
      {},
      { server: "https://kubernetes.default.svc" },
      { name: "in-cluster" },
      { server: "https://127.0.0.1:6443/" },
      { name: "prod" },
      { server: "https://prod.example:6443" },
      { name: "prod", server: "https://prod.example:6443" },
    ])
      assert.equal(destinationProblem(d, options), undefined, JSON.stringify(d));
  });
  test("unknown clusters and contradictions name the field", () => {
    assert.match(
      destinationProblem({ name: "staging" }, options) ?? "",
      /^spec\.destination\.name "staging": no cluster of that name is registered \(known: "in-cluster", "prod"\)/,
    );
    assert.match(
      destinationProblem({ server: "https://x" }, options) ?? "",
      /^spec\.destination\.server "https:\/\/x": no cluster with that URL/,
    );
    assert.match(
      destinationProblem({ name: "in-cluster", server: "https://prod.example:6443" }, options) ?? "",
      /name different clusters/,
    );
    const app = {
      metadata: { name: "a", namespace: "apps" },
      spec: { source: { repoURL: "https://git/x" }, destination: { name: "staging", namespace: "web" } },
    } as unknown as Application;
    assert.match(
      validateApplication(app, options).join(";"),
      /Application apps\/a: spec\.destination\.name "staging"/,
    );
  });
});

describe("tether cluster list output", () => {
  const items: ClusterView[] = [
    {
      name: "in-cluster",
      server: "https://kubernetes.default.svc",
      status: "Successful",
      serverVersion: "v1.33.1",
      checkedAt: "2026-01-01T00:00:00Z",
    },
    {
      name: "prod",
      server: "https://prod:6443",
      status: "Failed",
      message: "GET /version: ECONNREFUSED",
      labels: { env: "prod" },
      secret: "tether-system/prod",
    },
  ];
  test("table, wide, json, yaml", () => {
    assert.equal(
      formatClusters(items, "table"),
      [
        "NAME         SERVER                           STATUS       VERSION   MESSAGE",
        "in-cluster   https://kubernetes.default.svc   Successful   v1.33.1",
        "prod         https://prod:6443                Failed                 GET /version: ECONNREFUSED",
        "",
      ].join("\n"),
    );
    assert.match(
      formatClusters(items, "wide"),
      /^NAME\s+SERVER\s+STATUS\s+VERSION\s+CHECKED\s+SECRET\s+LABELS\s+MESSAGE\n/,
    );
    assert.match(formatClusters(items, "wide"), /tether-system\/prod\s+env=prod/);
    assert.deepEqual(JSON.parse(formatClusters(items, "json")), { items });
    assert.deepEqual(parseYaml(formatClusters(items, "yaml")), { items });
  });
});
