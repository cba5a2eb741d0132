// Nesting limits and YAML error lines for every parser of untrusted input (pure): deep inputs are
// built programmatically, far past the depth where recursive code overflows the stack, and each
// door must refuse them with an error naming where — never "Maximum call stack size exceeded".
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { HttpError } from "../../src/api/errors.js";
import { parseJson } from "../../src/api/validate.js";
import { WebhookError } from "../../src/api/webhooks/errors.js";
import { parseJsonObject } from "../../src/api/webhooks/json.js";
import { gitFileParams } from "../../src/engine/appset/git.js";
import { applySetters } from "../../src/engine/images/setters.js";
import { RenderError } from "../../src/engine/errors.js";
import { MAX_NESTING_DEPTH, valueNestingProblem, yamlNestingProblem } from "../../src/engine/nesting.js";
import { parseManifests } from "../../src/engine/render/manifests.js";
import { parseYamlBounded, YamlInputError } from "../../src/engine/yaml-input.js";
import { parseKubeConfig } from "../../src/kube/kubeconfig.js";

const DEEP = 10_000;
const opts = { maxAliasCount: 100 };
const head = (name: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n`;
const cm = (name: string) => head(name);
/** `{"a":{"a":…1…}}` n levels deep. */
const deepJsonObject = (n: number) => `${'{"a":'.repeat(n)}1${"}".repeat(n)}`;
/** `[[[…]]]` n levels deep. */
const deepFlowSeq = (n: number) => `${"[".repeat(n)}${"]".repeat(n)}`;

function rendersError(text: string, file: string, message: RegExp, options = opts): void {
  assert.throws(
    () => parseManifests(text, file, options),
    (e: unknown) => {
      assert.ok(e instanceof RenderError, `expected a RenderError, got ${String(e)}`);
      assert.doesNotMatch(e.message, /call stack/i);
      assert.match(e.message, message);
      return true;
    },
  );
}

describe("valueNestingProblem", () => {
  test("a value exactly at the limit passes; one level more is refused with its path", () => {
    const at = JSON.parse(deepFlowSeq(MAX_NESTING_DEPTH)) as unknown;
    assert.equal(valueNestingProblem(at), undefined);
    const over = JSON.parse(`{"spec":{"template":${deepFlowSeq(MAX_NESTING_DEPTH)}}}`) as unknown;
    assert.match(valueNestingProblem(over)?.path ?? "", /^spec\.template\[0\]\[0\].*…\(\d+ more\)…/);
  });

  test("100,000 levels are walked without recursion", () => {
    const value = JSON.parse(deepJsonObject(100_000)) as unknown;
    assert.match(valueNestingProblem(value)?.path ?? "", /^a\.a\.a/);
  });

  test("a cycle (a YAML alias to its own anchor) ends at the limit", () => {
    const cyclic: unknown[] = [];
    cyclic.push(cyclic);
    assert.ok(valueNestingProblem(cyclic));
  });

  test("shared subtrees are not walked once per reference", () => {
    // 40 levels, each referencing the one below twice: 2^40 paths, 40 objects.
    let shared: unknown = { leaf: true };
    for (let i = 0; i < 40; i++) shared = { left: shared, right: shared };
    assert.equal(valueNestingProblem(shared), undefined);
  });

  test("odd keys are quoted and long ones cut in the path", () => {
    const value = { metadata: { annotations: { "example.com/x": JSON.parse(deepFlowSeq(300)) as unknown } } };
    assert.match(valueNestingProblem(value)?.path ?? "", /^metadata\.annotations\["example\.com\/x"\]\[0\]/);
  });
});

describe("yamlNestingProblem (syntax tree, before composing)", () => {
  const cases: Record<string, string> = {
    "flow sequences": `x: ${deepFlowSeq(DEEP)}\n`,
    "flow mappings": `x: ${"{a: ".repeat(DEEP)}1${"}".repeat(DEEP)}\n`,
    "compact block sequences": `x:\n  ${"- ".repeat(DEEP)}v\n`,
    "JSON objects": deepJsonObject(DEEP),
    "a complex key": `? ${deepFlowSeq(DEEP)}\n: v\n`,
  };
  for (const [name, text] of Object.entries(cases)) {
    test(`${name} 10,000 deep are found`, () => assert.ok(yamlNestingProblem(text)));
  }

  test("block mappings: the line and path of the first level past the limit", () => {
    let text = "top:\n";
    for (let i = 1; i <= 250; i++) text += `${"  ".repeat(i)}k${i}:\n`;
    const problem = yamlNestingProblem(text);
    assert.equal(problem?.line, MAX_NESTING_DEPTH + 1);
    assert.match(problem?.path ?? "", /^top\.k1\.k2\..*k198\.k199$/);
  });

  test("an ordinary Deployment is far from the limit", () => {
    const text = `spec:\n  template:\n    spec:\n      containers:\n        - env:\n            - valueFrom:\n                secretKeyRef: {name: s, key: k}\n`;
    assert.equal(yamlNestingProblem(text), undefined);
  });
});

describe("parseManifests: depth", () => {
  test("a 10,000-deep flow sequence names file, line and path", () => {
    const text = `${cm("a")}---\n${cm("b")}data:\n  x: ${deepFlowSeq(DEEP)}\n`;
    rendersError(
      text,
      "dir/deep.yaml",
      /^dir\/deep\.yaml:11: nesting deeper than 200 levels at data\.x\[0\]\[0\]/,
    );
  });

  test("a 10,000-deep JSON file", () => {
    const text = `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"j"},"data":${deepJsonObject(DEEP)}}`;
    rendersError(text, "deep.json", /^deep\.json:1: nesting deeper than 200 levels at data\.a\.a\.a/);
  });

  test("a 10,000-deep block sequence", () => {
    rendersError(
      `${cm("s")}data:\n  x:\n    ${"- ".repeat(DEEP)}v\n`,
      "s.yaml",
      /^s\.yaml:7: nesting deeper/,
    );
  });

  test("depth built by an alias chain (text only 3 deep) is caught on the value", () => {
    let text = `${cm("c")}data:\n`;
    for (let i = 0; i < 250; i++) text += `  a${i}: &a${i} [${i === 0 ? "1" : `*a${i - 1}`}]\n`;
    // maxAliasCount -1 lifts the alias bomb limit, so only the depth check stands in the way.
    rendersError(text, "c.yaml", /^c\.yaml:1: nesting deeper than 200 levels at data\.a249\[0\]/, {
      maxAliasCount: -1,
    });
  });

  test("an alias to its own anchor (a cycle) is refused", () => {
    rendersError(
      `${cm("r")}data:\n  x: &x [*x]\n`,
      "r.yaml",
      /^r\.yaml:1: nesting deeper than 200 levels at data\.x\[0\]/,
    );
  });

  test("JSON held in a string (last-applied-configuration) stays a string, never parsed", () => {
    const annotation = JSON.stringify(deepJsonObject(DEEP));
    const text = `${head("la")}  annotations:\n    kubectl.kubernetes.io/last-applied-configuration: ${annotation}\n`;
    const [parsed] = parseManifests(text, "la.yaml", opts);
    const annotations = parsed?.object.metadata.annotations as Record<string, unknown> | undefined;
    assert.equal(typeof annotations?.["kubectl.kubernetes.io/last-applied-configuration"], "string");
  });

  test("a wide, shallow mapping of 50,000 keys parses in linear time", () => {
    let text = `${cm("w")}data:\n`;
    for (let i = 0; i < 50_000; i++) text += `  k${i}: v\n`;
    const started = performance.now();
    const [parsed] = parseManifests(text, "w.yaml", opts);
    // The library's own duplicate-key check is quadratic: about a minute for this mapping.
    assert.ok(performance.now() - started < 20_000, `took ${Math.round(performance.now() - started)} ms`);
    assert.equal(Object.keys((parsed?.object as unknown as { data: object }).data).length, 50_000);
  });
});

describe("parseManifests: the line of a YAML error is the problem's own line", () => {
  const bad = {
    duplicate: { text: `${cm("d")}data:\n  k: 1\n  k: 2\n`, offset: 6, message: /duplicate key "k"/ },
    syntax: { text: `${cm("s")}data:\n  k: "a" b\n`, offset: 5, message: /invalid YAML: Unexpected scalar/ },
    indentation: {
      text: `${cm("i")}data:\n  - a\n  k: v\n`,
      offset: 6,
      message: /must start at the same column/,
    },
    tab: { text: `${cm("t")}data:\n\tk: v\n`, offset: 5, message: /invalid YAML: Tabs are not allowed/ },
  };
  for (const [kind, { text, offset, message }] of Object.entries(bad)) {
    test(`${kind} in the 1st, 3rd and last of five documents`, () => {
      for (const position of [0, 2, 4]) {
        const docs = [cm("a"), cm("b"), cm("c"), cm("d"), cm("e")];
        docs[position] = text;
        const startLine = docs.slice(0, position).reduce((n, d) => n + d.split("\n").length, 1);
        rendersError(docs.join("---\n"), "multi.yaml", new RegExp(`^multi\\.yaml:${startLine + offset}: `));
        rendersError(docs.join("---\n"), "multi.yaml", message);
      }
    });
  }

  test("an alias without its anchor is invalid YAML, not an alias bomb", () => {
    rendersError(
      `${cm("u")}data:\n  k: *nope\n`,
      "u.yaml",
      /^u\.yaml:1: invalid YAML: ReferenceError: Unresolved alias/,
    );
  });

  test("a duplicate key at the end of a 50,000-key mapping is found, with its line", () => {
    let text = `${cm("w")}data:\n`;
    for (let i = 0; i < 50_000; i++) text += `  k${i}: v\n`;
    text += "  k7: again\n";
    rendersError(text, "w.yaml", /^w\.yaml:50006: invalid YAML: duplicate key "k7"/);
  });
});

describe("parseYamlBounded (kustomization, ApplicationSet git files, policy packs, kubeconfig)", () => {
  test("depth, duplicate keys and syntax errors carry their line", () => {
    const cases: [string, number, RegExp][] = [
      [`a: 1\nb: ${deepFlowSeq(DEEP)}\n`, 2, /nesting deeper than 200 levels at b\[0\]/],
      ["a: 1\nb: 2\na: 3\n", 3, /duplicate key "a"/],
      ["a: 1\nb: [1\nc: 2\n", 3, /Flow sequence/],
      ["a: 1\n---\nb: 2\n", 2, /second YAML document/],
    ];
    for (const [text, line, detail] of cases) {
      assert.throws(
        () => parseYamlBounded(text),
        (e: unknown) => e instanceof YamlInputError && e.line === line && detail.test(e.detail),
      );
    }
    assert.deepEqual(parseYamlBounded("a: [1, {b: 2}]\n"), { a: [1, { b: 2 }] });
    assert.equal(parseYamlBounded(""), null);
  });

  test("an ApplicationSet git generator file nested too deep names the file", () => {
    const generator = { repoURL: "http://git/r.git", revision: "HEAD", files: [{ path: "*.json" }] };
    assert.throws(
      () =>
        gitFileParams(
          [{ path: "envs/x.json", content: deepJsonObject(DEEP) }],
          generator,
          "spec.generators[0].git",
        ),
      /envs\/x\.json: not valid JSON or YAML: line 1: nesting deeper than 200 levels at a\.a/,
    );
  });

  test("image automation: a repository file nested too deep, or with a bad line, is a problem on its line", () => {
    const marker = ' # {"$imagepolicy": "apps:app"}';
    const deep = applySetters(`image: x:1${marker}\nv: ${deepFlowSeq(DEEP)}\n`, () => undefined);
    assert.deepEqual(deep.problems, [
      { line: 2, message: "nesting deeper than 200 levels at v[0][0][0][0][0][0][0]…(189 more)…[0][0][0]" },
    ]);
    const duplicate = applySetters(`a: 1\n---\nimage: x:1${marker}\nb: 1\nb: 2\n`, () => undefined);
    assert.equal(duplicate.problems[0]?.line, 5);
    assert.match(duplicate.problems[0]?.message ?? "", /not valid YAML: duplicate key "b"/);
  });

  test("a kubeconfig nested too deep names the file and line", () => {
    const text = `apiVersion: v1\nkind: Config\nclusters:\n  - name: x\n    cluster: ${deepFlowSeq(DEEP)}\n`;
    assert.throws(
      () => parseKubeConfig(text, "/home/u/.kube/config"),
      /^Error: \/home\/u\/\.kube\/config:5: nesting deeper than 200 levels at clusters\[0\]\.cluster/,
    );
  });
});

describe("JSON bodies: API and webhooks", () => {
  test("an API body 10,000 deep is a 400 naming the field", () => {
    const body = `{"metadata":{"name":"x"},"spec":{"source":{"helm":${deepJsonObject(DEEP)}}}}`;
    assert.throws(
      () => parseJson(body),
      (e: unknown) =>
        e instanceof HttpError &&
        e.status === 400 &&
        /^request body: nesting deeper than 200 levels at spec\.source\.helm\.a\.a/.test(e.message) &&
        e.field?.startsWith("spec.source.helm.a") === true,
    );
    assert.throws(
      () => parseJson(deepFlowSeq(DEEP)),
      (e: unknown) => e instanceof HttpError && e.status === 400,
    );
  });

  test("a wide API body is fine; malformed JSON is still a 400", () => {
    const wide = parseJson(JSON.stringify({ items: Array.from({ length: 100_000 }, (_, i) => i) }));
    assert.equal((wide as { items: number[] }).items.length, 100_000);
    assert.throws(
      () => parseJson("{"),
      (e: unknown) => e instanceof HttpError && e.status === 400,
    );
  });

  test("a webhook payload 10,000 deep is a 400 naming where", () => {
    assert.throws(
      () => parseJsonObject(Buffer.from(`{"repository":${deepJsonObject(DEEP)}}`), "GitHub push"),
      (e: unknown) =>
        e instanceof WebhookError &&
        e.status === 400 &&
        /^GitHub push: the body has nesting deeper than 200 levels at repository\.a/.test(e.message),
    );
  });
});
