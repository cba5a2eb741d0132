// Output ordering, cache-key hashing and the LRU (pure).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { canonicalJson, optionsHash, renderCacheKey } from "../../src/engine/render/cache-key.js";
import { LruCache } from "../../src/engine/render/lru-cache.js";
import { compareStrings, sortDirectoryOutput, sortToolOutput } from "../../src/engine/render/order.js";
import type { RenderedObject, RenderInput } from "../../src/engine/render/index.js";
import { resolveLimits } from "../../src/engine/render/types.js";

function obj(
  apiVersion: string,
  kind: string,
  name: string,
  namespace?: string,
  sourceFile = "f",
  line?: number,
) {
  const metadata: Record<string, unknown> = { name };
  if (namespace) metadata.namespace = namespace;
  return { object: { apiVersion, kind, metadata }, sourceFile, line } as RenderedObject;
}
const names = (objects: RenderedObject[]) =>
  objects.map((o) => `${o.object.kind}/${String(o.object.metadata.name)}`);

describe("ordering", () => {
  test("tool output: apiVersion, kind, namespace, name", () => {
    const sorted = sortToolOutput([
      obj("v1", "Service", "b", "ns"),
      obj("apps/v1", "Deployment", "z"),
      obj("v1", "ConfigMap", "a", "ns2"),
      obj("v1", "ConfigMap", "a", "ns1"),
      obj("v1", "Service", "a", "ns"),
    ]);
    assert.deepEqual(names(sorted), ["Deployment/z", "ConfigMap/a", "ConfigMap/a", "Service/a", "Service/b"]);
    assert.equal(sorted[1]?.object.metadata.namespace, "ns1");
  });

  test("tool output order does not depend on input order", () => {
    const input = [obj("v1", "B", "1"), obj("v1", "A", "2"), obj("v1", "A", "1")];
    assert.deepEqual(names(sortToolOutput(input)), names(sortToolOutput([...input].reverse())));
  });

  test("directory output: by file, then line", () => {
    const sorted = sortDirectoryOutput([
      obj("v1", "A", "3", undefined, "b.yaml", 1),
      obj("v1", "A", "2", undefined, "a.yaml", 9),
      obj("v1", "A", "1", undefined, "a.yaml", 2),
    ]);
    assert.deepEqual(names(sorted), ["A/1", "A/2", "A/3"]);
  });

  test("byte order, independent of locale", () => {
    assert.ok(compareStrings("B", "a") < 0);
    assert.ok(compareStrings("a/b", "a-b") > 0);
  });
});

describe("cache key", () => {
  const tools = { helmBinary: "/h", kustomizeBinary: "/k" };
  const limits = resolveLimits({});
  const input: RenderInput = {
    repoRoot: "/r",
    commit: "c1",
    namespace: "n",
    source: { repoURL: "u", path: "p", directory: { recurse: true, include: "*.yaml" } },
  };

  test("canonical JSON sorts keys and drops undefined", () => {
    assert.equal(canonicalJson({ b: 1, a: [{ d: 2, c: undefined }] }), '{"a":[{"d":2}],"b":1}');
    assert.equal(canonicalJson({ a: 1, b: 2 }), canonicalJson({ b: 2, a: 1 }));
  });

  test("same inputs hash the same, whatever the key order", () => {
    const reordered: RenderInput = {
      ...input,
      source: { directory: { include: "*.yaml", recurse: true }, path: "p", repoURL: "u" },
    };
    assert.equal(optionsHash(input, tools, limits), optionsHash(reordered, tools, limits));
  });

  test("anything that changes the output changes the hash", () => {
    const base = optionsHash(input, tools, limits);
    const variants = [
      optionsHash({ ...input, namespace: "other" }, tools, limits),
      optionsHash({ ...input, source: { ...input.source, directory: { recurse: false } } }, tools, limits),
      optionsHash(input, { ...tools, helmBinary: "/other-helm" }, limits),
      optionsHash(input, { ...tools, allowRemoteBases: true }, limits),
      optionsHash(input, tools, resolveLimits({ maxDocuments: 1 })),
    ];
    for (const v of variants) assert.notEqual(v, base);
  });

  test("for Git sources targetRevision is the commit's business; for charts it is the version", () => {
    const git = optionsHash({ ...input, source: { ...input.source, targetRevision: "main" } }, tools, limits);
    assert.equal(git, optionsHash(input, tools, limits));
    const chart = (v: string) =>
      optionsHash(
        { ...input, source: { repoURL: "https://c", chart: "x", targetRevision: v } },
        tools,
        limits,
      );
    assert.notEqual(chart("1.0.0"), chart("1.0.1"));
  });

  test("the checkout folder is not: two checkouts of one commit share renders", () => {
    const h = optionsHash(input, tools, limits);
    assert.equal(optionsHash({ ...input, repoRoot: "/other" }, tools, limits), h);
    assert.equal(renderCacheKey(input, h), renderCacheKey({ ...input, repoRoot: "/other" }, h));
  });

  test("commit and path are part of the key", () => {
    const h = optionsHash(input, tools, limits);
    assert.notEqual(renderCacheKey(input, h), renderCacheKey({ ...input, commit: "c2" }, h));
    assert.notEqual(
      renderCacheKey(input, h),
      renderCacheKey({ ...input, source: { ...input.source, path: "q" } }, h),
    );
  });
});

describe("LruCache", () => {
  test("evicts the least recently used entry", () => {
    const lru = new LruCache<string, number>(2);
    lru.set("a", 1);
    lru.set("b", 2);
    assert.equal(lru.get("a"), 1); // a is now the most recent
    lru.set("c", 3);
    assert.equal(lru.get("b"), undefined);
    assert.equal(lru.get("a"), 1);
    assert.equal(lru.get("c"), 3);
    assert.equal(lru.size, 2);
  });
  test("refuses a capacity below 1", () => {
    assert.throws(() => new LruCache(0), RangeError);
  });
});
