// Parameters and substitution: flattening, Argo CD's name normalization and path parameters,
// selectors over parameters, and `{{ }}` replacement that never executes or re-parses anything.
import assert from "node:assert/strict";
import { test } from "node:test";
import { generateParamSets } from "../../src/engine/appset/generators.js";
import { flattenParams, matchesSelector, normalizeName, pathParams } from "../../src/engine/appset/params.js";
import { mergeTemplates, renderValue, substitute } from "../../src/engine/appset/template.js";

const noInputs = { clusters: () => Promise.resolve([]), git: () => Promise.reject(new Error("no git")) };

test("nested values flatten with dots; scalars become text", () => {
  assert.deepEqual(flattenParams({ a: { b: 1, c: [true, null] }, d: "x" }), {
    "a.b": "1",
    "a.c.0": "true",
    "a.c.1": "",
    d: "x",
  });
});

test("names normalize as Argo CD's SanitizeName; path parameters per segment", () => {
  assert.equal(normalizeName("-Prometheus_Stack.v2-"), "prometheus-stack.v2");
  assert.deepEqual(pathParams("apps/web", undefined), {
    path: "apps/web",
    "path.basename": "web",
    "path.basenameNormalized": "web",
    "path[0]": "apps",
    "path[1]": "web",
  });
  assert.deepEqual(Object.keys(pathParams("a", "p", "a/c.json")).sort(), [
    "p.path",
    "p.path.basename",
    "p.path.basenameNormalized",
    "p.path.filename",
    "p.path.filenameNormalized",
    "p.path[0]",
  ]);
});

test("substitution trims spaces in placeholders and inserts values as text, once", () => {
  assert.equal(substitute("{{ a }}-{{b}}", { a: "1", b: "{{a}}" }, "f"), "1-{{a}}");
  assert.throws(
    () => substitute("x{{nope}}", {}, "template.spec.x"),
    /^ApplicationSetError: template\.spec\.x: unknown parameter "nope"/,
  );
  assert.equal(substitute("x{{nope}}", {}, "f", true), "x{{nope}}");
  // Only string leaves: numbers and booleans stay typed, keys are kept as written.
  assert.deepEqual(renderValue({ "{{k}}": "{{k}}", n: 1, b: true, l: ["{{k}}"] }, { k: "v" }, "t"), {
    "{{k}}": "v",
    n: 1,
    b: true,
    l: ["v"],
  });
});

test("generator templates merge over the set's template", () => {
  assert.deepEqual(
    mergeTemplates(
      { metadata: { name: "a", labels: { x: "1" } }, spec: { p: 1 } },
      { metadata: { labels: { y: "2" } } },
    ),
    { metadata: { name: "a", labels: { x: "1", y: "2" } }, spec: { p: 1 } },
  );
});

test("selectors filter parameter sets; Exists, DoesNotExist, In and NotIn", () => {
  const p = { env: "prod", region: "eu" };
  assert.equal(matchesSelector(p, { matchLabels: { env: "prod" } }), true);
  assert.equal(
    matchesSelector(p, { matchExpressions: [{ key: "env", operator: "NotIn", values: ["prod"] }] }),
    false,
  );
  assert.equal(matchesSelector(p, { matchExpressions: [{ key: "zone", operator: "DoesNotExist" }] }), true);
  assert.equal(matchesSelector(p, { matchExpressions: [{ key: "region", operator: "Exists" }] }), true);
});

test("a generator's selector, and malformed generators naming their path", async () => {
  const sets = await generateParamSets(
    [{ list: { elements: [{ env: "dev" }, { env: "prod" }] }, selector: { matchLabels: { env: "prod" } } }],
    noInputs,
  );
  assert.deepEqual(
    sets.map((s) => s.params),
    [{ env: "prod" }],
  );
  await assert.rejects(
    generateParamSets([{}], noInputs),
    /spec\.generators\[0\]: must set exactly one of list, clusters, git, matrix, merge/,
  );
  await assert.rejects(
    generateParamSets([{ matrix: { generators: [{ list: { elements: [] } }] } }], noInputs),
    /spec\.generators\[0\]\.matrix: needs exactly two generators/,
  );
  await assert.rejects(
    generateParamSets([{ git: { repoURL: "https://x/r.git", directories: [{ path: "*" }] } }], noInputs),
    /spec\.generators\[0\]\.git: no git/,
  );
  await assert.rejects(
    generateParamSets(
      [
        {
          merge: {
            mergeKeys: ["k"],
            generators: [{ list: { elements: [{ k: "1" }, { k: "1" }] } }, { list: { elements: [] } }],
          },
        },
      ],
      noInputs,
    ),
    /generators\[0\]: two parameter sets have the same merge keys/,
  );
});
