import assert from "node:assert/strict";
import { test } from "node:test";
import { shortRevision } from "../../src/model/revision.js";

test("shortRevision: commit ids (SHA-1 and SHA-256) are cut to 7; a chart version or anything else is whole", () => {
  assert.equal(shortRevision("a".repeat(40)), "aaaaaaa");
  assert.equal(shortRevision("0123456789abcdef".repeat(4)), "0123456");
  assert.equal(shortRevision("1.10.0-rc.1"), "1.10.0-rc.1");
  assert.equal(
    shortRevision("A".repeat(40)),
    "A".repeat(40),
    "upper case is not how Tether records a commit",
  );
  assert.equal(shortRevision("abc1234"), "abc1234");
});
