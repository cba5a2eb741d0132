// Durations as Go writes them, because every duration Tether reads comes from a manifest or a flag
// that Argo CD and Flux users already write for Go programs: "1h30m", "300ms", "1.5h", "-1m", "0".
// One grammar for every field and flag, so a value that works in one place works in all of them.
// Values are milliseconds (what setTimeout and Date take); parsing follows Go's time.ParseDuration
// rule for rule, formatting follows time.Duration.String.

const NANOS_PER_UNIT: Readonly<Record<string, number>> = {
  ns: 1,
  us: 1_000,
  "\u00b5s": 1_000, // µ MICRO SIGN
  "\u03bcs": 1_000, // μ GREEK SMALL LETTER MU
  ms: 1_000_000,
  s: 1_000_000_000,
  m: 60_000_000_000,
  h: 3_600_000_000_000,
};

/** Go's limit: a duration is an int64 count of nanoseconds (about 292 years). */
const MAX_NANOS = 2n ** 63n - 1n;
const NANOS_PER_MS = 1_000_000;

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= "0" && c <= "9";
}

/**
 * A Go duration in milliseconds (fractional below 1ms), or undefined when `text` is not one.
 * Grammar: an optional sign, then "0", or one or more `<decimal><unit>` with unit ns, us (µs, μs),
 * ms, s, m or h — e.g. "1h30m", "1.5h", ".5s", "-1m". No spaces; a unit is required except for "0".
 */
export function parseDuration(text: string): number | undefined {
  let rest = text;
  let negative = false;
  if (rest.startsWith("-") || rest.startsWith("+")) {
    negative = rest.startsWith("-");
    rest = rest.slice(1);
  }
  if (rest === "0") return 0;
  if (rest === "") return undefined;
  let total = 0n;
  while (rest !== "") {
    if (!(rest[0] === "." || isDigit(rest[0]))) return undefined;
    const number = /^(\d*)(?:\.(\d*))?/.exec(rest);
    const whole = number?.[1] ?? "";
    const fraction = number?.[2];
    if (whole === "" && !fraction) return undefined; // no digits at all, e.g. ".s"
    rest = rest.slice(number?.[0].length ?? 0);
    let unitEnd = 0;
    while (unitEnd < rest.length && !(rest[unitEnd] === "." || isDigit(rest[unitEnd]))) unitEnd += 1;
    if (unitEnd === 0) return undefined; // missing unit
    const unit = NANOS_PER_UNIT[rest.slice(0, unitEnd)];
    if (unit === undefined) return undefined;
    rest = rest.slice(unitEnd);
    // Integer part exactly; the fraction as Go does it, in floating point truncated to a nanosecond.
    total += BigInt(whole || "0") * BigInt(unit);
    // Digits past the 19th (where Go stops reading them too) are below a nanosecond of an hour (and would make Number() Infinity).
    const digits = fraction?.slice(0, 19);
    if (digits) total += BigInt(Math.trunc(Number(digits) * (unit / 10 ** digits.length)));
    if (total > MAX_NANOS + (negative ? 1n : 0n)) return undefined;
  }
  const ms = Number(total) / NANOS_PER_MS;
  return negative && ms !== 0 ? -ms : ms;
}

/** Why a field's value was refused: names the field, quotes the value, shows what would do. */
export class DurationError extends Error {
  override readonly name = "DurationError";
}

/**
 * `parseDuration` for a field that must hold one: throws a DurationError naming `field` when
 * `text` is not a duration or is below `minMs` (0 by default: a negative interval means nothing).
 */
export function requireDuration(field: string, text: string, minMs = 0): number {
  const ms = parseDuration(text);
  if (ms === undefined) throw new DurationError(`${field} "${text}" is not a duration (e.g. 30s, 5m, 1h30m)`);
  if (ms < minMs) {
    throw new DurationError(`${field} "${text}" is not a duration of at least ${formatDuration(minMs)}`);
  }
  return ms;
}

/** Go's digits of `value / 10^precision` after the point, trailing zeros dropped ("" when none). */
function fractionDigits(value: bigint, precision: number): string {
  const scale = 10n ** BigInt(precision);
  const digits = (value % scale).toString().padStart(precision, "0").replace(/0+$/, "");
  return digits === "" ? "" : `.${digits}`;
}

/** A duration as Go's time.Duration.String prints it: "1h30m0s", "1.5s", "300ms", "0s". */
export function formatDuration(ms: number): string {
  let nanos = BigInt(Math.round(ms * NANOS_PER_MS));
  const sign = nanos < 0n ? "-" : "";
  if (nanos < 0n) nanos = -nanos;
  if (nanos === 0n) return "0s";
  if (nanos < 1_000n) return `${sign}${nanos}ns`;
  if (nanos < 1_000_000n) return `${sign}${nanos / 1_000n}${fractionDigits(nanos, 3)}\u00b5s`;
  if (nanos < 1_000_000_000n) return `${sign}${nanos / 1_000_000n}${fractionDigits(nanos, 6)}ms`;
  const seconds = nanos / 1_000_000_000n;
  const text = `${seconds % 60n}${fractionDigits(nanos, 9)}s`;
  const minutes = seconds / 60n;
  if (minutes === 0n) return `${sign}${text}`;
  const hours = minutes / 60n;
  return `${sign}${hours > 0n ? `${hours}h` : ""}${minutes % 60n}m${text}`;
}
