// Lexical path confinement (pure): what the message says and what gets through.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { RenderError } from "../../src/engine/errors.js";
import { confineRelativePath, isInside } from "../../src/engine/render/paths.js";

const field = "spec.source.helm.valueFiles[0]";

function refused(value: string, base: string, message: RegExp) {
  assert.throws(
    () => confineRelativePath(field, value, base),
    (e: unknown) =>
      e instanceof RenderError && e.reason === "PathOutsideRepository" && message.test(e.message),
  );
}

describe("confineRelativePath", () => {
  test("normalizes paths that stay inside", () => {
    assert.equal(confineRelativePath(field, "values.yaml", "charts/web"), "charts/web/values.yaml");
    assert.equal(confineRelativePath(field, "../common/v.yaml", "charts/web"), "charts/common/v.yaml");
    assert.equal(confineRelativePath(field, "./a/./b/", ""), "a/b");
    assert.equal(confineRelativePath(field, "", ""), "");
    assert.equal(confineRelativePath(field, ".", "apps"), "apps");
    // A file literally named "..x" is not a parent reference.
    assert.equal(confineRelativePath(field, "..x.yaml", ""), "..x.yaml");
  });

  test("../ that climbs above the root is refused, naming field and value", () => {
    refused("../x.yaml", "", /^spec\.source\.helm\.valueFiles\[0\] "\.\.\/x\.yaml" leaves the repository$/);
    refused("../../../etc/passwd", "charts/web", /leaves the repository/);
    refused("a/../../..", "b", /leaves the repository/);
  });

  test("absolute paths (POSIX and Windows) are refused", () => {
    refused("/etc/passwd", "", /is absolute/);
    refused("C:\\secrets\\v.yaml", "", /is absolute/);
    refused("\\\\server\\share", "", /is absolute/);
  });

  test("NUL bytes are refused", () => refused("a\0b", "", /NUL byte/));
});

describe("isInside", () => {
  test("containment by path segments, not string prefix", () => {
    assert.equal(isInside("/repo", "/repo"), true);
    assert.equal(isInside("/repo", "/repo/a/b"), true);
    assert.equal(isInside("/repo", "/repository"), false);
    assert.equal(isInside("/repo", "/"), false);
    assert.equal(isInside("/repo", "/repo/../etc"), false);
  });
});
