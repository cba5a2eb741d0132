// ApplicationSets on the real control plane with real Git repositories: the list generator makes
// N synced apps and deleting the set cascades; the Git directories generator follows folders as
// they come and go (resources deleted or kept per preserveResourcesOnDeletion); a broken generator
// keeps every generated app and says which generator failed.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { CASCADE_FINALIZER } from "../../src/model/contract.js";
import type { GitWorkspace } from "../../src/localcluster/gitrepo.js";
import { waitFor } from "../../src/lib/wait.js";
import type { ControllerFixture } from "../helpers/app.js";
import { configMap, IN_CLUSTER, isGone, startControllerFixture } from "../helpers/app.js";
import { allSyncedHealthy, appSets, names, setCondition } from "../helpers/appset.js";
import { clients } from "../helpers/environment.js";

describe("applicationsets: list and Git generators", () => {
  let fx: ControllerFixture;
  let sets: ReturnType<typeof appSets>;
  let dest: string;
  let url: string;
  let ws: GitWorkspace;

  before(async () => {
    fx = await startControllerFixture("appset-gen");
    sets = appSets(fx);
    dest = await fx.namespace("appset-gen-dest");
    ({ url, ws } = await fx.repository("apps", {
      "list/a/cm.yaml": configMap("list-a", { from: "a" }),
      "list/b/cm.yaml": configMap("list-b", { from: "b" }),
      "list/c/cm.yaml": configMap("list-c", { from: "c" }),
      "apps/one/cm.yaml": configMap("dir-one", { from: "one" }),
      "apps/two/cm.yaml": configMap("dir-two", { from: "two" }),
      "apps/skipped/cm.yaml": configMap("dir-skipped", { from: "skipped" }),
    }));
  });
  after(() => fx?.stop());

  const configMapGone = (name: string) =>
    isGone(() => clients().core.readNamespacedConfigMap({ name, namespace: dest }));
  const template = (name: string, path: string) => ({
    metadata: { name, labels: { team: "platform" } },
    spec: {
      source: { repoURL: url, targetRevision: "main", path },
      destination: { server: IN_CLUSTER, namespace: dest },
      syncPolicy: { automated: { prune: true, selfHeal: true } },
    },
  });

  test("list generator: one synced app per element, owned by the set; deleting the set deletes them and their resources", async () => {
    await sets.create("list", {
      generators: [{ list: { elements: [{ item: "a" }, { item: "b" }, { item: "c" }] } }],
      template: template("list-{{item}}", "list/{{ item }}"),
    });
    const apps = await sets.waitApps(
      "list",
      "three Synced and Healthy apps",
      (a) => a.length === 3 && allSyncedHealthy(a),
    );
    assert.deepEqual(names(apps), ["list-a", "list-b", "list-c"]);
    const set = await sets.read("list");
    for (const app of apps) {
      assert.deepEqual(
        app.metadata.ownerReferences?.map((r) => [r.kind, r.name, r.uid, r.controller]),
        [["ApplicationSet", "list", set.metadata.uid, true]],
      );
      assert.deepEqual(app.metadata.finalizers, [CASCADE_FINALIZER]);
      assert.equal(app.metadata.labels?.["team"], "platform");
    }
    for (const item of ["a", "b", "c"]) assert.equal(await configMapGone(`list-${item}`), false);
    await sets.wait(
      "list",
      "no error, resources listed",
      (s) => setCondition(s, "ErrorOccurred")?.status === "False" && s.status?.resources?.length === 3,
    );

    await sets.remove("list");
    await waitFor(
      "the apps and their ConfigMaps to be deleted",
      async () => {
        if ((await sets.generated("list")).length > 0) return false;
        for (const item of ["a", "b", "c"]) if (!(await configMapGone(`list-${item}`))) return false;
        return true;
      },
      { timeoutMs: 60_000 },
    );
  });

  test("git directories: adding a folder adds an app, removing one deletes it (resources deleted, then kept with preserveResourcesOnDeletion)", async () => {
    await sets.create("dirs", {
      generators: [
        {
          git: {
            repoURL: url,
            revision: "main",
            directories: [{ path: "apps/*" }, { path: "apps/skipped", exclude: true }],
          },
        },
      ],
      template: template("dir-{{path.basename}}", "{{path}}"),
    });
    await sets.waitApps(
      "dirs",
      "dir-one and dir-two Synced and Healthy",
      (a) => names(a).join() === "dir-one,dir-two" && allSyncedHealthy(a),
    );

    await ws.commitAndPush({ "apps/three/cm.yaml": configMap("dir-three", { from: "three" }) }, "add three");
    await sets.waitApps(
      "dirs",
      "dir-three added and synced",
      (a) => names(a).join() === "dir-one,dir-three,dir-two" && allSyncedHealthy(a),
    );
    assert.equal(await configMapGone("dir-three"), false);

    // preserveResourcesOnDeletion false (default): the app goes, and its cascade finalizer deletes its ConfigMap.
    await ws.commitAndPush({ "apps/two/cm.yaml": null }, "remove two");
    await sets.waitApps("dirs", "dir-two deleted", (a) => names(a).join() === "dir-one,dir-three");
    await waitFor("dir-two's ConfigMap to be deleted", () => configMapGone("dir-two"), { timeoutMs: 30_000 });

    // preserveResourcesOnDeletion true: the apps lose the cascade finalizer; a removed folder's app goes, its resources stay.
    await sets.patch("dirs", { spec: { syncPolicy: { preserveResourcesOnDeletion: true } } });
    await sets.waitApps("dirs", "cascade finalizers removed", (a) =>
      a.every((app) => !app.metadata.finalizers?.includes(CASCADE_FINALIZER)),
    );
    await ws.commitAndPush({ "apps/three/cm.yaml": null }, "remove three");
    await sets.waitApps("dirs", "dir-three deleted", (a) => names(a).join() === "dir-one");
    assert.equal(await configMapGone("dir-three"), false, "dir-three's ConfigMap is kept");
    assert.equal(await configMapGone("dir-one"), false);
  });

  test("a broken generator (bad repository URL) keeps the generated apps and reports the generator and the error", async () => {
    await sets.wait("dirs", "up to date", (s) => setCondition(s, "ErrorOccurred")?.status === "False");
    const before = names(await sets.generated("dirs"));
    assert.deepEqual(before, ["dir-one"]);
    await sets.patch("dirs", {
      spec: {
        generators: [
          {
            git: {
              repoURL: fx.git.repositoryUrl("no-such-repo"),
              revision: "main",
              directories: [{ path: "apps/*" }],
            },
          },
        ],
      },
    });
    const set = await sets.wait(
      "dirs",
      "ErrorOccurred",
      (s) => setCondition(s, "ErrorOccurred")?.status === "True",
    );
    const error = setCondition(set, "ErrorOccurred");
    assert.match(error?.message ?? "", /^spec\.generators\[0\]\.git: /);
    assert.match(error?.message ?? "", /no-such-repo/);
    // Still there after the controller looked again (it retries at the poll interval).
    const reported = () => fx.lines.filter((l) => l.includes("/dirs: spec.generators[0].git")).length;
    await waitFor("the generator to fail twice", () => reported() >= 2, { timeoutMs: 30_000 });
    const apps = await sets.generated("dirs");
    assert.deepEqual(names(apps), before);
    assert.equal(apps[0]?.metadata.deletionTimestamp, undefined);
    assert.equal(await configMapGone("dir-one"), false);

    // Fixed: the error clears and the apps follow Git again.
    await sets.patch("dirs", {
      spec: {
        generators: [
          {
            git: {
              repoURL: url,
              revision: "main",
              directories: [{ path: "apps/*" }, { path: "apps/skipped", exclude: true }],
            },
          },
        ],
      },
    });
    await sets.wait("dirs", "error cleared", (s) => setCondition(s, "ErrorOccurred")?.status === "False");
  });
});
