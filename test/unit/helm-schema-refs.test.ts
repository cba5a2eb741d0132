// What a chart's values.schema.json may refer to (src/engine/render/helm-schema-refs.ts): only
// inside itself, and only a standard meta-schema.
import assert from "node:assert/strict";
import { test } from "node:test";
import { schemaReferenceProblem } from "../../src/engine/render/helm-schema-refs.js";

test("references inside the schema and the standard drafts pass", () => {
  for (const schema of [
    { type: "object", properties: { a: { $ref: "#/$defs/a" } }, $defs: { a: { type: "string" } } },
    {
      $schema: "http://json-schema.org/draft-07/schema#",
      definitions: {},
      properties: { b: { $ref: "#/definitions/b" } },
    },
    {
      $schema: "https://json-schema.org/draft/2020-12/schema",
      $id: "https://example.com/chart",
      $dynamicRef: "#meta",
    },
    { allOf: [{ $ref: "#" }], properties: { $ref: { type: "string" } } },
    "not an object",
    null,
  ]) {
    assert.equal(schemaReferenceProblem(schema), undefined, JSON.stringify(schema));
  }
});

test("every other reference is found, with its JSON pointer", () => {
  const cases: [unknown, string, RegExp][] = [
    [
      { properties: { x: { $ref: "file:///etc/passwd" } } },
      "/properties/x/$ref",
      /"file:\/\/\/etc\/passwd" refers outside/,
    ],
    [{ properties: { x: { $ref: "http://127.0.0.1:8080/api" } } }, "/properties/x/$ref", /refers outside/],
    [{ properties: { x: { $ref: "defs.json#/a" } } }, "/properties/x/$ref", /refers outside/],
    [{ properties: { "a/b~c": { $ref: "/etc/hostname" } } }, "/properties/a~1b~0c/$ref", /refers outside/],
    [{ anyOf: [{}, { $recursiveRef: "https://evil/x" }] }, "/anyOf/1/$recursiveRef", /refers outside/],
    [{ $defs: { d: { $dynamicRef: "http://[::1]/x" } } }, "/$defs/d/$dynamicRef", /refers outside/],
    [{ properties: { x: { $ref: 7 } } }, "/properties/x/$ref", /that is not a string/],
    [{ $schema: "http://127.0.0.1/meta" }, "/$schema", /not a standard JSON Schema draft/],
    [
      { items: { $schema: "https://json-schema.org/draft/2020-12/schema/../../x" } },
      "/items/$schema",
      /not a standard/,
    ],
  ];
  for (const [schema, pointer, message] of cases) {
    const problem = schemaReferenceProblem(schema);
    assert.equal(problem?.pointer, pointer, JSON.stringify(schema));
    assert.match(problem?.message ?? "", message);
  }
});

test("a schema nested deeper than any real one is refused, not walked forever", () => {
  let deep: unknown = { type: "string" };
  for (let i = 0; i < 500; i++) deep = { items: deep };
  assert.match(schemaReferenceProblem(deep)?.message ?? "", /nested deeper than 200 levels/);
});
