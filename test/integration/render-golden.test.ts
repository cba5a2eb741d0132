// Golden fixtures for the render stage: every folder of testdata/render/ holds an input tree
// (repo/…), the ApplicationSource (source.json) and the expected render (expected.yaml: each
// object preceded by a `# Source: <file>[:<line>]` comment, in render order). Rendered with the
// real helm and kustomize. UPDATE_GOLDEN=1 rewrites expected.yaml from the current output.
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import path from "node:path";
import { before, describe, test } from "node:test";
import { stringify } from "yaml";
import type { ApplicationSource } from "../../src/model/application.js";
import { createRenderer } from "../../src/engine/render/index.js";
import type { RenderResult } from "../../src/engine/render/index.js";
import { ensureComponent } from "../../src/toolchain/binaries.js";
import { repoRoot } from "../../src/toolchain/components.js";

const fixtures = path.join(repoRoot, "testdata/render");

/** The expected.yaml format: one YAML document per object, its origin as a leading comment. */
function goldenText(result: RenderResult): string {
  return result.objects
    .map(({ object, sourceFile, line }) => {
      const origin = line === undefined ? sourceFile : `${sourceFile}:${line}`;
      return `# Source: ${origin}\n${stringify(object, { lineWidth: 0, version: "1.1" })}`;
    })
    .join("---\n");
}

const cases = (await fs.readdir(fixtures, { withFileTypes: true }))
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort();

describe("render golden fixtures", () => {
  let helmBinary = "";
  let kustomizeBinary = "";
  before(async () => {
    helmBinary = await ensureComponent("helm");
    kustomizeBinary = await ensureComponent("kustomize");
  });

  test("has the required cases", () => {
    for (const name of [
      "plain-directory",
      "recursive-include-exclude",
      "json-and-list",
      "kustomize-overlay",
      "helm-values",
    ]) {
      assert.ok(cases.includes(name), `missing fixture ${name}`);
    }
  });

  for (const name of cases) {
    test(name, async () => {
      const dir = path.join(fixtures, name);
      const source = JSON.parse(
        await fs.readFile(path.join(dir, "source.json"), "utf8"),
      ) as ApplicationSource;
      const renderer = createRenderer({ helmBinary, kustomizeBinary });
      const result = await renderer.render({
        repoRoot: path.join(dir, "repo"),
        commit: "0000000000000000000000000000000000000000",
        source,
        namespace: "golden",
        appName: name,
      });
      assert.ok(result.objects.length > 0, "a golden case must render objects");
      const actual = goldenText(result);
      const expectedFile = path.join(dir, "expected.yaml");
      if (process.env.UPDATE_GOLDEN === "1") await fs.writeFile(expectedFile, actual);
      assert.equal(actual, await fs.readFile(expectedFile, "utf8"));
    });
  }
});
