// Waiting on conditions, never on fixed sleeps: poll `check` until it yields a value, with a
// deadline and an explanation of what was awaited when the deadline passes.
import { setTimeout as delay } from "node:timers/promises";

export class WaitTimeoutError extends Error {
  override readonly name = "WaitTimeoutError";
}

export interface WaitOptions {
  timeoutMs: number;
  /** First poll interval; doubles up to maxIntervalMs. */
  intervalMs?: number;
  maxIntervalMs?: number;
  /** Rejects early: e.g. the process we wait on has exited. */
  abort?: Promise<Error>;
}

/** Polls until `check` returns something other than undefined/false. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  options: WaitOptions,
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let interval = options.intervalMs ?? 50;
  let lastError: unknown;
  // A holder object: the abort callback sets it asynchronously, which plain `let` narrowing hides.
  const abort: { error?: Error } = {};
  void options.abort?.then((error) => (abort.error = error));
  const throwIfAborted = () => {
    if (abort.error) throw abort.error;
  };
  for (;;) {
    throwIfAborted();
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    throwIfAborted();
    if (Date.now() >= deadline) {
      const detail = lastError instanceof Error ? ` (last error: ${lastError.message})` : "";
      throw new WaitTimeoutError(`${what} did not happen within ${options.timeoutMs} ms${detail}`);
    }
    await delay(Math.min(interval, Math.max(0, deadline - Date.now())));
    interval = Math.min(interval * 2, options.maxIntervalMs ?? 1_000);
  }
}
