// Sync windows on the real control plane, with windows computed from the current time (a deny
// window that opened a minute ago, an allow window that opens in hours) rather than sleeping.
// A closed window blocks automated syncs and self-heal, the app still shows OutOfSync, and a
// SyncWindowClosed condition names the window and when it opens; a manual sync request is
// honoured only if the window allows manual syncs, and otherwise stays pending, not lost.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { AppProject, AppProjectSpec, SyncWindow } from "../../src/model/appproject.js";
import { waitFor } from "../../src/lib/wait.js";
import type { ControllerFixture } from "../helpers/app.js";
import { condition, configMap, IN_CLUSTER, startControllerFixture } from "../helpers/app.js";
import { clients, uniqueName } from "../helpers/environment.js";

const PROJECTS = { group: "tether.dev", version: "v1alpha1", plural: "appprojects" } as const;

/** A daily UTC cron firing `offsetMinutes` from now (floored to the minute). */
function dailyAt(offsetMinutes: number): string {
  const at = new Date(Date.now() + offsetMinutes * 60_000);
  return `${at.getUTCMinutes()} ${at.getUTCHours()} * * *`;
}
const denyNow = (extra: Partial<SyncWindow> = {}): SyncWindow => ({
  kind: "deny",
  schedule: dailyAt(-1),
  duration: "2h",
  applications: ["*"],
  ...extra,
});

describe("controller: sync windows", () => {
  let fx: ControllerFixture;
  let systemNs: string;

  before(async () => {
    fx = await startControllerFixture("ctl-windows");
    systemNs = fx.controller.systemNamespace;
  });
  after(() => fx?.stop());

  const base = (ns: string): AppProjectSpec => ({
    sourceNamespaces: ["*"],
    sourceRepos: ["*"],
    destinations: [{ server: "*", namespace: ns }],
  });
  const createProject = (name: string, spec: AppProjectSpec) =>
    clients().custom.createNamespacedCustomObject({
      ...PROJECTS,
      namespace: systemNs,
      body: { apiVersion: "tether.dev/v1alpha1", kind: "AppProject", metadata: { name }, spec },
    });
  const setWindows = async (name: string, syncWindows: SyncWindow[]) => {
    const live = (await clients().custom.getNamespacedCustomObject({
      ...PROJECTS,
      namespace: systemNs,
      name,
    })) as AppProject;
    await clients().custom.replaceNamespacedCustomObject({
      ...PROJECTS,
      namespace: systemNs,
      name,
      body: { ...live, spec: { ...live.spec, syncWindows } },
    });
  };
  const cmData = (name: string, namespace: string) =>
    clients()
      .core.readNamespacedConfigMap({ name, namespace })
      .then(
        (c) => c.data,
        () => undefined,
      );
  const pending = (a: { metadata: { annotations?: Record<string, string> } }) =>
    "tether.dev/sync" in (a.metadata.annotations ?? {});

  test("an active deny window blocks the automated sync; the condition names it and when it opens; an active allow window lets it sync", async () => {
    const ns = await fx.namespace("ctl-win-deny");
    const { url } = await fx.repository("deny", { "cfg/cm.yaml": configMap("settings", { a: "1" }) });
    const project = uniqueName("windows-deny");
    const window = denyNow();
    await createProject(project, { ...base(ns), syncWindows: [window] });
    await fx.createApp("denied", {
      project,
      source: { repoURL: url, targetRevision: "main", path: "cfg" },
      destination: { server: IN_CLUSTER, namespace: ns },
      syncPolicy: { automated: { prune: true, selfHeal: true } },
    });
    const app = await fx.waitApp(
      "denied",
      "SyncWindowClosed",
      (a) => Boolean(condition(a, "SyncWindowClosed")) && a.status?.sync?.status === "OutOfSync",
    );
    const message = condition(app, "SyncWindowClosed")?.message ?? "";
    assert.match(
      message,
      new RegExp(
        `project "${project}": deny window spec\\.syncWindows\\[0\\] \\(deny "${window.schedule.replace(/\*/g, "\\*")}" for 2h\\) is active`,
      ),
    );
    const opens = /automated syncs wait until (\S+);/.exec(message)?.[1] ?? "";
    const expectedOpen = Date.now() + 2 * 3_600_000;
    assert.ok(
      Math.abs(Date.parse(opens) - expectedOpen) < 3 * 60_000,
      `opens at ${opens}, about two hours from now`,
    );
    assert.match(message, /manual syncs are refused too/);
    assert.equal(await cmData("settings", ns), undefined, "nothing applied");
    assert.equal(app.status?.history, undefined);

    // An allow window that is active (and no deny) lets it through, promptly on the project change.
    await setWindows(project, [{ kind: "allow", schedule: dailyAt(-1), duration: "2h", namespaces: [ns] }]);
    await fx.waitApp(
      "denied",
      "Synced",
      (a) => a.status?.sync?.status === "Synced" && !condition(a, "SyncWindowClosed"),
    );
    assert.deepEqual(await cmData("settings", ns), { a: "1" });

    // An allow window that opens only in three hours closes it again: a new commit waits.
    await setWindows(project, [
      { kind: "allow", schedule: dailyAt(180), duration: "1h", applications: ["denied"] },
    ]);
    const closed = await fx.waitApp("denied", "closed outside the allow window", (a) =>
      Boolean(condition(a, "SyncWindowClosed")),
    );
    assert.match(condition(closed, "SyncWindowClosed")?.message ?? "", /no allow window is active/);
  });

  test("a manual sync request in a closed window stays pending with a condition; with manualSync it goes through", async () => {
    const ns = await fx.namespace("ctl-win-manual");
    const { url } = await fx.repository("manual", { "cfg/cm.yaml": configMap("settings", { a: "1" }) });
    const project = uniqueName("windows-manual");
    await createProject(project, { ...base(ns), syncWindows: [denyNow()] });
    await fx.createApp("manual", {
      project,
      source: { repoURL: url, targetRevision: "main", path: "cfg" },
      destination: { server: IN_CLUSTER, namespace: ns },
    });
    const first = await fx.waitApp("manual", "compared", (a) => a.status?.sync?.status === "OutOfSync");

    await fx.annotate("manual", { "tether.dev/sync": "true" });
    const refused = await fx.waitApp("manual", "request reported pending", (a) =>
      /manual sync request stays pending/.test(condition(a, "SyncWindowClosed")?.message ?? ""),
    );
    assert.ok(pending(refused), "the request annotation is kept");
    // A later reconcile (a refresh) still keeps it: the request is not swallowed.
    const later = await fx.refresh("manual");
    assert.ok((later.status?.reconciledAt ?? "") > (first.status?.reconciledAt ?? ""));
    assert.ok(pending(later), "still pending after another reconcile");
    assert.equal(later.status?.history, undefined);
    assert.equal(await cmData("settings", ns), undefined);

    await setWindows(project, [denyNow({ manualSync: true })]);
    const synced = await fx.waitApp(
      "manual",
      "the pending manual sync ran",
      (a) => a.status?.sync?.status === "Synced" && !pending(a),
    );
    assert.equal(synced.status?.history?.at(-1)?.initiatedBy, "manual");
    assert.match(
      condition(synced, "SyncWindowClosed")?.message ?? "",
      /manual syncs are allowed \(manualSync\)/,
    );
    assert.deepEqual(await cmData("settings", ns), { a: "1" });
  });

  test("self-heal is blocked while a deny window is active; the drift is corrected once it is gone", async () => {
    const ns = await fx.namespace("ctl-win-heal");
    const { url } = await fx.repository("heal", { "cfg/cm.yaml": configMap("settings", { a: "1" }) });
    const project = uniqueName("windows-heal");
    await createProject(project, base(ns));
    await fx.createApp("heal", {
      project,
      source: { repoURL: url, targetRevision: "main", path: "cfg" },
      destination: { server: IN_CLUSTER, namespace: ns },
      syncPolicy: { automated: { prune: true, selfHeal: true } },
    });
    await fx.waitApp("heal", "Synced", (a) => a.status?.sync?.status === "Synced");

    await setWindows(project, [denyNow({ namespaces: [ns], applications: [] })]);
    await fx.waitApp("heal", "SyncWindowClosed", (a) => Boolean(condition(a, "SyncWindowClosed")));
    await clients().core.patchNamespacedConfigMap({
      name: "settings",
      namespace: ns,
      body: [{ op: "replace", path: "/data/a", value: "drifted" }],
    });
    const drifted = await fx.waitApp(
      "heal",
      "OutOfSync (drift seen, not healed)",
      (a) => a.status?.sync?.status === "OutOfSync",
    );
    assert.equal(drifted.status?.history?.length, 1);
    assert.deepEqual(await cmData("settings", ns), { a: "drifted" }, "self-heal did not run");

    await setWindows(project, []);
    await fx.waitApp(
      "heal",
      "healed",
      (a) => a.status?.sync?.status === "Synced" && !condition(a, "SyncWindowClosed"),
    );
    await waitFor("drift corrected", async () => (await cmData("settings", ns))?.["a"] === "1", {
      timeoutMs: 10_000,
    });
  });
});
