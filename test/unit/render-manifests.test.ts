// Parsing manifest text into Kubernetes objects with lines (pure).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { RenderError } from "../../src/engine/errors.js";
import { isListObject, kubeObjectProblem, parseManifests } from "../../src/engine/render/manifests.js";

const opts = { maxAliasCount: 100 };
const cm = (name: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n`;

function rejects(text: string, reason: string, message: RegExp, options = opts) {
  assert.throws(
    () => parseManifests(text, "dir/f.yaml", options),
    (e: unknown) => e instanceof RenderError && e.reason === reason && message.test(e.message),
  );
}

describe("parseManifests", () => {
  test("multi-document YAML with lines; empty and comment-only documents skipped", () => {
    const text = `# header\n${cm("a")}---\n---\n# nothing\n---\n${cm("b")}`;
    const parsed = parseManifests(text, "dir/f.yaml", opts);
    assert.deepEqual(
      parsed.map((p) => [p.object.metadata.name, p.line]),
      [
        ["a", 2],
        ["b", 10],
      ],
    );
  });

  test("empty file gives no objects", () => {
    assert.deepEqual(parseManifests("", "f.yaml", opts), []);
    assert.deepEqual(parseManifests("# just a comment\n", "f.yaml", opts), []);
  });

  test("JSON object", () => {
    const parsed = parseManifests(
      '{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s"}}',
      "s.json",
      opts,
    );
    assert.equal(parsed[0]?.object.kind, "Secret");
  });

  test("kind: List and *List are expanded, with each item's line", () => {
    const text = `apiVersion: v1\nkind: List\nitems:\n  - ${cm("first").trimEnd().replace(/\n/g, "\n    ")}\n  - ${cm("second").trimEnd().replace(/\n/g, "\n    ")}\n`;
    const parsed = parseManifests(text, "l.yaml", opts);
    assert.deepEqual(
      parsed.map((p) => [p.object.metadata.name, p.line]),
      [
        ["first", 4],
        ["second", 8],
      ],
    );
  });

  test("an invalid List item names its index", () => {
    rejects(
      "apiVersion: v1\nkind: List\nitems:\n  - kind: ConfigMap\n",
      "InvalidManifest",
      /dir\/f\.yaml:4: items\[0\] of List has no apiVersion/,
    );
  });

  test("YAML 1.1 like kubectl: 0644 is octal, yes is a boolean", () => {
    const [parsed] = parseManifests(
      `${cm("m")}data:\n  mode: 0644\n  flag: yes\n  text: "yes"\n`,
      "f.yaml",
      opts,
    );
    assert.deepEqual(parsed?.object.data, { mode: 420, flag: true, text: "yes" });
  });

  test("not a mapping → InvalidManifest with file and line", () => {
    rejects(
      `${cm("ok")}---\njust a string\n`,
      "InvalidManifest",
      /^dir\/f\.yaml:6: document is not a Kubernetes object: it is a string/,
    );
  });

  test("missing apiVersion, kind, metadata, metadata.name", () => {
    rejects("kind: ConfigMap\nmetadata: {name: x}\n", "InvalidManifest", /:1: .*has no apiVersion/);
    rejects("apiVersion: v1\nmetadata: {name: x}\n", "InvalidManifest", /:1: .*has no kind/);
    rejects("apiVersion: v1\nkind: ConfigMap\n", "InvalidManifest", /:1: .*has no metadata$/);
    rejects(
      "apiVersion: v1\nkind: ConfigMap\nmetadata: {labels: {}}\n",
      "InvalidManifest",
      /:1: .*has no metadata\.name/,
    );
  });

  test("a name YAML 1.1 reads as a boolean is explained", () => {
    rejects(
      "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: y}\n",
      "InvalidManifest",
      /has a boolean metadata\.name \(true\); quote it/,
    );
  });

  test("generateName is accepted instead of name", () => {
    const [parsed] = parseManifests(
      "apiVersion: batch/v1\nkind: Job\nmetadata: {generateName: hook-}\n",
      "f.yaml",
      opts,
    );
    assert.equal(parsed?.object.metadata.generateName, "hook-");
  });

  test("syntax error → InvalidManifest with the error's line", () => {
    rejects(`${cm("a")}data:\n  x: [1, 2\n`, "InvalidManifest", /^dir\/f\.yaml:\d+: invalid YAML/);
  });

  test("duplicate keys are refused", () => {
    rejects(
      "apiVersion: v1\napiVersion: v2\nkind: ConfigMap\nmetadata: {name: x}\n",
      "InvalidManifest",
      /invalid YAML/,
    );
  });

  test("alias bomb → LimitExceeded naming the document", () => {
    const bomb = `${cm("b")}data:\n  a: &a [x, x, x, x, x, x, x, x, x, x]\n  b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n  c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n  d: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n`;
    rejects(
      bomb,
      "LimitExceeded",
      /^dir\/f\.yaml:1: YAML aliases expand beyond the limit \(maxAliasCount 100\)/,
    );
  });

  test("a few aliases are fine", () => {
    const text = `${cm("a")}data: &d {k: v}\n---\n${cm("b")}data: {k: v}\n`;
    assert.equal(parseManifests(text, "f.yaml", opts).length, 2);
  });
});

describe("kubeObjectProblem / isListObject", () => {
  test("accepts a minimal object", () => {
    assert.equal(kubeObjectProblem({ apiVersion: "v1", kind: "A", metadata: { name: "n" } }), undefined);
  });
  test("rejects arrays, scalars and empty strings", () => {
    assert.match(kubeObjectProblem([]) ?? "", /sequence/);
    assert.match(kubeObjectProblem(3) ?? "", /number/);
    assert.match(
      kubeObjectProblem({ apiVersion: "", kind: "A", metadata: { name: "n" } }) ?? "",
      /apiVersion/,
    );
  });
  test("List detection needs both the suffix and an items array", () => {
    assert.equal(isListObject({ kind: "ConfigMapList", items: [] }), true);
    assert.equal(isListObject({ kind: "List" }), false);
    assert.equal(isListObject({ kind: "Deployment", items: [] }), false);
  });
});
