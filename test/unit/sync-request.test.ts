import assert from "node:assert/strict";
import { test } from "node:test";
import { isSelected, parseSyncRequest } from "../../src/engine/status/syncrequest.js";

test("sync request: plain values sync everything; JSON selects prune and resources; bad JSON is invalid", () => {
  assert.deepEqual(parseSyncRequest(undefined), { kind: "none" });
  assert.deepEqual(parseSyncRequest("true"), { kind: "sync" });
  assert.deepEqual(parseSyncRequest('{"prune":true}'), { kind: "sync", prune: true });
  const selective = parseSyncRequest('{"resources":[{"kind":"ConfigMap","name":"a","namespace":"ns"}]}');
  assert.deepEqual(selective, {
    kind: "sync",
    prune: undefined,
    resources: [{ group: undefined, kind: "ConfigMap", namespace: "ns", name: "a" }],
  });
  assert.match(parseSyncRequest("{oops").kind === "invalid" ? "ok" : "", /ok/);
  const bad = parseSyncRequest('{"resources":[{"kind":"ConfigMap"}]}');
  assert.equal(bad.kind, "invalid");
  assert.match(bad.kind === "invalid" ? bad.message : "", /resources\[0\] needs "kind" and "name"/);
  assert.equal(parseSyncRequest('{"prune":"yes"}').kind, "invalid");
});

test("sync request: a plain word, number or timestamp syncs; anything else is refused, not taken as a plain sync", () => {
  for (const plain of ["", "true", "now", "1", " yes ", "2026-12-07T10:00:00Z", "2026-12-07T10:00:00+01:00"])
    assert.deepEqual(parseSyncRequest(plain), { kind: "sync" }, plain);
  for (const garbage of ["garbage{", "[1]", "prune=false", "true false", '"true"', "a".repeat(65)]) {
    const parsed = parseSyncRequest(garbage);
    assert.equal(parsed.kind, "invalid", garbage);
    assert.match(
      parsed.kind === "invalid" ? parsed.message : "",
      /^annotation tether\.dev\/sync: ".*" is neither/,
    );
  }
  const long = parseSyncRequest(`x y ${"z".repeat(500)}`);
  assert.ok(long.kind === "invalid" && long.message.length < 250, "a long value is cut in the message");
});

test("selection matches by group, kind, name and (when given) namespace", () => {
  const sel = [
    { kind: "ConfigMap", name: "a", namespace: "ns" },
    { group: "apps", kind: "Deployment", name: "web" },
  ];
  assert.equal(isSelected(undefined, { group: "", kind: "Secret", name: "x" }), true);
  assert.equal(isSelected(sel, { group: "", kind: "ConfigMap", namespace: "ns", name: "a" }), true);
  assert.equal(isSelected(sel, { group: "", kind: "ConfigMap", namespace: "other", name: "a" }), false);
  assert.equal(isSelected(sel, { group: "apps", kind: "Deployment", namespace: "any", name: "web" }), true);
  assert.equal(isSelected(sel, { group: "", kind: "Deployment", namespace: "any", name: "web" }), false);
});

test("sync request: an unknown key, at the top or in a resource, is refused instead of running a full sync (found by hostile testing)", () => {
  for (const value of [
    '{"prune":true,"resource":[{"kind":"ConfigMap","name":"a"}]}',
    '{"prune":true,"dryRun":true}',
    '{"__proto__":{"x":1}}',
    '{"resources":[{"kind":"ConfigMap","name":"a","nmespace":"ns"}]}',
    "[true]",
    "{}x",
  ]) {
    const parsed = parseSyncRequest(value);
    assert.equal(parsed.kind, "invalid", value);
  }
  const typo = parseSyncRequest('{"prune":true,"resource":[]}');
  assert.match(
    typo.kind === "invalid" ? typo.message : "",
    /unknown key "resource" \(known: "prune", "resources"\)/,
  );
  assert.deepEqual(parseSyncRequest("{}"), { kind: "sync", prune: undefined });
});
