import assert from "node:assert/strict";
import { test } from "node:test";
import { decideSync } from "../../src/engine/status/syncdecision.js";
import type { OperationState, SyncPolicy } from "../../src/model/application.js";

const op = (phase: OperationState["phase"], revision: string, retryCount = 0): OperationState => ({
  phase,
  revision,
  retryCount,
  startedAt: "t",
  initiatedBy: "auto",
});
const auto: SyncPolicy = { automated: { prune: true } };
const heal: SyncPolicy = { automated: { prune: true, selfHeal: true } };

const cases: [string, Parameters<typeof decideSync>[0], ReturnType<typeof decideSync>["initiatedBy"], boolean?][] = [
  ["manual app, not requested", { policy: undefined, requested: false, outOfSync: true, revision: "b", lastOperation: undefined }, undefined],
  ["manual app, requested", { policy: undefined, requested: true, outOfSync: false, revision: "b", lastOperation: undefined }, "manual"],
  ["automated, new revision", { policy: auto, requested: false, outOfSync: true, revision: "b", lastOperation: op("Succeeded", "a") }, "auto"],
  ["automated, in sync", { policy: heal, requested: false, outOfSync: false, revision: "b", lastOperation: op("Succeeded", "a") }, undefined],
  ["automated without selfHeal leaves drift alone", { policy: auto, requested: false, outOfSync: true, revision: "a", lastOperation: op("Succeeded", "a") }, undefined],
  ["selfHeal corrects drift", { policy: heal, requested: false, outOfSync: true, revision: "a", lastOperation: op("Succeeded", "a") }, "auto", true],
  ["failed at this revision, no retries", { policy: heal, requested: false, outOfSync: true, revision: "a", lastOperation: op("Failed", "a") }, undefined],
  ["failed at this revision, retries left", { policy: { ...heal, retry: { limit: 2 } }, requested: false, outOfSync: true, revision: "a", lastOperation: op("Failed", "a", 1) }, "auto"],
  ["failed at this revision, retries used", { policy: { ...heal, retry: { limit: 2 } }, requested: false, outOfSync: true, revision: "a", lastOperation: op("Failed", "a", 2) }, undefined],
  ["failed at an older revision, new commit", { policy: auto, requested: false, outOfSync: true, revision: "b", lastOperation: op("Failed", "a") }, "auto"],
  ["interrupted mid-sync resumes", { policy: auto, requested: false, outOfSync: true, revision: "a", lastOperation: op("Running", "a") }, "auto"],
]; // prettier-ignore

for (const [name, input, expected, selfHeal] of cases) {
  test(`sync decision: ${name}`, () => {
    const decision = decideSync(input);
    assert.equal(decision.initiatedBy, expected);
    assert.equal(decision.selfHeal, selfHeal ?? false);
  });
}

test("sync decision: a retry counts up from the failed operation", () => {
  const policy = { ...heal, retry: { limit: 3 } };
  assert.equal(decideSync({ policy, requested: false, outOfSync: true, revision: "a", lastOperation: op("Failed", "a", 1) }).retryCount, 2); // prettier-ignore
  assert.equal(decideSync({ policy, requested: false, outOfSync: true, revision: "b", lastOperation: op("Failed", "a", 1) }).retryCount, 0); // prettier-ignore
});
