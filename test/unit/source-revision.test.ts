import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { SourceError } from "../../src/engine/errors.js";
import { parseLsRemote } from "../../src/engine/source/lsremote.js";
import { looksLikeSemverRange, planRevision, selectSemverTag } from "../../src/engine/source/revision.js";

const remote = parseLsRemote(
  readFileSync(new URL("../../testdata/source/ls-remote-symref.txt", import.meta.url), "utf8"),
);
const REPO = "https://git.example.com/app.git";
const plan = (rev: string) => planRevision(remote, rev, REPO);
const fails = (rev: string, reason: string) =>
  assert.throws(
    () => plan(rev),
    (e: unknown) => e instanceof SourceError && e.reason === reason && e.message.includes(REPO),
    rev,
  );

test("semver selection picks the highest satisfying tag, with or without a v prefix", () => {
  const tags = ["v1.0.0", "1.1.0", "v1.2.0", "v1.2.9", "v1.10.0", "v2.0.0", "v1.3.0-rc.1", "latest", "v1.2"];
  assert.equal(selectSemverTag(tags, "1.2.*"), "v1.2.9");
  assert.equal(selectSemverTag(tags, ">=1.0.0 <2.0.0"), "v1.10.0", "numeric, not string, ordering");
  assert.equal(selectSemverTag(tags, "^1.2"), "v1.10.0");
  assert.equal(selectSemverTag(tags, "~1.1"), "1.1.0");
  assert.equal(selectSemverTag(tags, ">=3"), undefined);
  assert.equal(selectSemverTag(tags, "1.3.x"), undefined, "pre-releases only when the range names one");
  assert.equal(selectSemverTag(tags, ">=1.3.0-rc.0 <1.4.0"), "v1.3.0-rc.1");
  assert.equal(selectSemverTag(["v1.0.0", "1.0.0"], "1.x"), "1.0.0", "a tie does not depend on order");
  assert.equal(selectSemverTag(["1.0.0", "v1.0.0"], "1.x"), "1.0.0");
});

test("HEAD and an empty revision follow the remote HEAD's branch", () => {
  for (const rev of ["", "HEAD", "  "]) {
    assert.deepEqual(plan(rev), { kind: "ref", ref: "refs/heads/main", commit: "1".repeat(40) });
  }
});

test("branches, tags (annotated tags peeled) and full refs resolve from the snapshot", () => {
  assert.deepEqual(plan("feature/login"), {
    kind: "ref",
    ref: "refs/heads/feature/login",
    commit: "2".repeat(40),
  });
  assert.deepEqual(plan("v1.2.0"), { kind: "ref", ref: "refs/tags/v1.2.0", commit: "5".repeat(40) });
  assert.deepEqual(plan("refs/tags/1.0.0"), { kind: "ref", ref: "refs/tags/1.0.0", commit: "4".repeat(40) });
  // A plain version that exists as a tag is that tag, not a range.
  assert.deepEqual(plan("1.0.0"), { kind: "ref", ref: "refs/tags/1.0.0", commit: "4".repeat(40) });
});

test("a branch wins over a tag of the same name", () => {
  const both = parseLsRemote(`${"a".repeat(40)}\trefs/heads/stable\n${"b".repeat(40)}\trefs/tags/stable\n`);
  assert.deepEqual(planRevision(both, "stable", REPO), {
    kind: "ref",
    ref: "refs/heads/stable",
    commit: "a".repeat(40),
  });
});

test("commit ids (full and at least 7 hex) are left to the mirror", () => {
  assert.deepEqual(plan("ABCDEF0123456789abcdef0123456789abcdef01"), {
    kind: "object",
    id: "abcdef0123456789abcdef0123456789abcdef01",
  });
  assert.deepEqual(plan("abcdef0"), { kind: "object", id: "abcdef0" });
  fails("abcdef", "RevisionNotFound");
});

test("semver ranges resolve over tags; no match is RevisionNotFound", () => {
  assert.deepEqual(plan("1.2.*"), { kind: "ref", ref: "refs/tags/v1.2.7", commit: "6".repeat(40) });
  assert.deepEqual(plan(">=1.0.0 <2.0.0"), { kind: "ref", ref: "refs/tags/v1.2.7", commit: "6".repeat(40) });
  assert.deepEqual(plan("^1.2"), { kind: "ref", ref: "refs/tags/v1.2.7", commit: "6".repeat(40) });
  assert.deepEqual(plan("1.2.0"), { kind: "ref", ref: "refs/tags/v1.2.0", commit: "5".repeat(40) });
  fails("^3.0.0", "RevisionNotFound");
});

test("an invalid semver range is InvalidRevision naming spec.source.targetRevision", () => {
  for (const rev of ["1.x.y", ">=1.0.0 <<2", "^1.2.3.4", "1.2.3 ||| 2"]) fails(rev, "InvalidRevision");
  assert.throws(() => plan("1.x.y"), {
    message: `repository "${REPO}": spec.source.targetRevision "1.x.y": not a valid semver range`,
  });
});

test("an unknown branch or tag name is RevisionNotFound", () => {
  fails("no-such-branch", "RevisionNotFound");
  assert.equal(looksLikeSemverRange("feature/x"), false);
  assert.equal(looksLikeSemverRange("1.x.y"), true);
});

test("an empty repository has no HEAD to resolve", () => {
  assert.throws(() => planRevision(parseLsRemote(""), "HEAD", REPO), /the repository is empty/);
});
