// Little languages inside Application and project specs: ignoreDifferences JSON pointers and jq
// paths, CEL expressions (custom health, policy gate), and durations (intervals, sync windows, retry
// backoff).
import fc from "fast-check";
import { CelEnvironment, DEFAULT_CEL_LIMITS } from "../../src/engine/cel/index.js";
import type { JsonObject } from "../../src/engine/diff/index.js";
import { removeIgnoredPaths, validateIgnoreDifferences } from "../../src/engine/diff/ignoreDifferences.js";
import { InvalidSpec } from "../../src/engine/errors.js";
import { DurationError, parseDuration, requireDuration } from "../../src/lib/duration.js";
import { retryDelayMs } from "../../src/engine/status/retry.js";
import { deepJson, hostileJson, hostileString, nastyWord, numberText } from "./arbitraries.js";
import { DEFAULT_LIMIT_MS, expect, type FuzzProperty, guarded, neverThrows, onlyError } from "./guard.js";

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
    "parseDuration and requireDuration (src/lib/duration.ts: image intervals, sync windows, flags), retryDelayMs (src/engine/status/retry.ts)",
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
          () => Math.max(0, requireDuration("spec.interval", text)),
          onlyError(DurationError, /^spec\.interval "/),
        ),
        "requireDuration",
      );
      const parsed = guarded(DEFAULT_LIMIT_MS, () => parseDuration(text), neverThrows);
      expect(
        parsed === undefined || Number.isFinite(parsed),
        `parseDuration("${text.slice(0, 60)}") = ${parsed}`,
      );
      finite(
        guarded(
          DEFAULT_LIMIT_MS,
          () => retryDelayMs({ duration: text, maxDuration: text, factor: 2 }, 3),
          neverThrows,
        ),
        "retryDelayMs",
      );
      return true;
    }),
};

export const EXPRESSION_PROPERTIES: readonly FuzzProperty[] = [ignoreProperty, celProperty, durationProperty];
