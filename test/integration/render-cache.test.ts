// The render cache: a second render of the same (commit, path, options) does no work — no file
// read, no tool run — while any change to the key renders again. Failures are never cached.
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { RenderError } from "../../src/engine/errors.js";
import { createRenderer } from "../../src/engine/render/index.js";
import type { RenderInput, RendererOptions } from "../../src/engine/render/index.js";
import { ensureComponent } from "../../src/toolchain/binaries.js";

let tmp = "";
let tools: Pick<RendererOptions, "helmBinary" | "kustomizeBinary"> = { helmBinary: "", kustomizeBinary: "" };
const cm = (name: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n`;

before(async () => {
  tools = { helmBinary: await ensureComponent("helm"), kustomizeBinary: await ensureComponent("kustomize") };
  tmp = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), "render-cache-")));
  const files: Record<string, string> = {
    "plain/a.yaml": cm("a"),
    "plain/b.yaml": cm("b"),
    "kust/kustomization.yaml": "resources: [cm.yaml]\n",
    "kust/cm.yaml": cm("k"),
    "broken/x.yaml": "kind: ConfigMap\n",
    "chart/Chart.yaml": "apiVersion: v2\nname: c\nversion: 0.1.0\n",
    "chart/templates/cm.yaml":
      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n  namespace: {{ .Release.Namespace }}\n",
  };
  for (const [rel, text] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(tmp, rel)), { recursive: true });
    await fs.writeFile(path.join(tmp, rel), text);
  }
});
after(() => fs.rm(tmp, { recursive: true, force: true }));

const input = (p: string, extra: Partial<RenderInput> = {}): RenderInput => ({
  repoRoot: tmp,
  commit: "a".repeat(40),
  namespace: "cache",
  source: { repoURL: "https://git.example.com/r.git", path: p },
  ...extra,
});

test("a second directory render reads no file", async () => {
  const renderer = createRenderer(tools);
  const first = await renderer.render(input("plain"));
  assert.deepEqual(renderer.stats, { renders: 1, cacheHits: 0, toolInvocations: 0, filesRead: 2 });
  const second = await renderer.render(input("plain"));
  assert.equal(second, first);
  assert.deepEqual(renderer.stats, { renders: 1, cacheHits: 1, toolInvocations: 0, filesRead: 2 });
});

test("a second kustomize render runs no tool", async () => {
  const renderer = createRenderer(tools);
  await renderer.render(input("kust"));
  await renderer.render(input("kust"));
  assert.equal(renderer.stats.toolInvocations, 1);
  assert.equal(renderer.stats.cacheHits, 1);
});

test("commit, path and options are all part of the key", async () => {
  const renderer = createRenderer(tools);
  await renderer.render(input("plain"));
  await renderer.render(input("plain", { commit: "b".repeat(40) }));
  await renderer.render(
    input("plain", { source: { repoURL: "x", path: "plain", directory: { include: "a.yaml" } } }),
  );
  assert.equal(renderer.stats.renders, 3);
  assert.equal(renderer.stats.cacheHits, 0);
});

test("apps of one path share a directory or Kustomize render; Helm renders per app name and namespace", async () => {
  const renderer = createRenderer(tools);
  const plain = await renderer.render(input("plain", { appName: "one", namespace: "a" }));
  assert.equal(await renderer.render(input("plain", { appName: "two", namespace: "b" })), plain);
  assert.equal(renderer.cached(input("plain", { appName: "three", namespace: "c" })), plain);
  await renderer.render(input("kust", { appName: "one", namespace: "a" }));
  await renderer.render(input("kust", { appName: "two", namespace: "b" }));
  assert.deepEqual([renderer.stats.renders, renderer.stats.toolInvocations], [2, 1]);

  const one = await renderer.render(input("chart", { appName: "one", namespace: "a" }));
  const two = await renderer.render(input("chart", { appName: "two", namespace: "b" }));
  assert.equal(renderer.cached(input("chart", { appName: "three", namespace: "c" })), undefined);
  assert.deepEqual(
    [one, two].map((r) => [
      r.type,
      r.objects[0]?.object.metadata?.name,
      r.objects[0]?.object.metadata?.namespace,
    ]),
    [
      ["Helm", "one", "a"],
      ["Helm", "two", "b"],
    ],
  );
  assert.equal(
    await renderer.render(input("chart", { appName: "one", namespace: "a" })),
    one,
    "the same app: cached",
  );
  assert.deepEqual([renderer.stats.renders, renderer.stats.toolInvocations], [4, 3]);
});

test("concurrent renders of one key share a single run", async () => {
  const renderer = createRenderer(tools);
  const results = await Promise.all([1, 2, 3].map(() => renderer.render(input("kust"))));
  assert.equal(renderer.stats.renders, 1);
  assert.equal(renderer.stats.toolInvocations, 1);
  assert.ok(results.every((r) => r === results[0]));
});

test("the cache is bounded (least recently used entry evicted)", async () => {
  const renderer = createRenderer({ ...tools, cacheEntries: 1 });
  await renderer.render(input("plain"));
  await renderer.render(input("kust"));
  await renderer.render(input("plain"));
  assert.equal(renderer.stats.renders, 3);
});

test("failures are not cached", async () => {
  const renderer = createRenderer(tools);
  for (let i = 0; i < 2; i++) {
    await assert.rejects(renderer.render(input("broken")), (e: unknown) => e instanceof RenderError);
  }
  assert.equal(renderer.stats.renders, 2);
  assert.equal(renderer.stats.cacheHits, 0);
});

test("a cached result cannot be changed by a caller", async () => {
  const renderer = createRenderer(tools);
  const result = await renderer.render(input("plain"));
  assert.throws(() => {
    (result.objects[0]?.object.metadata as { name: string }).name = "mutated";
  }, TypeError);
});

test("cached() answers without a checkout: undefined before the first render, the same result after", async () => {
  const renderer = createRenderer(tools);
  const { repoRoot: _unused, ...withoutRoot } = input("plain");
  assert.equal(renderer.cached(withoutRoot), undefined);
  const rendered = await renderer.render(input("plain"));
  assert.equal(renderer.cached(withoutRoot), rendered);
  assert.equal(renderer.cached({ ...withoutRoot, commit: "b".repeat(40) }), undefined, "another commit");
  assert.equal(renderer.stats.filesRead, 2, "cached() reads nothing");
});
