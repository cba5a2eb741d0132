// The per-resource annotation tether.dev/sync-options: what Tether acts on, and a clear problem for
// every entry it would otherwise ignore (a misspelt Prune=false must not let the object be pruned).
import assert from "node:assert/strict";
import { test } from "node:test";
import { resourceSyncOptionProblems, resourceSyncOptions } from "../../src/engine/prune/ownership.js";

const annotated = (value: string) => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name: "a", annotations: { "tether.dev/sync-options": value } },
});

test("known options in any value case are read; spaces and empty entries are fine", () => {
  const object = annotated(" Prune=False, Delete=false,,Replace=TRUE ,ServerSideApply=true");
  assert.deepEqual(resourceSyncOptionProblems(object), []);
  assert.deepEqual(
    [...resourceSyncOptions(object)],
    ["Prune=false", "Delete=false", "Replace=true", "ServerSideApply=true"],
  );
  assert.deepEqual(
    resourceSyncOptionProblems({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "b" } }),
    [],
  );
});

test("every unknown name, bad value or garbage entry is a problem naming the annotation and the entry", () => {
  const problems = resourceSyncOptionProblems(
    annotated("Prune=flase,garbage,prune=false,Replace,ServerSideApply=false,constructor=true,__proto__=x"),
  );
  assert.equal(problems.length, 7);
  assert.match(
    problems[0] ?? "",
    /^annotation tether\.dev\/sync-options: "Prune=flase" is not an option \(known: Prune=true, Prune=false, /,
  );
  assert.match(problems[1] ?? "", /"garbage" is not an option/);
  assert.match(problems[2] ?? "", /"prune=false"/, "names are case-sensitive, as Argo CD's");
  assert.match(problems[5] ?? "", /"constructor=true"/);
  const long = resourceSyncOptionProblems(annotated(`X=${"y".repeat(1000)}`));
  assert.ok((long[0]?.length ?? 0) < 300, "a long entry is cut in the message");
});
