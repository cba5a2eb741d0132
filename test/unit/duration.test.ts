// src/lib/duration.ts against Go: each row is what time.ParseDuration returns for the input (in
// milliseconds here), and each format row what time.Duration.String prints. The rows are Go's own
// test table (time/time_test.go parseDurationTests and durationTests) where it fits in a float.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { DurationError, formatDuration, parseDuration, requireDuration } from "../../src/lib/duration.js";

const PARSES: readonly (readonly [string, number])[] = [
  // simple
  ["0", 0],
  ["5s", 5_000],
  ["30s", 30_000],
  ["1478s", 1_478_000],
  // sign
  ["-5s", -5_000],
  ["+5s", 5_000],
  ["-0", 0],
  ["+0", 0],
  // decimal
  ["5.0s", 5_000],
  ["5.6s", 5_600],
  ["5.s", 5_000],
  [".5s", 500],
  ["1.0s", 1_000],
  ["1.00s", 1_000],
  ["1.004s", 1_004],
  ["1.0040s", 1_004],
  ["100.00100s", 100_001],
  // different units
  ["10ns", 0.00001],
  ["11us", 0.011],
  ["12\u00b5s", 0.012],
  ["12\u03bcs", 0.012],
  ["13ms", 13],
  ["14s", 14_000],
  ["15m", 900_000],
  ["16h", 57_600_000],
  // composite durations
  ["3h30m", 12_600_000],
  ["10.5s4m", 250_500],
  ["-2m3.4s", -123_400],
  ["1h2m3s4ms5us6ns", 3_723_004.005006],
  ["39h9m14.425s", 140_954_425],
  // large value
  ["52763797000ns", 52_763.797],
  // more than 9 digits after the decimal point
  ["0.3333333333333333333h", 1_200_000],
  // largest duration that fits
  ["9223372036854775807ns", Number(2n ** 63n - 1n) / 1_000_000],
  // what Tether's fields and flags took before
  ["1h30m", 5_400_000],
  ["1.5h", 5_400_000],
  ["300ms", 300],
  ["250ms", 250],
  ["1m30s", 90_000],
];

const REFUSED: readonly string[] = [
  "",
  "3",
  "-",
  "s",
  ".",
  "-.",
  ".s",
  "+.s",
  "1d",
  "1 h",
  " 1h",
  "1h ",
  "1hh",
  "1.5.5s",
  "5 minutes",
  "9223372036854775808ns",
  "9223372036855ms",
  "3000000h",
];

const FORMATS: readonly (readonly [number, string])[] = [
  [0, "0s"],
  [0.000001, "1ns"],
  [0.0011, "1.1\u00b5s"],
  [2.2, "2.2ms"],
  [3_300, "3.3s"],
  [252_000, "4m12s"],
  [4_500_000, "1h15m0s"],
  [5_400_000, "1h30m0s"],
  [-4_500_000, "-1h15m0s"],
  [300, "300ms"],
  [90_000, "1m30s"],
  [1_500, "1.5s"],
  [3_723_004.005006, "1h2m3.004005006s"],
];

describe("parseDuration (Go time.ParseDuration)", () => {
  for (const [text, ms] of PARSES) {
    test(JSON.stringify(text), () => assert.equal(parseDuration(text), ms));
  }
  test("refuses what Go refuses", () => {
    for (const text of REFUSED) assert.equal(parseDuration(text), undefined, JSON.stringify(text));
  });
});

describe("formatDuration (Go time.Duration.String)", () => {
  for (const [ms, text] of FORMATS) {
    test(`${ms} ms`, () => assert.equal(formatDuration(ms), text));
  }
  test("round-trips through parseDuration", () => {
    for (const [ms] of FORMATS) assert.equal(parseDuration(formatDuration(ms)), ms);
  });
});

describe("requireDuration", () => {
  test("returns milliseconds", () => assert.equal(requireDuration("spec.interval", "1m30s"), 90_000));
  test("names the field and quotes the value", () => {
    assert.throws(
      () => requireDuration("spec.interval", "5 minutes"),
      (e: unknown) =>
        e instanceof DurationError && /^spec.interval "5 minutes" is not a duration/.test(e.message),
    );
  });
  test("refuses a value below the minimum (0 unless given)", () => {
    assert.throws(
      () => requireDuration("spec.interval", "-1m"),
      /spec.interval "-1m" is not a duration of at least 0s/,
    );
    assert.throws(() => requireDuration("--poll-interval", "500ms", 1_000), /at least 1s/);
    assert.equal(requireDuration("--poll-interval", "1s", 1_000), 1_000);
  });
});
