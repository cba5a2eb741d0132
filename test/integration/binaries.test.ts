// The binary cache with a real `go build` of a tiny module: builds once, reuses a verified entry,
// rebuilds a corrupt or partial one, and lets concurrent callers share one build.
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { before, describe, test } from "node:test";
import { cacheKey, ensureComponent } from "../../src/toolchain/binaries.js";
import type { ComponentSpec } from "../../src/toolchain/components.js";
import { repoRoot } from "../../src/toolchain/components.js";
import { GoToolchainError } from "../../src/toolchain/goenv.js";

const hello = {
  name: "hello",
  version: "v0.0.1",
  moduleDir: "testdata/localcluster/hello-module",
  pkg: ".",
  ldflags: ["-X main.version=v0.0.1"],
  versionArgs: ["--version"],
} as unknown as ComponentSpec;
const components = { hello };

describe("binary cache", () => {
  let cacheDir: string;
  let builds: number;
  const options = () => ({
    cacheDir,
    components,
    log: (line: string) => void (line.startsWith("built ") && builds++),
  });

  before(async () => {
    cacheDir = await fs.mkdtemp(path.join(os.tmpdir(), "tether-cache-"));
  });

  test("first call builds, second call reuses the verified entry", async () => {
    builds = 0;
    const first = await ensureComponent("hello", options());
    const key = await cacheKey(hello, repoRoot);
    assert.equal(first, path.join(cacheDir, "bin", key, "hello"));
    assert.match(key, /^hello-v0\.0\.1-[0-9a-f]{12}$/);
    const manifest = JSON.parse(
      await fs.readFile(path.join(cacheDir, "bin", key, "manifest.json"), "utf8"),
    ) as {
      files: Record<string, { size: number; sha256: string }>;
    };
    assert.equal(manifest.files["hello"]?.size, (await fs.stat(first)).size);
    assert.match(manifest.files["hello"]?.sha256 ?? "", /^[0-9a-f]{64}$/);
    assert.equal(await ensureComponent("hello", options()), first);
    assert.equal(builds, 1);
  });

  test("a corrupted binary is detected and rebuilt", async () => {
    builds = 0;
    const binary = await ensureComponent("hello", options());
    await fs.writeFile(binary, "#!/bin/sh\necho tampered\n");
    const again = await ensureComponent("hello", options());
    assert.equal(again, binary);
    assert.equal(builds, 1);
    assert.notEqual((await fs.readFile(again)).subarray(0, 4).toString("latin1"), "#!/b");
  });

  test("a partial entry (no manifest) is rebuilt", async () => {
    builds = 0;
    const binary = await ensureComponent("hello", options());
    await fs.rm(path.join(path.dirname(binary), "manifest.json"));
    await ensureComponent("hello", options());
    assert.equal(builds, 1);
    await fs.access(path.join(path.dirname(binary), "manifest.json"));
  });

  test("concurrent callers share one build under the lock", async () => {
    builds = 0;
    await fs.rm(path.join(cacheDir, "bin"), { recursive: true, force: true });
    const results = await Promise.all([1, 2, 3].map(() => ensureComponent("hello", options())));
    assert.equal(new Set(results).size, 1);
    assert.equal(builds, 1);
    const leftovers = (await fs.readdir(path.join(cacheDir, "bin"))).filter((n) => n.startsWith(".tmp-"));
    assert.deepEqual(leftovers, [], "no temporary build folders left");
  });

  test("without Go, the error says which Go is needed and how to use an existing cluster", async () => {
    const fresh = await fs.mkdtemp(path.join(os.tmpdir(), "tether-cache-"));
    await assert.rejects(
      ensureComponent("hello", { cacheDir: fresh, components, goCommand: "/nonexistent/go" }),
      (error: unknown) => {
        assert.ok(error instanceof GoToolchainError);
        assert.match(error.message, /Go 1\.22 or newer is needed/);
        assert.match(error.message, /TETHER_KUBECONFIG/);
        return true;
      },
    );
  });
});
