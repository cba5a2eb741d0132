// dependsOn: ready only when every dependency is Synced and Healthy at its current spec; missing
// dependencies named; cycles through the app (itself included) found and named. Plus the glob
// matcher the project rules and windows use.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { DependencyNode } from "../../src/engine/policy/dependencies.js";
import { dependencyKeys, evaluateDependencies, findCycle } from "../../src/engine/policy/dependencies.js";
import { allowedByPatterns, globMatch } from "../../src/engine/policy/glob.js";

const ready = (dependsOn: string[] = []): DependencyNode => ({
  dependsOn,
  sync: "Synced",
  health: "Healthy",
  generation: 2,
  observedGeneration: 2,
});
const graph = (nodes: Record<string, DependencyNode>) => (key: string) => nodes[key];

describe("dependsOn", () => {
  test("keys default to the app's namespace and are deduplicated", () => {
    assert.deepEqual(
      dependencyKeys("apps", [
        { name: "db" },
        { name: "db", namespace: "apps" },
        { name: "mq", namespace: "infra" },
      ]),
      ["apps/db", "infra/mq"],
    );
  });

  test("no dependencies, or all Synced and Healthy: ready", () => {
    assert.deepEqual(evaluateDependencies("apps/web", graph({ "apps/web": ready() })), { kind: "ready" });
    const g = graph({ "apps/web": ready(["apps/db", "apps/mq"]), "apps/db": ready(), "apps/mq": ready() });
    assert.deepEqual(evaluateDependencies("apps/web", g), { kind: "ready" });
  });

  test("waiting names each blocker and its state; a missing one is 'not found'", () => {
    const g = graph({
      "apps/web": ready(["apps/db", "apps/mq", "apps/cache", "apps/old"]),
      "apps/db": { ...ready(), sync: "OutOfSync" },
      "apps/mq": { ...ready(), health: "Progressing" },
      "apps/old": { ...ready(), generation: 3 },
    });
    const v = evaluateDependencies("apps/web", g);
    assert.equal(v.kind, "waiting");
    assert.deepEqual(v.kind === "waiting" && v.blockers, [
      { key: "apps/db", state: "OutOfSync/Healthy" },
      { key: "apps/mq", state: "Synced/Progressing" },
      { key: "apps/cache", state: "not found" },
      { key: "apps/old", state: "Synced/Healthy, not yet reconciled at its current spec" },
    ]);
    assert.match(
      v.kind === "waiting" ? v.message : "",
      /^waiting for apps\/db \(OutOfSync\/Healthy\), apps\/mq/,
    );
  });

  test("a dependency with no status yet is Unknown", () => {
    const g = graph({ "apps/web": ready(["apps/db"]), "apps/db": { dependsOn: [], generation: 1 } });
    const v = evaluateDependencies("apps/web", g);
    assert.deepEqual(v.kind === "waiting" && v.blockers, [
      { key: "apps/db", state: "Unknown/Unknown, not yet reconciled at its current spec" },
    ]);
  });

  test("cycles: self, two apps, three apps; the message names the cycle", () => {
    assert.deepEqual(findCycle("apps/a", graph({ "apps/a": ready(["apps/a"]) })), ["apps/a", "apps/a"]);
    const two = graph({ "apps/a": ready(["apps/b"]), "apps/b": ready(["apps/a"]) });
    const v = evaluateDependencies("apps/a", two);
    assert.equal(v.kind, "cycle");
    assert.equal(
      v.kind === "cycle" && v.message,
      "spec.dependsOn forms a cycle: apps/a → apps/b → apps/a; nothing is synced until it is broken",
    );
    const three = graph({
      "apps/a": ready(["apps/x", "apps/b"]),
      "apps/x": ready(),
      "apps/b": ready(["apps/c"]),
      "apps/c": ready(["apps/a"]),
    });
    assert.deepEqual(findCycle("apps/a", three), ["apps/a", "apps/b", "apps/c", "apps/a"]);
  });

  test("a cycle elsewhere in the graph is not this app's cycle: it waits", () => {
    const g = graph({
      "apps/a": ready(["apps/b"]),
      "apps/b": { ...ready(["apps/c"]), sync: "OutOfSync" },
      "apps/c": ready(["apps/b"]),
    });
    assert.equal(findCycle("apps/a", g), undefined);
    assert.equal(evaluateDependencies("apps/a", g).kind, "waiting");
  });

  test("a diamond is not a cycle", () => {
    const g = graph({
      "apps/a": ready(["apps/b", "apps/c"]),
      "apps/b": ready(["apps/d"]),
      "apps/c": ready(["apps/d"]),
      "apps/d": ready(),
    });
    assert.deepEqual(evaluateDependencies("apps/a", g), { kind: "ready" });
  });
});

describe("glob", () => {
  test("* spans slashes, ? is one character, the rest is literal", () => {
    assert.ok(globMatch("https://git.example.com/team-a/*", "https://git.example.com/team-a/x/y.git"));
    assert.ok(globMatch("team-?", "team-a"));
    assert.ok(!globMatch("team-?", "team-ab"));
    assert.ok(globMatch("*", ""));
    assert.ok(!globMatch("", "x"));
    assert.ok(!globMatch("a.b", "aXb"), "a dot is literal");
    assert.ok(globMatch("*a*b*c*", "xxaxxbxxcxx"));
  });
  test("allow-lists with ! denials: a denial wins, and an empty list allows nothing", () => {
    assert.ok(allowedByPatterns(["*", "!kube-*"], "default"));
    assert.ok(!allowedByPatterns(["*", "!kube-*"], "kube-system"));
    assert.ok(!allowedByPatterns([], "default"));
    assert.ok(!allowedByPatterns(["!kube-*"], "default"), "only denials: nothing is allowed");
  });
  test("hostile patterns stay fast", () => {
    const started = performance.now();
    assert.ok(!globMatch("*a*a*a*a*a*a*a*a*a*a*b", "a".repeat(5_000)));
    assert.ok(performance.now() - started < 1_000);
  });
});
