import assert from "node:assert/strict";
import { test } from "node:test";
import { pruneCandidates, refusedDeletions, reportedDecisions } from "../../src/engine/prune/candidates.js";
import { defaultProjectSpec } from "../../src/model/appproject.js";
import { placementOf } from "../../src/engine/policy/project.js";
import type { KubeObject } from "../../src/model/ref.js";
import { isOwnedBy, trackedApp, withOwnershipMarks } from "../../src/engine/prune/ownership.js";

const app = "tether/hello";
const install = "inst-1";
const everything = {
  apiVersion: "tether.dev/v1alpha1" as const,
  kind: "AppProject" as const,
  metadata: { name: "default" },
  spec: defaultProjectSpec(),
};
const project = {
  name: "default",
  project: everything,
  placement: placementOf({ namespace: "web" }, "tether"),
};
const obj = (kind: string, name: string, extra: Partial<KubeObject["metadata"]> = {}): KubeObject => ({
  apiVersion: kind === "Deployment" ? "apps/v1" : "v1",
  kind,
  metadata: { name, namespace: "web", ...extra },
});

test("ownership marks: owned only with this installation and a tracking id naming the object itself", () => {
  const marked = withOwnershipMarks(obj("Service", "web"), app, install);
  assert.equal(isOwnedBy(marked, app, install), true);
  assert.equal(trackedApp(marked), app);
  assert.equal(isOwnedBy(marked, "tether/other", install), false, "another app");
  assert.equal(isOwnedBy(marked, app, "inst-2"), false, "another installation");
  const copied = { ...marked, metadata: { ...marked.metadata, name: "copy" } };
  assert.equal(isOwnedBy(copied, app, install), false, "annotation copied onto another object");
});

test("prune candidates: only owned objects that left Git; Prune=false and namespaces kept", () => {
  const keep = withOwnershipMarks(obj("Deployment", "web"), app, install);
  const gone = withOwnershipMarks(obj("Service", "web"), app, install);
  const optOut = withOwnershipMarks(
    obj("ConfigMap", "pinned", { annotations: { "tether.dev/sync-options": "Prune=false" } }),
    app,
    install,
  );
  const ns = withOwnershipMarks(
    { apiVersion: "v1", kind: "Namespace", metadata: { name: "web" } },
    app,
    install,
  );
  const foreign = obj("Secret", "unowned");
  const otherApp = withOwnershipMarks(obj("ConfigMap", "theirs"), "tether/other", install);
  const decisions = pruneCandidates({
    app,
    installationId: install,
    desired: [keep],
    live: [keep, gone, optOut, ns, foreign, otherApp, gone],
    project,
  });
  assert.deepEqual(
    decisions.map((d) => [d.object.kind, d.object.metadata?.name, d.action]),
    [
      ["Service", "web", "delete"],
      ["ConfigMap", "pinned", "keep"],
      ["Namespace", "web", "keep"],
    ],
  );
});

test("prune candidates: an object already being deleted is kept and reported, not deleted again", () => {
  const deleting = withOwnershipMarks(obj("ConfigMap", "stuck"), app, install);
  (deleting.metadata as Record<string, unknown>)["deletionTimestamp"] = "2026-11-24T09:00:00Z";
  (deleting.metadata as Record<string, unknown>)["finalizers"] = ["example.com/never-clears"];
  const [decision, ...rest] = pruneCandidates({
    app,
    installationId: install,
    desired: [],
    live: [deleting],
    project,
  });
  assert.equal(rest.length, 0);
  assert.equal(decision?.action, "keep");
  assert.equal(
    decision?.reason,
    "being deleted since 2026-11-24T09:00:00Z; waiting on finalizers: example.com/never-clears",
  );
});

test("refused deletions: one line naming each object the project refuses, none when there is none", () => {
  const victim = withOwnershipMarks(obj("ConfigMap", "victim", { namespace: "team-b-prod" }), app, install);
  const narrow = {
    ...everything,
    spec: { ...everything.spec, destinations: [{ server: "*", namespace: "web" }] },
  };
  const decisions = pruneCandidates({
    app,
    installationId: install,
    desired: [],
    live: [victim],
    project: { ...project, name: "team-a", project: narrow },
  });
  assert.equal(decisions[0]?.action, "keep");
  assert.equal(
    refusedDeletions(decisions),
    '1 object(s) carry this application\'s marks but are outside its project, so they are never pruned or deleted: ConfigMap team-b-prod/victim (not permitted by project "team-a": namespace team-b-prod is not permitted by spec.destinations)',
  );
  assert.equal(
    refusedDeletions(pruneCandidates({ app, installationId: install, desired: [], live: [victim], project })),
    undefined,
  );
});

test("forged marks on many objects: all kept, only the first 20 named in status and messages", () => {
  const narrow = {
    ...everything,
    spec: { ...everything.spec, destinations: [{ server: "*", namespace: "web" }] },
  };
  const forged = Array.from({ length: 500 }, (_, i) =>
    withOwnershipMarks(obj("ConfigMap", `f${i}`, { namespace: "team-b-prod" }), app, install),
  );
  const mine = withOwnershipMarks(obj("ConfigMap", "mine"), app, install);
  const decisions = pruneCandidates({
    app,
    installationId: install,
    desired: [],
    live: [...forged, mine],
    project: { ...project, name: "team-a", project: narrow },
  });
  assert.equal(decisions.filter((d) => d.action === "delete").length, 1);
  assert.equal(decisions.filter((d) => d.action === "keep").length, 500);
  assert.equal(reportedDecisions(decisions).length, 21);
  assert.match(refusedDeletions(decisions) ?? "", /^500 object\(s\) .*; and 480 more$/);
});

test("cascade: Delete=false and Namespaces are kept before anything else (never waited for while being deleted)", () => {
  const pinned = withOwnershipMarks(
    obj("ConfigMap", "pinned", { annotations: { "tether.dev/sync-options": "Delete=false" } }),
    app,
    install,
  );
  (pinned.metadata as Record<string, unknown>)["deletionTimestamp"] = "2026-11-24T09:00:00Z";
  const [decision] = pruneCandidates({
    app,
    installationId: install,
    desired: [],
    live: [pinned],
    project,
    purpose: "cascade",
  });
  assert.equal(decision?.reason, "annotated Delete=false");
});
