// Text from Application, project, image and ConfigMap specs that is a little language of its own:
// ignoreDifferences JSON pointers and jq paths, CEL expressions, durations, RBAC policy YAML,
// notification templates and config, image references and tag policies.
import fc from "fast-check";
import { parsePolicy } from "../../src/api/auth/rbac-policy.js";
import { parseNotificationConfig } from "../../src/controller/notifications/config.js";
import { renderTemplate, unknownPlaceholders } from "../../src/controller/notifications/template.js";
import { CelEnvironment, DEFAULT_CEL_LIMITS } from "../../src/engine/cel/index.js";
import type { JsonObject } from "../../src/engine/diff/index.js";
import { removeIgnoredPaths, validateIgnoreDifferences } from "../../src/engine/diff/ignoreDifferences.js";
import { InvalidSpec } from "../../src/engine/errors.js";
import { parseDuration as imageDuration } from "../../src/engine/images/duration.js";
import { excludeTags, selectLatestTag } from "../../src/engine/images/policy.js";
import { InvalidImageReference, parseImageReference } from "../../src/engine/images/reference.js";
import { parseDuration as windowDuration } from "../../src/engine/policy/syncwindows.js";
import { parseGoDuration } from "../../src/engine/status/retry.js";
import {
  deepJson,
  hostileJson,
  hostileString,
  hostileYamlText,
  mutationsOf,
  nastyWord,
  numberText,
} from "./arbitraries.js";
import { DEFAULT_LIMIT_MS, expect, type FuzzProperty, guarded, neverThrows, onlyError } from "./guard.js";
import { semverRange } from "./props-source.js";

const token = fc.oneof(
  nastyWord,
  fc.constantFrom("spec", "containers", "0", "-", "~0", "~1", "~", "~2", "[]"),
  hostileString,
);
const pointer = fc.oneof(
  fc.array(token, { maxLength: 8 }).map((t) => `/${t.join("/")}`),
  hostileString,
);
const jqPiece = fc.oneof(
  fc.constantFrom(
    ".",
    "..",
    "[]",
    "[0]",
    "[99999999999999999999]",
    '["a"]',
    '."k"',
    "|",
    " | ",
    "select(",
    ")",
    "==",
    "!=",
    "null",
    "true",
    "1e400",
    '"\\x"',
    '"\\u12"',
    '["\\x"]',
    '."\\u12"',
    '["\u0001"]',
    '"\u0000"',
    '"',
    "?",
    "[",
    "]",
    ".a",
    ".__proto__",
    ".constructor",
  ),
  nastyWord,
  fc.string({ maxLength: 6 }),
);
const jqPath = fc.oneof(
  fc.array(jqPiece, { minLength: 1, maxLength: 12 }).map((p) => p.join("")),
  fc.integer({ min: 1, max: 20_000 }).map((n) => ".a".repeat(n)),
  fc.integer({ min: 1, max: 2_000 }).map((n) => `${".a | select(".repeat(n)}.a == 1${")".repeat(n)}`),
  hostileString,
);

const ignoreProperty: FuzzProperty = {
  name: "diff: ignoreDifferences JSON pointers and jq paths",
  quickRuns: 300,
  target: "validateIgnoreDifferences, removeIgnoredPaths (src/engine/diff/ignoreDifferences.ts)",
  limitMs: DEFAULT_LIMIT_MS,
  property: () =>
    fc.property(
      fc.array(pointer, { maxLength: 3 }),
      fc.array(jqPath, { maxLength: 3 }),
      fc.oneof(hostileJson, deepJson),
      (jsonPointers, jqPathExpressions, live) => {
        const rules = [{ kind: "*", jsonPointers, jqPathExpressions }];
        const allowed = onlyError(InvalidSpec, /^spec\.ignoreDifferences\[0\]: /);
        let valid = true;
        guarded(
          DEFAULT_LIMIT_MS,
          () => validateIgnoreDifferences(rules),
          (e) => ((valid = false), allowed(e)),
        );
        if (!valid) return true;
        const obj = (
          typeof live === "object" && live !== null && !Array.isArray(live) ? live : { spec: live }
        ) as JsonObject;
        // A rule that validated never fails at comparison time.
        guarded(DEFAULT_LIMIT_MS, () => removeIgnoredPaths(obj, rules), neverThrows);
        return true;
      },
    ),
};

const cel = new CelEnvironment({ object: "map" });
const celPiece = fc.oneof(
  fc.constantFrom(
    "object",
    ".spec",
    ".status",
    "[0]",
    '["a"]',
    "has(",
    ")",
    "(",
    "size(",
    ".all(x, ",
    ".exists(y, ",
    ".map(z, ",
    ".filter(w, ",
    "x",
    "y",
    "z",
    "==",
    "!=",
    " && ",
    " || ",
    "!",
    "?",
    ":",
    "+",
    "*",
    "/",
    "%",
    "1",
    "-9223372036854775808",
    "18446744073709551615u",
    "1e400",
    "0.0",
    '"s"',
    "b'\\xff'",
    "[",
    "]",
    "{",
    "}",
    ",",
    "true",
    "null",
    "int(",
    "string(",
    "matches(",
    "'(a+)+$'",
    ".?x",
    "optional.of(",
    "dyn(",
    "type(",
    "timestamp(",
    "duration(",
  ),
  nastyWord,
);
const celText = fc.oneof(
  fc.array(celPiece, { minLength: 1, maxLength: 25 }).map((p) => p.join("")),
  fc.integer({ min: 1, max: 5_000 }).map((n) => "(".repeat(n) + "1" + ")".repeat(n)),
  fc.integer({ min: 1, max: 3_000 }).map((n) => "!".repeat(n) + "true"),
  fc.integer({ min: 1, max: 2_000 }).map((n) => Array(n).fill("1").join(" + ")),
  fc.integer({ min: 1, max: 6 }).map((n) => `${"object.spec.items.all(x, ".repeat(n)}true${")".repeat(n)}`),
  fc.string({ maxLength: 5_000 }),
);
// A CEL evaluation has its own time budget (reported as an error); the guard allows a bit more.
const CEL_LIMIT_MS = DEFAULT_CEL_LIMITS.timeBudgetMs + DEFAULT_LIMIT_MS;

const celProperty: FuzzProperty = {
  name: "cel: expression compile and evaluate (cost and time limits)",
  quickRuns: 200,
  target: "CelEnvironment.compile / run (src/engine/cel/environment.ts)",
  limitMs: CEL_LIMIT_MS,
  property: () =>
    fc.property(
      celText,
      fc.constantFrom("bool", "string", "dyn" as const),
      fc.oneof(hostileJson, deepJson),
      (text, type, spec) => {
        const compiled = guarded(CEL_LIMIT_MS, () => cel.compile(text, type), neverThrows);
        if (compiled?.ok) {
          const items = Array.from({ length: 200 }, (_, i) => i);
          const result = guarded(
            CEL_LIMIT_MS,
            () => compiled.value.run({ object: { spec: { items, x: spec }, status: spec } }),
            neverThrows,
          );
          expect(
            result !== undefined && (result.ok || result.error.length > 0),
            "an error without a message",
          );
        } else expect(compiled !== undefined && compiled.error.length > 0, "a refusal without a message");
        return true;
      },
    ),
};

const durationText = fc.oneof(
  fc
    .array(fc.tuple(numberText, fc.constantFrom("h", "m", "s", "ms", "us", "ns", "d", "", " ")), {
      maxLength: 5,
    })
    .map((parts) => parts.map(([n, u]) => n + u).join("")),
  fc.integer({ min: 1, max: 400 }).map((n) => `${"9".repeat(n)}h`),
  fc.integer({ min: 1, max: 20_000 }).map((n) => "1h".repeat(n)),
  hostileString,
);

const durationProperty: FuzzProperty = {
  name: "durations: intervals, sync windows, retry backoff",
  quickRuns: 300,
  target:
    "parseDuration (src/engine/images/duration.ts, src/engine/policy/syncwindows.ts), parseGoDuration (src/engine/status/retry.ts)",
  limitMs: DEFAULT_LIMIT_MS,
  property: () =>
    fc.property(durationText, (text) => {
      const finite = (ms: number | undefined, who: string) =>
        expect(
          ms === undefined || (Number.isFinite(ms) && ms >= 0),
          `${who}("${text.slice(0, 60)}") = ${ms}`,
        );
      finite(
        guarded(
          DEFAULT_LIMIT_MS,
          () => imageDuration(text, "spec.interval"),
          onlyError(Error, /^spec\.interval "/),
        ),
        "images parseDuration",
      );
      finite(
        guarded(DEFAULT_LIMIT_MS, () => windowDuration(text), neverThrows),
        "sync window parseDuration",
      );
      finite(
        guarded(DEFAULT_LIMIT_MS, () => parseGoDuration(text), neverThrows),
        "parseGoDuration",
      );
      return true;
    }),
};

const policy = {
  defaultRole: "readonly",
  roles: [
    { name: "dev", rules: [{ actions: ["get", "sync"], projects: ["team-*"], applications: ["team-a/*"] }] },
  ],
  bindings: [{ role: "dev", users: ["alice"], groups: ["g"] }],
};

const rbacProperty: FuzzProperty = {
  name: "auth: RBAC policy text",
  quickRuns: 100,
  target: "parsePolicy (src/api/auth/rbac-policy.ts)",
  limitMs: DEFAULT_LIMIT_MS,
  property: () =>
    fc.property(
      fc.oneof(
        mutationsOf(policy).map((v) => JSON.stringify(v)),
        hostileYamlText,
      ),
      (text) => {
        const result = guarded(DEFAULT_LIMIT_MS, () => parsePolicy(text), neverThrows);
        if (result && !result.ok) {
          expect(result.issues.length > 0, "refused without an issue");
          for (const issue of result.issues)
            expect(
              issue.message.length > 0 && (issue.field !== "" || issue.line !== undefined),
              `an issue naming nothing: ${JSON.stringify(issue)}`,
            );
        }
        return true;
      },
    ),
};

const VALUES = {
  app: "a",
  namespace: "n",
  project: "p",
  revision: "r",
  author: "{{app}}",
  message: "<@U1> & {{x}}",
  status: "s",
  detail: "d",
  trigger: "t",
};
const templateText = fc
  .array(
    fc.oneof(
      fc.constantFrom("{{", "}}", "{{ app }}", "{{app}}", "{{x}}", "{{{", "}}}", "{", "}", " "),
      nastyWord,
      fc.string({ maxLength: 5 }),
    ),
    { maxLength: 40 },
  )
  .map((p) => p.join(""));

const notifyProperty: FuzzProperty = {
  name: "notifications: templates and config",
  quickRuns: 100,
  target: "renderTemplate, unknownPlaceholders (template.ts), parseNotificationConfig (config.ts)",
  limitMs: DEFAULT_LIMIT_MS,
  property: () =>
    fc.property(
      fc.oneof(
        templateText,
        fc.integer({ min: 1, max: 2_000 }).map((n) => "{{".repeat(n) + " ".repeat(n)),
      ),
      fc.dictionary(
        fc.oneof(
          fc.constantFrom("targets", "triggers", "optIn", "template.sync-failed", "template.x"),
          nastyWord,
        ),
        fc.oneof(hostileYamlText, templateText),
        { maxKeys: 4 },
      ),
      (template, data) => {
        guarded(DEFAULT_LIMIT_MS, () => unknownPlaceholders(template), neverThrows);
        const text = guarded(DEFAULT_LIMIT_MS, () => renderTemplate(template, VALUES), neverThrows) ?? "";
        expect(
          text.length <= template.length + 9 * 1_000 * Math.ceil(template.length / 6 + 1),
          "output grows without bound",
        );
        const parsed = guarded(DEFAULT_LIMIT_MS, () => parseNotificationConfig(data), neverThrows);
        for (const e of parsed?.errors ?? [])
          expect(e.message !== "" && e.key in data, `an error naming no key: ${JSON.stringify(e)}`);
        return true;
      },
    ),
};

const imageRef = fc.oneof(
  fc
    .tuple(
      fc.option(fc.constantFrom("ghcr.io", "localhost:5000", "127.0.0.1:5000", "[::1]:5000", "a.b")),
      fc.array(fc.oneof(fc.constantFrom("org", "app", "a__b", "a--b", "A", "-a"), nastyWord), {
        minLength: 1,
        maxLength: 4,
      }),
      fc.option(hostileString),
      fc.option(fc.constantFrom("sha256:" + "a".repeat(64), "", "x")),
    )
    .map(
      ([reg, parts, tag, digest]) =>
        `${reg === null ? "" : `${reg}/`}${parts.join("/")}${tag === null ? "" : `:${tag}`}${digest === null ? "" : `@${digest}`}`,
    ),
  hostileString,
);
const tagPattern = fc.oneof(
  fc.constantFrom(
    "^v(?P<v>[0-9.]+)$",
    "^main-[a-f0-9]+-(?P<ts>[0-9]+)",
    "(",
    "[",
    "(?P<",
    "\\",
    "*",
    "(?<a>x)(?<a>y)",
    ".*",
  ),
  hostileString,
);

const imageProperty: FuzzProperty = {
  name: "images: image references and tag policies",
  quickRuns: 200,
  target: "parseImageReference (reference.ts), selectLatestTag, excludeTags (src/engine/images/policy.ts)",
  limitMs: DEFAULT_LIMIT_MS,
  property: () =>
    fc.property(
      imageRef,
      fc.array(
        fc.oneof(
          hostileString,
          semverRange,
          fc.constantFrom("v1.2.3", "1.0.0-rc.1", "20240101", "main-abc-17"),
        ),
        { maxLength: 20 },
      ),
      tagPattern,
      fc.oneof(
        semverRange.map((range) => ({ semver: { range } })),
        fc.constantFrom(
          { alphabetical: { order: "asc" as const } },
          { numerical: { order: "desc" as const } },
          {},
        ),
        hostileJson,
      ),
      (ref, tags, pattern, policy) => {
        guarded(
          DEFAULT_LIMIT_MS,
          () => parseImageReference(ref),
          onlyError(InvalidImageReference, /^image "/),
        );
        const spec = {
          imageRepositoryRef: { name: "r" },
          filterTags: { pattern, extract: "$v$ts$1" },
          policy,
        } as never;
        const decision = guarded(DEFAULT_LIMIT_MS, () => selectLatestTag(tags, spec), neverThrows);
        if (decision && !decision.ok)
          expect(/^spec\.|tag|match/.test(decision.message), `a refusal naming nothing: ${decision.message}`);
        if (decision?.ok) expect(tags.includes(decision.tag), `chose "${decision.tag}", not a tag`);
        guarded(
          DEFAULT_LIMIT_MS,
          () => excludeTags(tags, [pattern]),
          onlyError(Error, /^spec\.exclusionList\[0\] /),
        );
        return true;
      },
    ),
};

export const POLICY_PROPERTIES: readonly FuzzProperty[] = [
  ignoreProperty,
  celProperty,
  durationProperty,
  rbacProperty,
  notifyProperty,
  imageProperty,
];
