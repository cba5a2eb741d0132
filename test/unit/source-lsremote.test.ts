import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { commitOfRef, parseLsRemote, refsFingerprint, tagNames } from "../../src/engine/source/lsremote.js";

// Real `git ls-remote --symref` shape: HEAD symref line, branches, a pull-request ref, lightweight
// and annotated tags (the `^{}` line is the peeled commit).
const fixture = readFileSync(new URL("../../testdata/source/ls-remote-symref.txt", import.meta.url), "utf8");

test("ls-remote output becomes branches, tags, peeled tags and the HEAD symref", () => {
  const remote = parseLsRemote(fixture);
  assert.equal(remote.head.target, "refs/heads/main");
  assert.equal(remote.head.commit, "1".repeat(40));
  assert.equal(remote.refs.get("refs/heads/feature/login"), "2".repeat(40));
  assert.equal(remote.refs.has("refs/pull/7/head"), false, "only branches and tags are mirrored");
  assert.equal(remote.refs.get("refs/tags/v1.2.0"), "a".repeat(40), "the tag object as advertised");
  assert.equal(commitOfRef(remote, "refs/tags/v1.2.0"), "5".repeat(40), "annotated tags peel to the commit");
  assert.equal(commitOfRef(remote, "refs/tags/1.0.0"), "4".repeat(40));
  assert.deepEqual(tagNames(remote), [
    "1.0.0",
    "v1.2.0",
    "v1.2.7",
    "v1.3.0-rc.1",
    "v2.0.0",
    "release-candidate",
  ]);
});

test("an empty repository parses to no refs and no HEAD", () => {
  const remote = parseLsRemote("");
  assert.equal(remote.refs.size, 0);
  assert.equal(remote.head.commit, undefined);
});

test("the fingerprint changes when any ref moves, appears or disappears, and not otherwise", () => {
  const base = refsFingerprint(parseLsRemote(fixture));
  const reordered = fixture.split("\n").reverse().join("\n");
  assert.equal(refsFingerprint(parseLsRemote(reordered)), base, "order does not matter");
  const moved = fixture.replace(
    `${"2".repeat(40)}\trefs/heads/feature/login`,
    `${"b".repeat(40)}\trefs/heads/feature/login`,
  );
  assert.notEqual(refsFingerprint(parseLsRemote(moved)), base);
  const deleted = fixture.replace(/^.*refs\/tags\/v2\.0\.0\n/m, "");
  assert.notEqual(refsFingerprint(parseLsRemote(deleted)), base);
  const pullMoved = fixture.replace(
    `${"3".repeat(40)}\trefs/pull/7/head`,
    `${"c".repeat(40)}\trefs/pull/7/head`,
  );
  assert.equal(refsFingerprint(parseLsRemote(pullMoved)), base, "refs that are not mirrored do not count");
});
