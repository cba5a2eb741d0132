// One CEL environment for user expressions evaluated against Kubernetes objects: custom health
// rules today, a policy gate tomorrow. Both need the same guarantees, so they live here once:
//   - compile once: programs are cached by (expected type, text), so a reload of the same rules,
//     or the same rule in several places, is parsed and type-checked once;
//   - bounded cost: CEL has no loops, so the cost of a program is bounded by its size and by how
//     deeply comprehensions (all/exists/map/filter) nest over the input; both are limited at
//     compile time, and an evaluation that still runs past the time budget is reported as an error;
//   - errors are values: compiling and evaluating return {ok: false, error} with CEL's message,
//     never throw, so one bad expression cannot take a reconcile down with it.
// Pure: no I/O; the clock used for the time budget is injectable.
import { Environment } from "@marcbachmann/cel-js";
import { errorMessage } from "../../lib/errormessage.js";

export type CelType = "bool" | "string" | "dyn";

export type CelResult<T> = { ok: true; value: T } | { ok: false; error: string };

export interface CelProgram {
  readonly text: string;
  readonly type: CelType;
  /** Runs the program; `vars` are plain JSON values (a live object, a request). */
  run(vars: Readonly<Record<string, unknown>>): CelResult<unknown>;
}

export interface CelLimits {
  /** Longest expression accepted, in characters. */
  readonly maxLength: number;
  /** Most AST nodes in one expression. */
  readonly maxAstNodes: number;
  /** Deepest nesting of comprehension macros (exists inside map is 2). */
  readonly maxComprehensionDepth: number;
  /** Wall time one evaluation may take before its result is discarded as an error. */
  readonly timeBudgetMs: number;
  /** Compiled programs kept (least recently used are dropped beyond this). */
  readonly cacheSize: number;
}

export const DEFAULT_CEL_LIMITS: CelLimits = {
  maxLength: 4_096,
  maxAstNodes: 2_000,
  maxComprehensionDepth: 2,
  // Generous on purpose: the static limits above already bound the cost, and a tight wall-clock
  // budget turns a GC pause or a busy CPU into a flapping Unknown health. This only catches the
  // pathological (a huge list scanned by a nested comprehension).
  timeBudgetMs: 1_000,
  cacheSize: 1_000,
};

const COMPREHENSIONS = new Set(["all", "exists", "exists_one", "map", "filter"]);

interface AstNode {
  op: string;
  args: unknown;
}

const isNode = (value: unknown): value is AstNode =>
  typeof value === "object" && value !== null && "op" in value && typeof (value as AstNode).op === "string";

/** How deeply comprehension macros nest in this AST. */
function comprehensionDepth(node: unknown): number {
  if (Array.isArray(node)) return Math.max(0, ...node.map(comprehensionDepth));
  if (!isNode(node)) return 0;
  const inner = Array.isArray(node.args) ? comprehensionDepth(node.args) : comprehensionDepth([node.args]);
  const macro =
    (node.op === "rcall" || node.op === "call") &&
    Array.isArray(node.args) &&
    COMPREHENSIONS.has(String(node.args[0]));
  return inner + (macro ? 1 : 0);
}

function celMessage(error: unknown): string {
  // CEL errors carry a multi-line source excerpt; the first line is the message.
  const text = errorMessage(error);
  return text.split("\n")[0]?.trim() ?? text;
}

/** CEL's integers are BigInt; everything a caller sees is plain JSON again. */
function toPlain(value: unknown): unknown {
  if (typeof value === "bigint") return Number(value);
  if (Array.isArray(value)) return value.map(toPlain);
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [String(k), toPlain(v)]));
  if (typeof value === "object" && value !== null && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toPlain(v)]));
  }
  return value;
}

export class CelEnvironment {
  private readonly env: Environment;
  private readonly cache = new Map<string, CelResult<CelProgram>>();
  private readonly limits: CelLimits;

  /**
   * @param variables names bound at evaluation, each typed `map` (a Kubernetes object) or `dyn`.
   */
  constructor(
    variables: Readonly<Record<string, "map" | "dyn">>,
    options: { limits?: Partial<CelLimits>; now?: () => number } = {},
  ) {
    this.limits = { ...DEFAULT_CEL_LIMITS, ...options.limits };
    this.now = options.now ?? (() => performance.now());
    this.env = new Environment({
      enableOptionalTypes: true,
      homogeneousAggregateLiterals: false,
      limits: { maxAstNodes: this.limits.maxAstNodes, maxDepth: 64 },
    });
    for (const [name, type] of Object.entries(variables)) this.env.registerVariable(name, type);
  }

  private readonly now: () => number;

  /** Parses and type-checks `text`, expecting a result of `type`; cached by text. */
  compile(text: string, type: CelType): CelResult<CelProgram> {
    const cacheKey = `${type}\u0000${text}`;
    const cached = this.cache.get(cacheKey);
    if (cached) {
      // Refresh its place: the map's order is the eviction order.
      this.cache.delete(cacheKey);
      this.cache.set(cacheKey, cached);
      return cached;
    }
    const compiled = this.compileUncached(text, type);
    this.cache.set(cacheKey, compiled);
    while (this.cache.size > this.limits.cacheSize) {
      const oldest = this.cache.keys().next().value;
      if (oldest === undefined) break;
      this.cache.delete(oldest);
    }
    return compiled;
  }

  /** Programs compiled so far and still cached (tests read it to see that compiling happens once). */
  get cachedPrograms(): number {
    return this.cache.size;
  }

  private compileUncached(text: string, type: CelType): CelResult<CelProgram> {
    if (text.trim() === "") return { ok: false, error: "empty expression" };
    if (text.length > this.limits.maxLength) {
      return {
        ok: false,
        error: `expression is ${text.length} characters long (limit ${this.limits.maxLength})`,
      };
    }
    let evaluate: ReturnType<Environment["parse"]>;
    try {
      evaluate = this.env.parse(text);
    } catch (error) {
      return { ok: false, error: celMessage(error) };
    }
    const depth = comprehensionDepth(evaluate.ast);
    if (depth > this.limits.maxComprehensionDepth) {
      return {
        ok: false,
        error: `comprehensions nest ${depth} deep (limit ${this.limits.maxComprehensionDepth}): the cost would grow with the input to the power ${depth}`,
      };
    }
    const checked = evaluate.check();
    if (!checked.valid) return { ok: false, error: celMessage(checked.error) };
    if (type !== "dyn" && checked.type !== type && checked.type !== "dyn") {
      return { ok: false, error: `expression has type ${checked.type}, expected ${type}` };
    }
    const { timeBudgetMs } = this.limits;
    const now = this.now;
    return {
      ok: true,
      value: {
        text,
        type,
        run(vars) {
          const started = now();
          let value: unknown;
          try {
            value = evaluate(vars);
          } catch (error) {
            return { ok: false, error: celMessage(error) };
          }
          const elapsed = now() - started;
          if (elapsed > timeBudgetMs) {
            return {
              ok: false,
              error: `evaluation took ${Math.round(elapsed)} ms (budget ${timeBudgetMs} ms)`,
            };
          }
          if (value instanceof Promise) return { ok: false, error: "asynchronous functions are not allowed" };
          if (type === "bool" && typeof value !== "boolean") {
            return { ok: false, error: `expected a bool, got ${describeValue(value)}` };
          }
          if (type === "string" && typeof value !== "string") {
            return { ok: false, error: `expected a string, got ${describeValue(value)}` };
          }
          return { ok: true, value: toPlain(value) };
        },
      },
    };
  }
}

function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "bigint") return "an int";
  if (typeof value === "number") return "a double";
  return typeof value === "object" ? "a map" : `a ${typeof value}`;
}
