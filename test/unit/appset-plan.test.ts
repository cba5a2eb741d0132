// Desired Applications and the changes to reach them: owner references, the cascade finalizer per
// preserveResourcesOnDeletion, applicationsSync policies, kept annotations, apps owned by others.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  desiredApplications,
  planApplications,
  updatedApplication,
} from "../../src/engine/appset/applications.js";
import { CASCADE_FINALIZER } from "../../src/model/contract.js";
import type { Application } from "../../src/model/application.js";
import type { ApplicationSet } from "../../src/model/applicationset.js";

const set = (spec: Partial<ApplicationSet["spec"]> = {}): ApplicationSet => ({
  apiVersion: "tether.dev/v1alpha1",
  kind: "ApplicationSet",
  metadata: { name: "web", namespace: "apps", uid: "u1" },
  spec: {
    generators: [],
    template: {
      metadata: { name: "web-{{env}}", labels: { env: "{{env}}" } },
      spec: {
        source: { repoURL: "https://git.example.com/r.git", path: "{{env}}" },
        destination: { namespace: "{{env}}" },
      },
    },
    ...spec,
  },
});
const params = (...envs: string[]) => envs.map((env) => ({ params: { env } }));
const live = (app: Application, extra: Partial<Application["metadata"]> = {}): Application => ({
  ...app,
  metadata: { ...app.metadata, resourceVersion: "1", ...extra },
  status: { sync: { status: "Synced" } },
});

test("generated apps carry the set's label, a controller owner reference and the cascade finalizer", () => {
  const [app] = desiredApplications(set(), params("dev"));
  assert.equal(app?.metadata.name, "web-dev");
  assert.equal(app?.metadata.namespace, "apps");
  assert.deepEqual(app?.metadata.labels, { env: "dev", "tether.dev/application-set": "web" });
  assert.deepEqual(app?.metadata.finalizers, [CASCADE_FINALIZER]);
  assert.deepEqual(app?.metadata.ownerReferences, [
    {
      apiVersion: "tether.dev/v1alpha1",
      kind: "ApplicationSet",
      name: "web",
      uid: "u1",
      controller: true,
      blockOwnerDeletion: true,
    },
  ]);
  const [kept] = desiredApplications(
    set({ syncPolicy: { preserveResourcesOnDeletion: true } }),
    params("dev"),
  );
  assert.deepEqual(kept?.metadata.finalizers, []);
});

test("invalid and duplicate names and a foreign namespace are template errors", () => {
  assert.throws(() => desiredApplications(set(), params("Dev_1")), /template\.metadata\.name: "web-Dev_1"/);
  assert.throws(
    () => desiredApplications(set(), params("a", "a")),
    /parameter sets 1 and 2 both render "web-a"/,
  );
  const other = set();
  other.spec.template.metadata.namespace = "elsewhere";
  assert.throws(() => desiredApplications(other, params("a")), /template\.metadata\.namespace/);
});

test("create, update and delete match the generators; unchanged apps are left alone", () => {
  const s = set();
  const [dev, prod] = desiredApplications(s, params("dev", "prod")) as [Application, Application];
  const stale = desiredApplications(s, params("old"))[0] as Application;
  const changedSpec = { ...prod, spec: { ...prod.spec, source: { ...prod.spec.source, path: "moved" } } };
  const changes = planApplications(s, [dev, prod], [live(dev), live(changedSpec), live(stale)]);
  assert.deepEqual(changes.create, []);
  assert.deepEqual(
    changes.update.map((u) => u.next.spec.source.path),
    ["prod"],
  );
  assert.deepEqual(
    changes.delete.map((a) => a.metadata.name),
    ["web-old"],
  );
});

test("applicationsSync policies restrict what the controller may do", () => {
  const cases = {
    "create-only": [1, 0, 0],
    "create-update": [1, 1, 0],
    "create-delete": [1, 0, 1],
    sync: [1, 1, 1],
  } as const;
  for (const [policy, [creates, updates, deletes]] of Object.entries(cases)) {
    const s = set({ syncPolicy: { applicationsSync: policy as "sync" } });
    const [dev, prod] = desiredApplications(s, params("dev", "prod")) as [Application, Application];
    const stale = desiredApplications(s, params("old"))[0] as Application;
    const changes = planApplications(
      s,
      [dev, prod],
      [live({ ...prod, spec: { ...prod.spec, project: "x" } }), live(stale)],
    );
    assert.deepEqual(
      [changes.create.length, changes.update.length, changes.delete.length],
      [creates, updates, deletes],
      policy,
    );
  }
});

test("apps controlled by another owner and apps being deleted are not touched", () => {
  const s = set();
  const [dev] = desiredApplications(s, params("dev")) as [Application];
  const foreign = live({
    ...dev,
    metadata: {
      ...dev.metadata,
      name: "web-x",
      ownerReferences: [
        { apiVersion: "v1", kind: "ApplicationSet", name: "other", uid: "u2", controller: true },
      ],
    },
  });
  const deleting = live(
    { ...dev, spec: { ...dev.spec, project: "x" } },
    { deletionTimestamp: "2025-01-01T00:00:00Z" },
  );
  const changes = planApplications(s, [dev], [foreign, deleting]);
  assert.deepEqual([changes.create.length, changes.update.length, changes.delete.length], [0, 0, 0]);
});

test("an update keeps request annotations and preserved fields, and drops the cascade finalizer when preserving", () => {
  const s = set({
    syncPolicy: { preserveResourcesOnDeletion: true },
    preservedFields: { annotations: ["team/owner"], labels: ["kept"] },
  });
  const [desired] = desiredApplications(s, params("dev")) as [Application];
  const current = live(desired, {
    annotations: { "tether.dev/sync": "true", "team/owner": "me", stray: "x" },
    labels: { kept: "1", stray: "y", env: "old" },
    finalizers: [CASCADE_FINALIZER],
  });
  const next = updatedApplication(current, desired, s);
  assert.deepEqual(next.metadata.annotations, { "tether.dev/sync": "true", "team/owner": "me" });
  assert.deepEqual(next.metadata.labels, { kept: "1", env: "dev", "tether.dev/application-set": "web" });
  assert.deepEqual(next.metadata.finalizers, []);
  assert.equal(next.metadata.resourceVersion, "1");
});
