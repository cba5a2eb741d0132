// The apply and prune actions of a sync step (src/engine/apply/objects.ts) against a fake
// ResourceWriter: the change set says created / configured / unchanged / deleted / kept / failed,
// failures carry a reason code, and a failure that stops the run (the fence) is rethrown.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { KubernetesObject } from "@kubernetes/client-node";
import { applyObjects, PRUNE_OFF, pruneObjects } from "../../src/engine/apply/objects.js";
import type { ApplyTarget, ResourceWriter } from "../../src/engine/apply/writer.js";
import { ApplyError } from "../../src/engine/errors.js";
import { parseSyncOptions } from "../../src/engine/status/syncoptions.js";

class Stop extends Error {}
class Refused extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function fakeWriter(
  server: Map<string, KubernetesObject>,
  fail: (o: KubernetesObject, force: boolean) => Error | undefined,
): ResourceWriter {
  const key = (o: { kind?: string; metadata?: { name?: string } }) => `${o.kind}/${o.metadata?.name}`;
  return {
    apply(object, { force }) {
      const error = fail(object, force);
      if (error) return Promise.reject(error);
      const before = server.get(key(object));
      const same =
        before && JSON.stringify(before.metadata?.labels) === JSON.stringify(object.metadata?.labels);
      const rv = same
        ? before.metadata?.resourceVersion
        : String(Number(before?.metadata?.resourceVersion ?? 0) + 1);
      const stored = { ...object, metadata: { ...object.metadata, resourceVersion: rv } };
      server.set(key(object), stored);
      return Promise.resolve(stored);
    },
    replace: (object) => Promise.resolve(object),
    read: (ref) => Promise.resolve(server.get(`${ref.kind}/${ref.name}`)),
    remove(ref) {
      if (ref.name === "stuck") return Promise.reject(new Refused(403, "forbidden"));
      if (ref.name === "fenced") return Promise.reject(new Stop("fenced"));
      return Promise.resolve(server.delete(`${ref.kind}/${ref.name}`) ? "deleted" : "absent");
    },
    waitEstablished: () => Promise.resolve(),
    fieldManager: "tether",
    statusOf: (e) => (e instanceof Refused ? e.status : undefined),
    messageOf: (e) => (e instanceof Error ? e.message : String(e)),
    stopsRun: (e) => e instanceof Stop,
  };
}

const cm = (name: string, labels: Record<string, string> = {}): ApplyTarget => {
  const object = { apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: "n", labels } };
  return { key: `/ConfigMap/n/${name}`, apiVersion: "v1", kind: "ConfigMap", namespace: "n", name, object };
};
const options = parseSyncOptions(undefined).options;

test("created, configured and unchanged: unchanged when the server kept the resourceVersion", async () => {
  const server = new Map<string, KubernetesObject>();
  const writer = fakeWriter(server, () => undefined);
  const first = await applyObjects(writer, [{ desired: cm("a"), exists: false }], options, () => undefined);
  assert.deepEqual(
    first.map((e) => e.action),
    ["created"],
  );
  const live = (d: ApplyTarget) => server.get(`ConfigMap/${d.name}`);
  const again = await applyObjects(writer, [{ desired: cm("a"), exists: true }], options, live);
  assert.deepEqual(
    again.map((e) => e.action),
    ["unchanged"],
  );
  const changed = await applyObjects(writer, [{ desired: cm("a", { v: "2" }), exists: true }], options, live);
  assert.deepEqual(
    changed.map((e) => e.action),
    ["configured"],
  );
});

test("a conflict with another Apply manager fails the object with FieldOwnershipConflict; an imperative one is forced", async () => {
  const conflict = (manager: string) => (_o: KubernetesObject, force: boolean) =>
    force
      ? undefined
      : new Refused(409, `Apply failed with 1 conflict: conflict with "${manager}" using v1: .data.v`);
  const managed = (manager: string, operation: string) => () =>
    ({ metadata: { managedFields: [{ manager, operation }], resourceVersion: "0" } }) as KubernetesObject;
  const disputed = await applyObjects(
    fakeWriter(new Map(), conflict("flux")),
    [{ desired: cm("a"), exists: true }],
    options,
    managed("flux", "Apply"),
  );
  assert.equal(disputed[0]?.action, "failed");
  assert.equal(disputed[0]?.reason, "FieldOwnershipConflict");
  assert.match(
    disputed[0]?.message ?? "",
    /fields are owned by flux \(server-side apply\); set syncOptions Force=true/,
  );
  const imperative = await applyObjects(
    fakeWriter(new Map(), conflict("kubectl")),
    [{ desired: cm("a"), exists: true }],
    options,
    managed("kubectl", "Update"),
  );
  assert.equal(imperative[0]?.action, "configured");
  assert.ok(new ApplyError("ApplyFailed", "x").stage === "apply");
});

test("any other apply failure is ApplyFailed; a run-stopping error is rethrown", async () => {
  const failed = await applyObjects(
    fakeWriter(new Map(), () => new Refused(422, "invalid")),
    [{ desired: cm("a"), exists: false }],
    options,
    () => undefined,
  );
  assert.deepEqual(
    [failed[0]?.action, failed[0]?.reason, failed[0]?.message],
    ["failed", "ApplyFailed", "invalid"],
  );
  await assert.rejects(
    applyObjects(
      fakeWriter(new Map(), () => new Stop("fenced")),
      [{ desired: cm("a"), exists: false }],
      options,
      () => undefined,
    ),
    Stop,
  );
});

test("prune: deleted, already gone, kept with PruneDisabled when prune is off, failed with PruneFailed", async () => {
  const server = new Map<string, KubernetesObject>([["ConfigMap/old", cm("old").object]]);
  const decision = (name: string) => ({
    object: cm(name).object,
    action: "delete" as const,
    reason: "no longer in Git",
  });
  const writer = fakeWriter(server, () => undefined);
  const pruned = await pruneObjects(writer, [decision("old"), decision("gone"), decision("stuck")], true);
  assert.deepEqual(pruned.map((e) => [e.name, e.action, e.reason]).sort(), [
    ["gone", "deleted", "AlreadyGone"],
    ["old", "deleted", "Pruned"],
    ["stuck", "failed", "PruneFailed"],
  ]);
  const kept = await pruneObjects(writer, [decision("x")], false);
  assert.deepEqual(
    [kept[0]?.action, kept[0]?.reason, kept[0]?.message],
    ["kept", "PruneDisabled", PRUNE_OFF],
  );
  await assert.rejects(pruneObjects(writer, [decision("fenced")], true), Stop);
});
