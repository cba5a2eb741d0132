// The defects the parser fuzzers found (test/fuzz, docs/security.md "Fuzzing"), each pinned as the
// smallest input that showed it. One test per defect; the fuzz properties keep looking for more.
import assert from "node:assert/strict";
import { test } from "node:test";
import { parsePolicy } from "../../src/api/auth/rbac-policy.js";
import { parseNotificationConfig } from "../../src/controller/notifications/config.js";
import { renderTemplate, unknownPlaceholders } from "../../src/controller/notifications/template.js";
import { WorkQueue } from "../../src/controller/queue.js";
import { parseJqPath } from "../../src/engine/diff/index.js";
import { InvalidSpec, RenderError, SourceError } from "../../src/engine/errors.js";
import { parseDuration, requireDuration } from "../../src/lib/duration.js";
import { excludeTags, selectLatestTag } from "../../src/engine/images/policy.js";
import { validateSyncWindows } from "../../src/engine/policy/syncwindows.js";
import { parseManifests } from "../../src/engine/render/manifests.js";
import { SopsValueError, decryptValue } from "../../src/engine/render/sops/cipher.js";
import { readMetadata } from "../../src/engine/render/sops/metadata.js";
import { decryptSopsFile } from "../../src/engine/render/sops/decrypt.js";
import { canonicalRepoUrl } from "../../src/engine/source/url.js";
import { parseKubeConfig } from "../../src/kube/kubeconfig.js";

const elapsed = (run: () => unknown): number => {
  const started = performance.now();
  run();
  return performance.now() - started;
};

test("fuzz regression: a duration of 400 nines is refused, not Infinity", () => {
  const huge = `${"9".repeat(400)}h`;
  assert.throws(
    () => requireDuration("spec.interval", huge),
    /^DurationError: spec\.interval "9+h" is not a duration/,
  );
  assert.equal(parseDuration(huge), undefined);
  // A fraction of 400 digits is no NaN either (Go reads only the digits that count).
  assert.equal(parseDuration(`.${"9".repeat(400)}h`), 3_600_000);
  const errors = validateSyncWindows([{ kind: "allow", schedule: "0 * * * *", duration: huge }]);
  assert.match(errors[0] ?? "", /^spec\.syncWindows\[0\]\.duration "9+h" is not a duration/);
});

test("fuzz regression: a requeue past 2^31 ms waits instead of firing at once", async () => {
  let runs = 0;
  const queue = new WorkQueue({
    workers: 1,
    handler: () => {
      runs++;
      return Promise.resolve();
    },
  });
  queue.addAfter("repo", requireDuration("spec.interval", "1000h"));
  // Node turns an overflowing timer into a 1 ms one; 50 ms is plenty to see it fire.
  await new Promise((resolve) => setTimeout(resolve, 50));
  queue.stop();
  assert.equal(runs, 0);
});

test("fuzz regression: a notification template of '{{' and 4,000 spaces renders in linear time", () => {
  const template = `{{${" ".repeat(4_000)}`;
  const values = {
    app: "a",
    namespace: "",
    project: "",
    revision: "",
    author: "",
    message: "",
    status: "",
    detail: "",
    trigger: "",
  };
  assert.ok(elapsed(() => renderTemplate(template, values)) < 1_000);
  assert.ok(elapsed(() => unknownPlaceholders(template)) < 1_000);
  // Spaces around a name are still allowed.
  assert.equal(renderTemplate("{{  app }}!", values), "a!");
  assert.deepEqual(unknownPlaceholders("{{ app }} {{ nope }}"), ["nope"]);
});

test("fuzz regression: a key starting with a reserved character is a YAML error with its line", async () => {
  assert.throws(
    () => parseManifests("apiVersion: v1\n@kind: x\n", "a.yaml", { maxAliasCount: 10 }),
    (e: unknown) =>
      e instanceof RenderError &&
      e.reason === "InvalidManifest" &&
      /^a\.yaml:2: invalid YAML/.test(e.message),
  );
  assert.throws(() => parseKubeConfig("`clusters: []\n", "kubeconfig"), /^Error: kubeconfig:1: /);
  // Not a SOPS file then: the plain manifest parser reports it.
  assert.equal(
    await decryptSopsFile("@a: 1\nsops: {}\n", "s.yaml", undefined, { maxAliasCount: 10 }),
    undefined,
  );
});

test("fuzz regression: a host with an empty label is refused (its identity was not a fixed point)", () => {
  assert.throws(() => canonicalRepoUrl("https://__proto__../@github.com/"), SourceError);
  assert.throws(() => canonicalRepoUrl("https://example.com../org/repo"), /the host name is invalid/);
  assert.equal(canonicalRepoUrl("https://example.com./org/repo"), "https://example.com/org/repo");
});

test("fuzz regression: a jq path with a bad escape is InvalidSpec, not a SyntaxError", () => {
  for (const expression of ['.a["\\x"]', '.a."\\u12"', '.a["\u0001"]', '.a | select(.b == "\\q")']) {
    assert.throws(
      () => parseJqPath(expression),
      (e: unknown) => e instanceof InvalidSpec && /invalid string/.test(e.message),
      expression,
    );
  }
  assert.deepEqual(parseJqPath('.a["\\u0041\\n"]'), [
    { kind: "field", name: "a" },
    { kind: "field", name: "A\n" },
  ]);
});

test("fuzz regression: a SOPS value of repeated separators is refused in linear time", () => {
  const value = `ENC[AES256_GCM,data:${",iv:,tag:,type:".repeat(3_000)}`;
  let error: unknown;
  const took = elapsed(() => {
    try {
      decryptValue(value, Buffer.alloc(32), "a:");
    } catch (e) {
      error = e;
    }
  });
  assert.ok(error instanceof SopsValueError);
  assert.ok(took < 1_000, `${Math.round(took)} ms`);
});

test("fuzz regression: RBAC policy and notification config YAML are bounded (depth, duplicate keys)", () => {
  const deep = `${"[".repeat(3_000)}${"]".repeat(3_000)}`;
  const policy = parsePolicy(`roles: ${deep}`);
  assert.equal(policy.ok, false);
  assert.match(
    !policy.ok ? (policy.issues[0]?.message ?? "") : "",
    /^invalid YAML: nesting deeper than 200 levels at roles/,
  );
  const dup = parsePolicy("roles: []\nroles: []\n");
  assert.deepEqual(!dup.ok && dup.issues, [
    { line: 2, field: "", message: 'invalid YAML: duplicate keys: "roles"' },
  ]);
  assert.equal(parsePolicy("").ok, true);
  const { errors } = parseNotificationConfig({ targets: deep, triggers: "- {a: 1, a: 2}" });
  assert.match(
    errors.find((e) => e.key === "targets")?.message ?? "",
    /^not valid YAML: line 1: nesting deeper than 200 levels/,
  );
  assert.match(
    errors.find((e) => e.key === "triggers")?.message ?? "",
    /^not valid YAML: line 1: duplicate key "a"/,
  );
});

test("fuzz regression: a regex too large to compile is refused where it is read, naming the field", () => {
  const pattern = " ".repeat(32_768); // V8 builds it, then fails on the first test()
  assert.throws(() => excludeTags(["v1.2.3"], [pattern]), /^Error: spec\.exclusionList\[0\] /);
  const decision = selectLatestTag(["v1.2.3"], {
    imageRepositoryRef: { name: "r" },
    filterTags: { pattern },
    policy: { alphabetical: {} },
  });
  assert.equal(decision.ok, false);
  assert.match(!decision.ok ? decision.message : "", /^spec\.filterTags\.pattern: /);
  assert.throws(
    () => readMetadata({ lastmodified: "2024-01-01T00:00:00Z", mac: "x", encrypted_regex: pattern }),
    (e: unknown) => e instanceof SopsValueError && /sops\.encrypted_regex/.test(e.message),
  );
});
