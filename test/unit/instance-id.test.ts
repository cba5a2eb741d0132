// Instance ids become folder names under $TETHER_CACHE/run, and `tether local down` deletes that
// folder: an id must never reach outside it.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { checkInstanceId } from "../../src/localcluster/instance.js";
import { processToken, tokenIsAlive } from "../../src/localcluster/procscan.js";

describe("checkInstanceId", () => {
  test("accepts the CLI's and the tests' ids", () => {
    for (const id of ["local", "cp-1234-abcdef", "killtest-0a1b2c", "a", "x".repeat(63)]) {
      assert.equal(checkInstanceId(id), id);
    }
  });

  test("refuses anything that could climb out of, or hide in, the run folder", () => {
    const bad = [
      "",
      ".",
      "..",
      "../x",
      "a/../../b",
      "/etc",
      "a/b",
      "a\\b",
      ".hidden",
      "-x",
      "x-",
      "Local",
      "a b",
      "x\n",
      "a\0b",
      "x".repeat(64),
      "é",
      "a.b",
      "~",
      "%2e%2e",
    ];
    for (const id of bad) {
      assert.throws(
        () => checkInstanceId(id),
        /instance id ".*" is invalid: use 1-63 lowercase letters/s,
        id,
      );
    }
  });
});

describe("process tokens", () => {
  test("this process's token is alive; the same pid with another start time is not", () => {
    const token = processToken();
    assert.equal(tokenIsAlive(token), true);
    assert.equal(tokenIsAlive(`${process.pid}-1`), false, "a recycled pid does not pass for its old owner");
    assert.equal(tokenIsAlive(`${2 ** 22 + 1}-1`), false, "above any pid_max");
    assert.equal(tokenIsAlive("garbage"), false);
  });
});
