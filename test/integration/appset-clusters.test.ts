// ApplicationSets over cluster Secrets (Argo CD's format, both labels), and the matrix and merge
// generators. Both cluster Secrets point at the local apiserver under different names and labels.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { ControllerFixture } from "../helpers/app.js";
import { configMap, startControllerFixture } from "../helpers/app.js";
import { allSyncedHealthy, appSets, names, setCondition } from "../helpers/appset.js";
import { clients } from "../helpers/environment.js";

describe("applicationsets: clusters, matrix and merge generators", () => {
  let fx: ControllerFixture;
  let sets: ReturnType<typeof appSets>;
  let dest: string;
  let url: string;
  let server: string;

  before(async () => {
    fx = await startControllerFixture("appset-clu");
    sets = appSets(fx);
    dest = await fx.namespace("appset-clu-dest");
    server = clients().config.getCurrentCluster()?.server ?? "";
    ({ url } = await fx.repository("addons", {
      "envs/staging/cm.yaml": configMap("addons-staging", { env: "staging" }),
      "envs/prod/cm.yaml": configMap("addons-prod", { env: "prod" }),
      "apps/api/cm.yaml": configMap("api", { app: "api" }),
      "apps/web/cm.yaml": configMap("web", { app: "web" }),
    }));
    const secret = (name: string, typeLabel: string, env: string) =>
      clients().core.createNamespacedSecret({
        namespace: fx.systemNamespace,
        body: {
          metadata: {
            name,
            labels: { [typeLabel]: "cluster", env },
            annotations: { "example.com/owner": `team-${env}` },
          },
          stringData: { name, server, config: JSON.stringify({ tlsClientConfig: { insecure: false } }) },
        },
      });
    await secret("alpha", "tether.dev/secret-type", "staging");
    await secret("beta", "argocd.argoproj.io/secret-type", "prod");
  });
  after(() => fx?.stop());

  test("clusters: one app per selected cluster Secret, with the Secret's name, server, labels and annotations", async () => {
    await sets.create("clusters", {
      generators: [
        {
          clusters: {
            selector: { matchExpressions: [{ key: "env", operator: "In", values: ["staging", "prod"] }] },
          },
        },
      ],
      template: {
        metadata: {
          name: "{{name}}-addons",
          annotations: { owner: "{{metadata.annotations.example.com/owner}}" },
        },
        spec: {
          source: { repoURL: url, targetRevision: "main", path: "envs/{{metadata.labels.env}}" },
          destination: { server: "{{server}}", namespace: dest },
          syncPolicy: { automated: { prune: true } },
        },
      },
    });
    const apps = await sets.waitApps(
      "clusters",
      "alpha and beta Synced and Healthy",
      (a) => names(a).join() === "alpha-addons,beta-addons" && allSyncedHealthy(a),
    );
    assert.deepEqual(
      apps.map((a) => [a.spec.destination.server, a.spec.source.path, a.metadata.annotations?.["owner"]]),
      [
        [server, "envs/staging", "team-staging"],
        [server, "envs/prod", "team-prod"],
      ],
    );
    await clients().core.readNamespacedConfigMap({ name: "addons-prod", namespace: dest });

    // Relabelling a Secret moves its cluster out of the selection: its app is deleted.
    await clients().core.patchNamespacedSecret({
      name: "beta",
      namespace: fx.systemNamespace,
      body: [{ op: "replace", path: "/metadata/labels/env", value: "retired" }],
    });
    await sets.waitApps("clusters", "beta-addons deleted", (a) => names(a).join() === "alpha-addons", 30_000);
    await clients().core.patchNamespacedSecret({
      name: "beta",
      namespace: fx.systemNamespace,
      body: [{ op: "replace", path: "/metadata/labels/env", value: "prod" }],
    });
    await sets.remove("clusters");
  });

  test("matrix: Git directories × clusters, synced", async () => {
    await sets.create("matrix", {
      generators: [
        {
          matrix: {
            generators: [
              { git: { repoURL: url, revision: "main", directories: [{ path: "apps/*" }] } },
              { clusters: { selector: { matchLabels: { env: "staging" } } } },
            ],
          },
        },
      ],
      template: {
        metadata: {
          name: "{{path.basename}}-{{name}}",
          labels: { app: "{{path.basename}}", cluster: "{{name}}" },
        },
        spec: {
          source: { repoURL: url, targetRevision: "main", path: "{{path}}" },
          destination: { server: "{{server}}", namespace: dest },
          syncPolicy: { automated: { prune: true } },
        },
      },
    });
    await sets.waitApps(
      "matrix",
      "api-alpha and web-alpha Synced and Healthy",
      (a) => names(a).join() === "api-alpha,web-alpha" && allSyncedHealthy(a),
    );
  });

  test("merge: clusters as the base, a list overriding one cluster's parameter", async () => {
    await sets.create("merge", {
      generators: [
        {
          merge: {
            mergeKeys: ["name"],
            generators: [
              {
                clusters: {
                  selector: { matchExpressions: [{ key: "env", operator: "Exists" }] },
                  values: { tier: "standard" },
                },
              },
              {
                list: {
                  elements: [
                    { name: "beta", "values.tier": "gold" },
                    { name: "nowhere", "values.tier": "x" },
                  ],
                },
              },
            ],
          },
        },
      ],
      template: {
        metadata: { name: "merged-{{name}}", labels: { tier: "{{values.tier}}" } },
        spec: {
          source: { repoURL: url, targetRevision: "main", path: "envs/{{metadata.labels.env}}" },
          destination: { server: "{{server}}", namespace: dest },
        },
      },
    });
    const apps = await sets.waitApps(
      "merge",
      "merged-alpha and merged-beta",
      (a) => names(a).join() === "merged-alpha,merged-beta",
    );
    assert.deepEqual(
      apps.map((a) => a.metadata.labels?.["tier"]),
      ["standard", "gold"],
    );
    const set = await sets.wait(
      "merge",
      "parameters generated",
      (s) => setCondition(s, "ParametersGenerated")?.status === "True",
    );
    assert.equal(setCondition(set, "ErrorOccurred")?.status, "False");
  });
});
