import assert from "node:assert/strict";
import { test } from "node:test";
import {
  GoToolchainError,
  checkGo,
  compareVersions,
  parseGoVersion,
  requiredGoVersion,
} from "../../src/toolchain/goenv.js";
import { COMPONENTS, repoRoot } from "../../src/toolchain/components.js";
import path from "node:path";

test("parseGoVersion reads `go version` output", () => {
  assert.equal(parseGoVersion("go version go1.26.8 linux/amd64"), "1.26.8");
  assert.equal(parseGoVersion("go version go1.22 darwin/arm64"), "1.22");
  assert.equal(parseGoVersion("command not found"), undefined);
});

test("compareVersions is numeric, not lexical", () => {
  assert.equal(compareVersions("1.26.0", "1.9.9"), 1);
  assert.equal(compareVersions("1.25", "1.25.0"), 0);
  assert.equal(compareVersions("1.24.7", "1.25.0"), -1);
});

test("requiredGoVersion is the highest go directive of the wrapper modules", async () => {
  const dirs = [...new Set(Object.values(COMPONENTS).map((c) => path.join(repoRoot, c.moduleDir)))];
  const required = await requiredGoVersion(dirs);
  assert.match(required, /^1\.\d+/);
  assert.ok(compareVersions(required, "1.25.0") >= 0, `needs at least Go 1.25 (got ${required})`);
});

test("a missing go command gives an error naming the Go version and TETHER_KUBECONFIG", async () => {
  await assert.rejects(checkGo("/nonexistent/go", "1.26.0"), (error: unknown) => {
    assert.ok(error instanceof GoToolchainError);
    assert.match(error.message, /Go 1\.26\.0 or newer is needed/);
    assert.match(error.message, /`\/nonexistent\/go` was not found/);
    assert.match(error.message, /TETHER_KUBECONFIG/);
    return true;
  });
});

test("a too-old go gives the found and the required version", async () => {
  await assert.rejects(checkGo("go", "99.0"), (error: unknown) => {
    assert.ok(error instanceof GoToolchainError);
    assert.match(error.message, /Go 99\.0 or newer is needed .*\(found Go 1\.\d+/);
    return true;
  });
});
