// Rolling sync on the real control plane: apps labelled env=dev|staging|prod sync step by step,
// each step only once every app of the earlier steps is Synced and Healthy — on creation and again
// when Git changes. The order is read from the apps' own operation timestamps.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { GitWorkspace } from "../../src/localcluster/gitrepo.js";
import type { Application } from "../../src/model/application.js";
import type { ControllerFixture } from "../helpers/app.js";
import { configMap, IN_CLUSTER, startControllerFixture } from "../helpers/app.js";
import { allSyncedHealthy, appSets, names, setCondition } from "../helpers/appset.js";

const ENVS = ["dev", "staging", "prod"] as const;

describe("applicationsets: rolling sync", () => {
  let fx: ControllerFixture;
  let sets: ReturnType<typeof appSets>;
  let dest: string;
  let url: string;
  let ws: GitWorkspace;

  before(async () => {
    fx = await startControllerFixture("appset-roll");
    sets = appSets(fx);
    dest = await fx.namespace("appset-roll-dest");
    ({ url, ws } = await fx.repository(
      "web",
      Object.fromEntries(
        ENVS.map((env) => [`envs/${env}/cm.yaml`, configMap(`web-${env}`, { version: "1" })]),
      ),
    ));
  });
  after(() => fx?.stop());

  /** Each step's operation started after the previous step's finished. */
  function assertOrder(apps: Application[], revision: string): void {
    const op = (env: string) => apps.find((a) => a.metadata.name === `web-${env}`)?.status?.operationState;
    for (const env of ENVS) assert.equal(op(env)?.revision, revision, `web-${env} synced ${revision}`);
    for (const [earlier, later] of [
      ["dev", "staging"],
      ["staging", "prod"],
    ] as const) {
      const finished = op(earlier)?.finishedAt ?? "";
      const started = op(later)?.startedAt ?? "";
      assert.ok(
        finished && started && finished <= started,
        `web-${later} started (${started}) after web-${earlier} finished (${finished})`,
      );
    }
  }

  test("steps dev → staging → prod sync in order, on creation and after a Git change", async () => {
    await sets.create("web", {
      generators: [{ list: { elements: ENVS.map((env) => ({ env })) } }],
      strategy: {
        type: "RollingSync",
        rollingSync: {
          steps: ENVS.map((env) => ({
            matchExpressions: [{ key: "env", operator: "In" as const, values: [env] }],
          })),
        },
      },
      template: {
        metadata: { name: "web-{{env}}", labels: { env: "{{env}}" } },
        spec: {
          source: { repoURL: url, targetRevision: "main", path: "envs/{{env}}" },
          destination: { server: IN_CLUSTER, namespace: dest },
          syncPolicy: { automated: { prune: true, selfHeal: true } },
        },
      },
    });
    let apps = await sets.waitApps(
      "web",
      "all three Synced and Healthy",
      (a) => a.length === 3 && allSyncedHealthy(a),
      90_000,
    );
    assert.deepEqual(names(apps), ["web-dev", "web-prod", "web-staging"]);
    for (const app of apps)
      assert.equal(app.spec.syncPolicy?.automated, undefined, "automated sync is the rollout's job");
    assertOrder(apps, apps[0]?.status?.sync?.revision ?? "");
    const set = await sets.wait(
      "web",
      "rollout complete",
      (s) => setCondition(s, "RolloutProgressing")?.status === "False",
    );
    assert.deepEqual(
      set.status?.applicationStatus?.map((s) => [s.application, s.step, s.status]),
      [
        ["web-dev", "1", "Healthy"],
        ["web-prod", "3", "Healthy"],
        ["web-staging", "2", "Healthy"],
      ],
    );

    // A new commit for every env: the apps see it (OutOfSync) but only the rollout syncs them, in order.
    const commit = await ws.commitAndPush(
      Object.fromEntries(
        ENVS.map((env) => [`envs/${env}/cm.yaml`, configMap(`web-${env}`, { version: "2" })]),
      ),
      "version 2",
    );
    apps = await sets.waitApps(
      "web",
      "all three synced again at the new commit",
      (a) =>
        a.length === 3 &&
        allSyncedHealthy(a) &&
        a.every((app) => app.status?.operationState?.revision === commit),
      90_000,
    );
    assertOrder(apps, commit);
  });
});
