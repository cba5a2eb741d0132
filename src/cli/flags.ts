// Flag values shared by the long-running commands (`tether controller`, `tether server`); each
// failure is a UsageError naming the flag.
import { formatDuration, parseDuration } from "../lib/duration.js";
import { UsageError } from "./errors.js";

// RFC 1123 label, the rule for namespace names.
export function namespaceName(flag: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(value))
    throw new UsageError(`${flag}: "${value}" is not a valid namespace name`);
  return value;
}

/**
 * A duration flag: Go's grammar ("90s", "1h30m", "500ms") or a bare number of seconds, as the
 * flags have always taken; at least `minMs`, in whole milliseconds.
 */
export function durationFlag(flag: string, value: string, minMs = 0): number {
  const text = value.trim();
  const ms = /^\d+(\.\d+)?$/.test(text) ? Number(text) * 1_000 : parseDuration(text);
  if (ms === undefined || !(ms >= minMs)) {
    const least = minMs > 0 ? ` of at least ${formatDuration(minMs)}` : "";
    throw new UsageError(`${flag}: "${value}" is not a duration${least} (e.g. 30s, 5m, 1h30m)`);
  }
  return Math.round(ms);
}
