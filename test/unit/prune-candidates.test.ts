import assert from "node:assert/strict";
import { test } from "node:test";
import { pruneCandidates } from "../../src/engine/prune/candidates.js";
import type { KubeObject } from "../../src/engine/prune/ownership.js";
import { isOwnedBy, trackedApp, withOwnershipMarks } from "../../src/engine/prune/ownership.js";

const app = "tether/hello";
const install = "inst-1";
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
  });
  assert.equal(rest.length, 0);
  assert.equal(decision?.action, "keep");
  assert.equal(decision?.reason, "being deleted since 2026-11-24T09:00:00Z; waiting on finalizers: example.com/never-clears"); // prettier-ignore
});
