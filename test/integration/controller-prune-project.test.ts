// Issue 17, item 6, as it was found: ownership marks are only a claim. An object in team-b-prod
// carrying Tether's label and a tracking id naming a team-a app (whose project allows only
// team-a-*) must survive that app's prune and its cascade delete, and the app must say why.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { waitFor } from "../../src/lib/wait.js";
import { MANAGED_LABEL, TRACKING_ANNOTATION } from "../../src/model/contract.js";
import type { Application } from "../../src/model/application.js";
import type { ControllerFixture } from "../helpers/app.js";
import { condition, configMap, IN_CLUSTER, isGone, startControllerFixture } from "../helpers/app.js";
import { clients, uniqueName } from "../helpers/environment.js";

const PROJECTS = { group: "tether.dev", version: "v1alpha1", plural: "appprojects" } as const;
const NOT_PERMITTED =
  /^not permitted by project "team-a-[0-9a-f]+": namespace team-b-prod-[0-9a-f]+ is not permitted by spec\.destinations$/;

describe("controller: prune and cascade delete stay inside the project", () => {
  let fx: ControllerFixture;

  before(async () => {
    fx = await startControllerFixture("ctl-prune-proj");
  });
  after(() => fx?.stop());

  const readCm = (name: string, namespace: string) =>
    clients().core.readNamespacedConfigMap({ name, namespace });
  const events = async (app: string) =>
    (
      await clients().core.listNamespacedEvent({
        namespace: fx.appNs,
        fieldSelector: `involvedObject.name=${app}`,
      })
    ).items;

  test("a forged object in team-b-prod with a team-a app's marks survives its prune and its cascade delete", async () => {
    const project = uniqueName("team-a");
    await clients().custom.createNamespacedCustomObject({
      ...PROJECTS,
      namespace: fx.systemNamespace,
      body: {
        apiVersion: "tether.dev/v1alpha1",
        kind: "AppProject",
        metadata: { name: project },
        spec: {
          sourceNamespaces: [fx.appNs],
          sourceRepos: ["*"],
          destinations: [{ server: IN_CLUSTER, namespace: "team-a-*" }],
        },
      },
    });
    const web = await fx.namespace("team-a-web");
    const victimNs = await fx.namespace("team-b-prod");
    const { url, ws } = await fx.repository("prune-proj", {
      "app/settings.yaml": configMap("settings", { a: "1" }),
      "app/old.yaml": configMap("old", { a: "1" }),
    });
    await fx.createApp(
      "web",
      {
        project,
        source: { repoURL: url, targetRevision: "main", path: "app" },
        destination: { server: IN_CLUSTER, namespace: web },
        syncPolicy: { automated: { prune: true } },
      },
      ["tether.dev/resources-finalizer"],
    );
    await fx.waitApp("web", "Synced", (a) => a.status?.sync?.status === "Synced");

    // The attacker's object: team-b's ConfigMap, marked as if the team-a app had applied it.
    const key = `${fx.appNs}/web`;
    const forged = { [TRACKING_ANNOTATION]: `${key}:/ConfigMap:${victimNs}/victim-config` };
    await clients().core.createNamespacedConfigMap({
      namespace: victimNs,
      body: {
        metadata: {
          name: "victim-config",
          labels: { [MANAGED_LABEL]: fx.controller.installationId },
          annotations: forged,
        },
        data: { secret: "team-b" },
      },
    });

    // The app's next sync prunes (old.yaml left Git): its own object goes, the forged one stays.
    await ws.commitAndPush({ "app/old.yaml": null }, "drop old");
    const refused = (a: Application) => a.status?.resources?.find((r) => r.name === "victim-config");
    const app = await fx.waitApp(
      "web",
      "pruned old, refused victim-config",
      (a) =>
        a.status?.sync?.status === "Synced" &&
        !a.status.resources?.some((r) => r.name === "old") &&
        refused(a) !== undefined,
      60_000,
    );
    assert.ok(await isGone(() => readCm("old", web)), "the app's own leftover is pruned");
    assert.equal(
      (await readCm("victim-config", victimNs)).data?.["secret"],
      "team-b",
      "the forged object survives",
    );
    assert.equal((await readCm("victim-config", victimNs)).metadata?.deletionTimestamp, undefined);
    assert.match(refused(app)?.message ?? "", NOT_PERMITTED);
    assert.equal(refused(app)?.namespace, victimNs);
    const kept = app.status?.operationState?.results?.find((r) => r.ref.name === "victim-config");
    assert.equal(kept?.action, "kept", "the operation result reports it");
    assert.match(kept?.message ?? "", NOT_PERMITTED);
    assert.match(
      condition(app, "DeletionNotPermitted")?.message ?? "",
      new RegExp(`ConfigMap ${victimNs}/victim-config \\(not permitted by project`),
    );
    await waitFor(
      "DeletionNotPermitted Event",
      async () =>
        (await events("web")).some(
          (e) =>
            e.reason === "DeletionNotPermitted" &&
            e.type === "Warning" &&
            e.message?.includes(`${victimNs}/victim-config`),
        ),
      { timeoutMs: 30_000 },
    );

    // Cascade delete: the app's own objects go, the forged one stays, and an Event names it.
    await fx.deleteApp("web");
    await waitFor("Application gone", () => isGone(() => fx.readApp("web")), { timeoutMs: 60_000 });
    assert.ok(await isGone(() => readCm("settings", web)), "the app's own object is deleted");
    const victim = await readCm("victim-config", victimNs);
    assert.equal(victim.metadata?.deletionTimestamp, undefined, "the forged object is not being deleted");
    assert.equal(victim.data?.["secret"], "team-b");
    const kept2 = (await events("web")).find((e) => e.reason === "ResourcesKept");
    assert.equal(kept2?.type, "Warning");
    assert.match(
      kept2?.message ?? "",
      new RegExp(`ConfigMap ${victimNs}/victim-config: not permitted by project "${project}"`),
    );
  });

  test("cascade delete with the project gone deletes nothing and keeps the finalizer, saying why", async () => {
    const project = uniqueName("team-a");
    await clients().custom.createNamespacedCustomObject({
      ...PROJECTS,
      namespace: fx.systemNamespace,
      body: {
        apiVersion: "tether.dev/v1alpha1",
        kind: "AppProject",
        metadata: { name: project },
        spec: {
          sourceNamespaces: [fx.appNs],
          sourceRepos: ["*"],
          destinations: [{ server: IN_CLUSTER, namespace: "team-a-*" }],
        },
      },
    });
    const web = await fx.namespace("team-a-gone");
    const { url } = await fx.repository("prune-proj-gone", {
      "app/settings.yaml": configMap("settings", { a: "1" }),
    });
    await fx.createApp(
      "orphaned",
      {
        project,
        source: { repoURL: url, targetRevision: "main", path: "app" },
        destination: { server: IN_CLUSTER, namespace: web },
        syncPolicy: { automated: { prune: true } },
      },
      ["tether.dev/resources-finalizer"],
    );
    await fx.waitApp("orphaned", "Synced", (a) => a.status?.sync?.status === "Synced");
    await clients().custom.deleteNamespacedCustomObject({
      ...PROJECTS,
      namespace: fx.systemNamespace,
      name: project,
    });
    await fx.deleteApp("orphaned");
    await waitFor(
      "DeletionBlocked Event",
      async () =>
        (await events("orphaned")).some(
          (e) => e.reason === "DeletionBlocked" && e.message?.includes(`project "${project}"`),
        ),
      { timeoutMs: 30_000 },
    );
    assert.equal((await readCm("settings", web)).metadata?.deletionTimestamp, undefined, "nothing deleted");
    assert.ok((await fx.readApp("orphaned")).metadata.finalizers?.includes("tether.dev/resources-finalizer"));
  });

  test("a hook outside the project is refused: never created there, and BeforeHookCreation never deletes the victim", async () => {
    const project = uniqueName("team-a");
    await clients().custom.createNamespacedCustomObject({
      ...PROJECTS,
      namespace: fx.systemNamespace,
      body: {
        apiVersion: "tether.dev/v1alpha1",
        kind: "AppProject",
        metadata: { name: project },
        spec: {
          sourceNamespaces: [fx.appNs],
          sourceRepos: ["*"],
          destinations: [{ server: IN_CLUSTER, namespace: "team-a-*" }],
        },
      },
    });
    const web = await fx.namespace("team-a-hook");
    const victimNs = await fx.namespace("team-b-prod");
    await clients().core.createNamespacedConfigMap({
      namespace: victimNs,
      body: { metadata: { name: "victim-config" }, data: { secret: "team-b" } },
    });
    const hook = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: victim-config\n  namespace: ${victimNs}\n  annotations:\n    tether.dev/hook: PreSync\n    tether.dev/hook-delete-policy: BeforeHookCreation\ndata:\n  secret: team-a-was-here\n`;
    const { url } = await fx.repository("prune-proj-hook", {
      "app/settings.yaml": configMap("settings", { a: "1" }),
      "app/hook.yaml": hook,
    });
    await fx.createApp("hooked", {
      project,
      source: { repoURL: url, targetRevision: "main", path: "app" },
      destination: { server: IN_CLUSTER, namespace: web },
      syncPolicy: { automated: { prune: true } },
    });
    const app = await fx.waitApp(
      "hooked",
      "ProjectViolation",
      (a) => condition(a, "ProjectViolation") !== undefined,
      60_000,
    );
    assert.match(
      condition(app, "ProjectViolation")?.message ?? "",
      new RegExp(
        `ConfigMap ${victimNs}/victim-config: namespace ${victimNs} is not permitted by spec.destinations`,
      ),
    );
    assert.equal(app.status?.operationState, undefined, "no sync ran");
    const victim = await readCm("victim-config", victimNs);
    assert.equal(victim.data?.["secret"], "team-b");
    assert.equal(victim.metadata?.deletionTimestamp, undefined);
    assert.ok(await isGone(() => readCm("settings", web)), "nothing applied while the gate is closed");
  });
});
