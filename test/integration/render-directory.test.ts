// Directory-mode behaviours that are not errors: what is read and what is deliberately not.
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { createRenderer } from "../../src/engine/render/index.js";
import type { RenderInput } from "../../src/engine/render/index.js";

let repo = "";
const cm = (name: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n`;
// Directory mode never starts a tool: these paths would fail loudly if it tried.
const renderer = () =>
  createRenderer({ helmBinary: "/nonexistent/helm", kustomizeBinary: "/nonexistent/kustomize" });
const input = (p: string, extra: Partial<RenderInput["source"]> = {}): RenderInput => ({
  repoRoot: repo,
  commit: "c",
  namespace: "d",
  source: { repoURL: "x", path: p, ...extra },
});
const names = (r: { objects: { object: { metadata: Record<string, unknown> }; sourceFile: string }[] }) =>
  r.objects.map((o) => `${o.sourceFile}:${String(o.object.metadata.name)}`);

before(async () => {
  repo = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), "render-dir-")));
  const files: Record<string, string> = {
    "shared/shared.yaml": cm("shared"),
    "app/own.yaml": cm("own"),
    "app/sub/deep.yaml": cm("deep"),
    "app/.git/config.yaml": cm("never-from-dot-git"),
    "empty/README.md": "no manifests here\n",
  };
  for (const [rel, text] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(repo, rel)), { recursive: true });
    await fs.writeFile(path.join(repo, rel), text);
  }
  // Links that stay inside the repository.
  await fs.symlink(path.join(repo, "shared/shared.yaml"), path.join(repo, "app/linked-file.yaml"));
  await fs.symlink(path.join(repo, "shared"), path.join(repo, "app/linked-dir"));
});
after(() => fs.rm(repo, { recursive: true, force: true }));

test("non-recursive: only the folder's own files, a symlinked file inside the repository included", async () => {
  assert.deepEqual(names(await renderer().render(input("app"))), [
    "app/linked-file.yaml:shared",
    "app/own.yaml:own",
  ]);
});

test("recursive: sub-folders walked, symlinked folders and .git are not", async () => {
  assert.deepEqual(names(await renderer().render(input("app", { directory: { recurse: true } }))), [
    "app/linked-file.yaml:shared",
    "app/own.yaml:own",
    "app/sub/deep.yaml:deep",
  ]);
});

test("a folder with no manifests renders no objects (not an error: prune's allowEmpty decides)", async () => {
  const result = await renderer().render(input("empty"));
  assert.equal(result.type, "Directory");
  assert.deepEqual(result.objects, []);
});

test("the repository root itself is a valid path", async () => {
  const result = await renderer().render(
    input("", { directory: { recurse: true, include: "shared/*.yaml" } }),
  );
  assert.deepEqual(names(result), ["shared/shared.yaml:shared"]);
});

test("an explicit type overrides detection (a chart folder rendered as plain files)", async () => {
  const dir = path.join(repo, "forced");
  await fs.mkdir(path.join(dir, "templates"), { recursive: true });
  await fs.writeFile(path.join(dir, "Chart.yaml"), "apiVersion: v2\nname: forced\nversion: 0.1.0\n");
  await fs.writeFile(path.join(dir, "plain.yaml"), cm("plain"));
  const result = await renderer().render(
    input("forced", { type: "Directory", directory: { include: "plain.yaml" } }),
  );
  assert.equal(result.type, "Directory");
  assert.deepEqual(names(result), ["forced/plain.yaml:plain"]);
});
