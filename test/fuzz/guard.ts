// What every fuzz property checks around one call of a parser: it returns or throws only its
// documented error (checked by `allowed`, which also wants the message to name the field at
// fault), it finishes within its time limit (CPU time per case: on a loaded machine, at `nice 19`,
// wall time also counts the minutes spent waiting for a core; a synchronous hang cannot be
// interrupted, so the long runner adds a watchdog for those), and it leaves Object.prototype as it
// found it (a `__proto__` key must stay a key).
import type fc from "fast-check";

export interface FuzzProperty {
  /** `area: what` — the name the runners print. */
  readonly name: string;
  /** The function fuzzed and its file, for the docs and the record. */
  readonly target: string;
  /** Longest one case may take before it counts as a hang, in ms. */
  readonly limitMs: number;
  /** Cases in the unit suite's quick mode: fewer for the slow parsers, so it stays in seconds. */
  readonly quickRuns: number;
  readonly property: () => fc.IRawProperty<unknown, boolean>;
}

/** A generous per-case limit: real cases take well under 10 ms; the machine may be loaded. */
export const DEFAULT_LIMIT_MS = 2_000;

const prototypeKeys = () => Object.getOwnPropertyNames(Object.prototype).join(",");
const cleanPrototype = prototypeKeys();

export class FuzzFailure extends Error {
  override readonly name = "FuzzFailure";
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return `a thrown ${typeof error}: ${String(error)}`;
  return `${error.name}: ${error.message.slice(0, 300)}`;
}

/** CPU time of this process so far, in ms (the parser's thread, plus V8's GC helpers). */
function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1_000;
}

function checkAfter(started: number, limitMs: number): void {
  const took = cpuMs() - started;
  if (took > limitMs)
    throw new FuzzFailure(`one case took ${Math.round(took)} ms of CPU (limit ${limitMs} ms)`);
  if (prototypeKeys() !== cleanPrototype) throw new FuzzFailure("Object.prototype was changed");
  if (({} as Record<string, unknown>)["polluted"] !== undefined)
    throw new FuzzFailure("Object.prototype was polluted");
}

/**
 * Runs `call`; an error is fine when `allowed` returns undefined for it, otherwise its text says
 * why the error is wrong (wrong type, or a message that names no field). Returns the result, or
 * undefined when the call threw an allowed error.
 */
export function guarded<T>(
  limitMs: number,
  call: () => T,
  allowed: (error: unknown) => string | undefined,
): T | undefined {
  const started = cpuMs();
  let result: T | undefined;
  try {
    result = call();
  } catch (error) {
    if (error instanceof FuzzFailure) throw error;
    const wrong = allowed(error);
    if (wrong !== undefined) throw new FuzzFailure(`${wrong} (got ${describe(error)})`, { cause: error });
  }
  checkAfter(started, limitMs);
  return result;
}

/** guarded() for an async parser. */
export async function guardedAsync<T>(
  limitMs: number,
  call: () => Promise<T>,
  allowed: (error: unknown) => string | undefined,
): Promise<T | undefined> {
  const started = cpuMs();
  let result: T | undefined;
  try {
    result = await call();
  } catch (error) {
    if (error instanceof FuzzFailure) throw error;
    const wrong = allowed(error);
    if (wrong !== undefined) throw new FuzzFailure(`${wrong} (got ${describe(error)})`, { cause: error });
  }
  checkAfter(started, limitMs);
  return result;
}

/** An `allowed` check: errors of `type` whose message matches `names` (the field it names). */
export function onlyError(
  type: abstract new (...args: never[]) => Error,
  names: RegExp,
  extra?: (error: Error) => string | undefined,
): (error: unknown) => string | undefined {
  return (error) => {
    if (!(error instanceof type)) return `threw something other than ${type.name}`;
    if (!names.test(error.message)) return `the ${type.name} message names no field (wanted ${names})`;
    return extra?.(error);
  };
}

/** An `allowed` check for parsers that must never throw. */
export const neverThrows = (): string => "threw, but this parser returns its errors as values";

/** Fails the case with `why` unless `ok`. */
export function expect(ok: boolean, why: string): void {
  if (!ok) throw new FuzzFailure(why);
}
