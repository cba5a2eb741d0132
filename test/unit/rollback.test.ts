import assert from "node:assert/strict";
import { test } from "node:test";
import type { ApplicationStatus } from "../../src/model/application.js";
import { decideRollback } from "../../src/engine/status/rollback.js";

const now = new Date("2026-01-01T00:00:00Z");
const entry = (id: number, revision: string) => ({
  id,
  revision,
  deployedAt: now.toISOString(),
  result: "Succeeded" as const,
  initiatedBy: "auto" as const,
});
const status: ApplicationStatus = { history: [entry(1, "a".repeat(40)), entry(2, "b".repeat(40))] };

test("a rollback request by id or SHA prefix pins that entry's revision for this generation", () => {
  const byId = decideRollback({ status, generation: 3, request: "1", now });
  assert.deepEqual(byId, {
    kind: "active",
    requested: true,
    state: { id: 1, revision: "a".repeat(40), generation: 3, requestedAt: now.toISOString() },
  });
  const bySha = decideRollback({ status, generation: 3, request: "bbbbbbb", now });
  assert.equal(bySha.kind === "active" && bySha.state.id, 2);
});

test("an unknown entry is invalid and names the known ones; cancel and a spec change end a rollback", () => {
  const bad = decideRollback({ status, generation: 3, request: "9", now });
  assert.equal(bad.kind, "invalid");
  assert.match(
    bad.kind === "invalid" ? bad.message : "",
    /no such history entry \(known: 1 \(aaaaaaa\), 2 \(bbbbbbb\)\)/,
  );
  const rolledBack = {
    ...status,
    rollback: { id: 1, revision: "a".repeat(40), generation: 3, requestedAt: "x" },
  };
  assert.equal(decideRollback({ status: rolledBack, generation: 3, request: undefined, now }).kind, "active");
  assert.equal(decideRollback({ status: rolledBack, generation: 4, request: undefined, now }).kind, "none");
  assert.equal(decideRollback({ status: rolledBack, generation: 3, request: "cancel", now }).kind, "none");
});
