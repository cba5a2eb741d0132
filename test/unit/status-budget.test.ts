import assert from "node:assert/strict";
import { test } from "node:test";
import {
  AUTHOR_BYTES,
  COMMIT_BODY_BYTES,
  STATUS_BUDGET_BYTES,
  SUBJECT_BYTES,
  fitRevisionInfo,
  fitStatus,
  statusBytes,
  truncateCommitMessage,
  truncateText,
} from "../../src/engine/status/budget.js";
import type { ApplicationStatus, HistoryEntry } from "../../src/model/application.js";

const bytes = (s: string | undefined) => Buffer.byteLength(s ?? "");

test("truncateText: short text unchanged; long text cut to the limit with a marker; idempotent", () => {
  assert.equal(truncateText("hello", 10), "hello");
  const cut = truncateText("x".repeat(10_000), 100);
  assert.ok(bytes(cut) <= 100, `${bytes(cut)} bytes`);
  assert.match(cut, /^x+ … \[truncated: 10000 bytes\]$/);
  assert.equal(truncateText(cut, 100), cut);
});

test("truncateText never splits a character (multi-byte and surrogate pairs)", () => {
  for (const unit of ["é", "€", "😀"]) {
    const cut = truncateText(unit.repeat(5_000), 101);
    assert.ok(bytes(cut) <= 101);
    assert.ok(!cut.includes("\uFFFD"));
    assert.equal(Buffer.from(cut, "utf8").toString("utf8"), cut, `${unit}: valid UTF-8`);
    assert.match(cut, new RegExp(`^(${unit})+ … \\[truncated: ${bytes(unit.repeat(5_000))} bytes\\]$`, "u"));
  }
});

test("a 1 MB commit message keeps its subject plus 2 KiB; a 100 KB author is cut; both marked", () => {
  const message = `Subject line\n\n${"body ".repeat(210_000)}`;
  const info = fitRevisionInfo({
    revision: "abc",
    author: `${"A".repeat(100_000)} <a@example.com>`,
    message,
  });
  assert.ok(info.message?.startsWith("Subject line\n\nbody body"));
  assert.ok(bytes(info.message) <= "Subject line".length + 1 + COMMIT_BODY_BYTES);
  assert.match(info.message ?? "", /\[truncated: 1050014 bytes\]$/);
  assert.ok(bytes(info.author) <= AUTHOR_BYTES);
  assert.match(info.author ?? "", /^A+ … \[truncated: 100016 bytes\]$/);
  assert.deepEqual(fitRevisionInfo(info), info, "idempotent");
  const oneLine = truncateCommitMessage("s".repeat(1_000_000));
  assert.ok(bytes(oneLine) <= SUBJECT_BYTES + 1 + COMMIT_BODY_BYTES);
  assert.equal(truncateCommitMessage(oneLine), oneLine);
  const normal = "Fix the thing\n\nA paragraph that explains why.";
  assert.equal(truncateCommitMessage(normal), normal);
});

test("fitStatus: caps every text, drops old history first to fit the budget, and is idempotent", () => {
  const huge = "v".repeat(200_000);
  const entry = (id: number): HistoryEntry => ({
    id,
    revision: `r${id}`,
    deployedAt: "2026-12-07T00:00:00Z",
    result: "Succeeded",
    initiatedBy: "auto",
    message: huge,
    author: huge,
    source: { repoURL: "http://git/repo.git", path: "chart", helm: { values: huge } },
  });
  const status: ApplicationStatus = {
    sync: { status: "Synced", revision: "r10" },
    conditions: [
      { type: "SyncError", status: "True", reason: "SyncFailed", message: huge, lastTransitionTime: "t" },
    ],
    resources: [{ group: "", version: "v1", kind: "ConfigMap", name: "c", status: "Synced", message: huge }],
    operationState: {
      phase: "Failed",
      revision: "r10",
      startedAt: "t",
      initiatedBy: "auto",
      message: huge,
      results: [{ ref: { group: "", kind: "ConfigMap", name: "c" }, action: "failed", message: huge }],
    },
    history: Array.from({ length: 10 }, (_, i) => entry(i + 1)),
    revisionInfo: { revision: "r10", message: huge, author: huge },
  };
  const fitted = fitStatus(status);
  assert.ok(statusBytes(fitted) <= STATUS_BUDGET_BYTES, `${statusBytes(fitted)} bytes`);
  assert.equal(fitted.history?.at(-1)?.id, 10, "the newest history entry stays");
  assert.ok((fitted.history?.length ?? 0) >= 1 && (fitted.history?.length ?? 0) < 10);
  assert.ok(bytes(fitted.conditions?.[0]?.message) <= 4096);
  assert.ok(bytes(fitted.resources?.[0]?.message) <= 1024);
  assert.ok(bytes(fitted.operationState?.message) <= 4096);
  assert.ok(bytes(fitted.revisionInfo?.author) <= AUTHOR_BYTES);
  assert.deepEqual(fitStatus(fitted), fitted, "idempotent");
  const small: ApplicationStatus = {
    sync: { status: "Synced" },
    history: [entry(1)].map((h) => ({ ...h, message: "m", author: "a", source: { repoURL: "r" } })),
  };
  assert.deepEqual(fitStatus(small), small, "a small status is unchanged");
});

test("fitStatus: a budget too small even for one entry drops results, diffs and sources, never the newest entry", () => {
  const status: ApplicationStatus = {
    resources: Array.from({ length: 50 }, (_, i) => ({
      group: "",
      version: "v1",
      kind: "ConfigMap",
      name: `c${i}`,
      status: "OutOfSync" as const,
      diff: ["/data/a", "/data/b"],
    })),
    operationState: {
      phase: "Succeeded",
      revision: "r",
      startedAt: "t",
      initiatedBy: "auto",
      results: Array.from({ length: 50 }, (_, i) => ({
        ref: { group: "", kind: "ConfigMap", name: `c${i}` },
        action: "configured",
      })),
    },
    history: [1, 2].map((id) => ({
      id,
      revision: "r",
      deployedAt: "t",
      result: "Succeeded" as const,
      initiatedBy: "auto" as const,
      source: { repoURL: "r", helm: { values: "x".repeat(3000) } },
    })),
  };
  const fitted = fitStatus(status, 3_000);
  assert.deepEqual(
    fitted.history?.map((h) => [h.id, h.source]),
    [[2, undefined]],
  );
  assert.deepEqual(fitted.operationState?.results, []);
  assert.ok(fitted.resources?.every((r) => r.diff === undefined));
  assert.equal(fitted.resources?.length, 50, "the inventory is never dropped");
});
