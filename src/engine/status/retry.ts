// When a failed sync is tried again: spec.syncPolicy.retry.backoff, with Argo CD's defaults
// (5s, doubling, at most 3m). Pure.
import type { RetryBackoff } from "../../model/application.js";
import { parseDuration } from "../../lib/duration.js";

/** A backoff duration in whole milliseconds; undefined unless it is a Go duration of at least 0. */
function backoffMs(text: string): number | undefined {
  const ms = parseDuration(text.trim());
  return ms === undefined || ms < 0 ? undefined : Math.round(ms);
}

export const DEFAULT_BACKOFF = { durationMs: 5_000, factor: 2, maxDurationMs: 180_000 } as const;

/** Problems with the backoff, each naming its field; empty when it is valid. */
export function validateBackoff(backoff: RetryBackoff | undefined): string[] {
  const errors: string[] = [];
  const field = "spec.syncPolicy.retry.backoff";
  for (const key of ["duration", "maxDuration"] as const) {
    const value = backoff?.[key];
    if (value !== undefined && backoffMs(value) === undefined)
      errors.push(`${field}.${key} "${value}" is not a duration (e.g. 5s, 2m, 1h)`);
  }
  if (backoff?.factor !== undefined && !(backoff.factor >= 1))
    errors.push(`${field}.factor must be at least 1`);
  return errors;
}

/** Delay before retry number `retry` (1 for the first retry). */
export function retryDelayMs(backoff: RetryBackoff | undefined, retry: number): number {
  const base =
    (backoff?.duration !== undefined ? backoffMs(backoff.duration) : undefined) ?? DEFAULT_BACKOFF.durationMs;
  const max =
    (backoff?.maxDuration !== undefined ? backoffMs(backoff.maxDuration) : undefined) ??
    DEFAULT_BACKOFF.maxDurationMs;
  const factor = backoff?.factor ?? DEFAULT_BACKOFF.factor;
  return Math.min(max, Math.round(base * factor ** Math.max(0, retry - 1)));
}

/**
 * Milliseconds until the next automatic retry of a failed operation may start: its backoff counted
 * from when it finished, so a reconcile that some other event wakes early waits the rest. 0 when due
 * (or when the operation has no finish time to count from).
 */
export function retryWaitMs(
  failed: { readonly finishedAt?: string; readonly retryCount?: number },
  backoff: RetryBackoff | undefined,
  now: Date,
): number {
  const finished = failed.finishedAt ? Date.parse(failed.finishedAt) : NaN;
  if (Number.isNaN(finished)) return 0;
  return Math.max(0, finished + retryDelayMs(backoff, (failed.retryCount ?? 0) + 1) - now.getTime());
}
