// The CEL environment shared by custom health (and later the policy gate), and the reload logic of
// the health rules: compile once, errors as values, cost limits, and which apps a change concerns.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { CelEnvironment } from "../../src/engine/cel/index.js";
import { compileHealthCustomizations, customHealth } from "../../src/engine/health/index.js";
import { type AffectedKinds, HealthConfig, healthCheckCondition } from "../../src/controller/healthconfig.js";

const cert = (status?: unknown) => ({
  apiVersion: "cert.example.com/v1",
  kind: "Certificate",
  metadata: { name: "c" },
  ...(status ? { status } : {}),
});
const RULES = `
- group: cert.example.com
  kind: Certificate
  rules:
    - when: "!has(object.status)"
      status: Progressing
`;

describe("CelEnvironment", () => {
  test("compiles each text once and answers later compiles from the cache", () => {
    const cel = new CelEnvironment({ object: "map" });
    const a = cel.compile("object.a == 1", "bool");
    const b = cel.compile("object.a == 1", "bool");
    assert.ok(a.ok && b.ok);
    assert.equal(a.value, b.value, "the same program object");
    assert.equal(cel.cachedPrograms, 1);
    compileHealthCustomizations(RULES, "x", cel);
    compileHealthCustomizations(RULES, "x", cel);
    assert.equal(cel.cachedPrograms, 2, "a reload of the same rules compiles nothing new");
  });

  test("evicts the least recently used program beyond the cache size", () => {
    const cel = new CelEnvironment({ object: "map" }, { limits: { cacheSize: 2 } });
    cel.compile("1 == 1", "bool");
    cel.compile("2 == 2", "bool");
    cel.compile("1 == 1", "bool");
    cel.compile("3 == 3", "bool");
    assert.equal(cel.cachedPrograms, 2);
  });

  test("errors are values: parse, type, evaluation, result type", () => {
    const cel = new CelEnvironment({ object: "map" });
    assert.deepEqual(cel.compile("", "bool"), { ok: false, error: "empty expression" });
    const parse = cel.compile("object.a ==", "bool");
    assert.equal(parse.ok, false);
    const type = cel.compile('1 + "a"', "bool");
    assert.ok(!type.ok && /no such overload/.test(type.error));
    const str = cel.compile('"a"', "bool");
    assert.ok(!str.ok && /type string, expected bool/.test(str.error));
    const run = cel.compile("object.missing.x == 1", "bool");
    assert.ok(run.ok);
    assert.deepEqual(run.value.run({ object: {} }), { ok: false, error: "No such key: missing" });
  });

  test("limits: length, AST size, comprehension nesting, time budget", () => {
    const cel = new CelEnvironment({ object: "map" }, { limits: { maxLength: 20, maxAstNodes: 2_000 } });
    const long = cel.compile("object.aaaaaaaaaaaaaaaaaaaa == 1", "bool");
    assert.ok(!long.ok && /limit 20/.test(long.error));
    const nested = new CelEnvironment({ object: "map" }).compile(
      "object.l.all(a, object.l.all(b, object.l.all(c, a == b)))",
      "bool",
    );
    assert.ok(!nested.ok && /nest 3 deep/.test(nested.error));
    let clock = 0;
    const slow = new CelEnvironment(
      { object: "map" },
      { now: () => (clock += 100), limits: { timeBudgetMs: 50 } },
    );
    const program = slow.compile("object.a == 1", "bool");
    assert.ok(program.ok);
    const result = program.value.run({ object: { a: 1 } });
    assert.ok(!result.ok && /budget 50 ms/.test(result.error));
  });

  test("integers come back as plain numbers", () => {
    const program = new CelEnvironment({ object: "map" }).compile("[object.a, 2]", "dyn");
    assert.ok(program.ok);
    assert.deepEqual(program.value.run({ object: { a: 1 } }), { ok: true, value: [1, 2] });
  });
});

describe("custom health rules", () => {
  test("first matching rule wins; entries for the same kind are tried in order", () => {
    const rules = compileHealthCustomizations(
      `
- {group: cert.example.com, kind: Certificate, rules: [{when: "false", status: Degraded}]}
- {group: cert.example.com, kind: Certificate, rules: [{when: "true", status: Suspended}, {when: "true", status: Degraded}]}
`,
      "x",
      new CelEnvironment({ object: "map" }),
    );
    assert.deepEqual(customHealth(rules, cert()), { health: { status: "Suspended" } });
  });

  test("an entry without kind is an error of the whole configuration", () => {
    const rules = compileHealthCustomizations(
      "- {group: a, rules: []}",
      "src",
      new CelEnvironment({ object: "map" }),
    );
    assert.deepEqual(rules.errors, ["src[0]: kind is required"]);
  });
});

describe("HealthConfig reload", () => {
  test("a change reports the kinds of the old and new rules; broken rules concern every app", () => {
    const seen: AffectedKinds[] = [];
    const config = new HealthConfig({ namespace: "tether-system", onChange: (k) => seen.push(k) });
    assert.equal(config.evaluate(cert()).health.status, "Healthy", "built-in before any rules");
    config.load(RULES);
    assert.deepEqual(seen.at(-1), new Set(["cert.example.com/Certificate"]));
    assert.equal(config.evaluate(cert()).health.status, "Progressing");
    config.load(RULES);
    assert.equal(seen.length, 1, "the same text is no change");
    config.load("- {kind: ConfigMap, rules: [{when: 'true', status: Healthy}]}");
    assert.deepEqual(seen.at(-1), new Set(["cert.example.com/Certificate", "/ConfigMap"]));
    config.load("[");
    assert.equal(seen.at(-1), "*");
    assert.match(
      config.errors[0] ?? "",
      /^ConfigMap tether-system\/tether-config key health.customizations: invalid YAML/,
    );
    config.load(undefined);
    assert.equal(seen.at(-1), "*", "fixing broken rules clears the condition on every app");
    assert.equal(config.evaluate(cert()).health.status, "Healthy");
  });

  test("the app condition appears with errors and goes away without them", () => {
    const now = new Date("2025-01-01T00:00:00Z");
    const set = healthCheckCondition([], ["boom"], now);
    assert.deepEqual(
      set.map((c) => [c.type, c.reason, c.message]),
      [["HealthCheckError", "InvalidHealthRule", "boom"]],
    );
    assert.deepEqual(healthCheckCondition(set, [], now), []);
  });
});
