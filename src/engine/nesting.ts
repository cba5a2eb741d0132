// Nesting limits for structured input Tether does not control: manifests from a repository or a
// render tool, API request bodies, webhook payloads, kubeconfig files. Much of the code that later
// handles such a value recurses (the yaml composer, JSON.stringify, structuredClone, diff,
// normalization, secret masking, the render cache's deepFreeze), and a few thousand levels are
// enough to overflow the stack there — "Maximum call stack size exceeded" naming nothing, at a
// depth that even depends on how deep the caller's own stack happens to be. So depth is checked
// once, at the door, by code that does not recurse, and the error names where the nesting goes
// too deep.
//
// The limit: Kubernetes bounds JSON to 10,000 levels in its decoder (a guard against the same
// overflow in Go), but nothing Kubernetes serves comes close. The deepest real manifests are CRDs:
// each level of a Go type adds two (`properties.<name>`) to openAPIV3Schema, and large generated
// CRDs (Argo Workflows, Crossplane, Istio, prometheus-operator) stay well under 100 levels from the
// document root. 200 leaves room for twice that and still sits far below the ~800 levels where
// the yaml library's composer overflows on Node's default stack.
import { CST, LineCounter, Parser } from "yaml";

export const MAX_NESTING_DEPTH = 200;

export interface NestingProblem {
  /** Where the value first nests deeper than the limit, e.g. `spec.template.spec…[0].a`. */
  path: string;
  /** Source offset of that point, when the check read text (YAML). */
  offset?: number;
}

/** A key as a path segment: `.name` for plain keys, `["a.b"]` otherwise; very long keys are cut. */
function segment(key: string | number): string {
  if (typeof key === "number") return `[${key}]`;
  const shown = key.length > 40 ? `${key.slice(0, 40)}…` : key;
  return /^[A-Za-z_$][\w$-]*$/.test(shown) ? `.${shown}` : `[${JSON.stringify(shown)}]`;
}

/**
 * A readable path: the first few and the last few segments, so a 200-segment path stays one line
 * yet still says which top-level field holds the nesting.
 */
export function formatPath(segments: readonly (string | number)[]): string {
  const HEAD = 8;
  const TAIL = 3;
  const shown =
    segments.length <= HEAD + TAIL
      ? segments.map(segment).join("")
      : `${segments.slice(0, HEAD).map(segment).join("")}…(${segments.length - HEAD - TAIL} more)…${segments.slice(-TAIL).map(segment).join("")}`;
  const path = shown.startsWith(".") ? shown.slice(1) : shown;
  return path === "" ? "(the document itself)" : path;
}

/** `nesting deeper than 200 levels at spec.template…` */
export function nestingMessage(problem: NestingProblem, limit = MAX_NESTING_DEPTH): string {
  return `nesting deeper than ${limit} levels at ${problem.path}`;
}

interface Frame {
  value: unknown;
  depth: number;
  parent: Frame | undefined;
  key: string | number | undefined;
}

function pathOf(frame: Frame): (string | number)[] {
  const segments: (string | number)[] = [];
  for (let f: Frame | undefined = frame; f?.key !== undefined; f = f.parent) segments.push(f.key);
  return segments.reverse();
}

/**
 * Where a plain value (objects and arrays, as JSON.parse or a YAML toJS builds them) nests deeper
 * than `limit` containers, or undefined. Iterative, so it cannot overflow itself. A value reached
 * twice (YAML aliases share objects) is walked again only when reached deeper than before, so an
 * alias chain that builds depth is caught and a shared subtree is not walked once per reference.
 */
export function valueNestingProblem(value: unknown, limit = MAX_NESTING_DEPTH): NestingProblem | undefined {
  const deepestVisit = new Map<object, number>();
  const stack: Frame[] = [{ value, depth: 0, parent: undefined, key: undefined }];
  for (let frame = stack.pop(); frame; frame = stack.pop()) {
    const current = frame.value;
    if (typeof current !== "object" || current === null) continue;
    const depth = frame.depth + 1;
    if (depth > limit) return { path: formatPath(pathOf(frame)) };
    const seen = deepestVisit.get(current);
    if (seen !== undefined && seen >= depth) continue;
    deepestVisit.set(current, depth);
    if (Array.isArray(current)) {
      current.forEach((item, i) => stack.push({ value: item, depth, parent: frame, key: i }));
    } else if (current instanceof Map) {
      for (const [k, v] of current) stack.push({ value: v, depth, parent: frame, key: String(k) });
    } else {
      for (const [k, v] of Object.entries(current)) stack.push({ value: v, depth, parent: frame, key: k });
    }
  }
  return undefined;
}

function keyText(token: CST.Token | null | undefined): string | undefined {
  if (!token || !CST.isScalar(token)) return undefined;
  // Errors in the key (`@a:`, a bad escape) are the composer's to report, with their line; without
  // an onError the library throws them from here, past every caller's error handling (fuzzing).
  const resolved = CST.resolveAsScalar(token, true, () => undefined);
  return resolved ? resolved.value : token.source;
}

interface TokenFrame {
  token: CST.Token;
  depth: number;
  parent: TokenFrame | undefined;
  key: string | number | undefined;
}

function tokenPath(frame: TokenFrame): (string | number)[] {
  const segments: (string | number)[] = [];
  for (let f: TokenFrame | undefined = frame; f?.key !== undefined; f = f.parent) segments.push(f.key);
  return segments.reverse();
}

/**
 * Where one YAML document's syntax tree (the parser's CST, built without recursion) nests deeper
 * than `limit` collections, or undefined. Run before composing: the composer recurses once per
 * level. Counts flow (`[[[…`, `{a: {b: …`) and block collections alike; complex keys are walked
 * too. Depth built by aliases is not visible here: check the composed value as well.
 */
export function cstNestingProblem(
  document: CST.Token,
  limit = MAX_NESTING_DEPTH,
): NestingProblem | undefined {
  const stack: TokenFrame[] = [];
  const root = document.type === "document" ? document.value : document;
  if (root) stack.push({ token: root, depth: 0, parent: undefined, key: undefined });
  for (let frame = stack.pop(); frame; frame = stack.pop()) {
    const token = frame.token;
    if (!CST.isCollection(token)) continue;
    const depth = frame.depth + 1;
    if (depth > limit) return { path: formatPath(tokenPath(frame)), offset: token.offset };
    const isSequence =
      token.type === "block-seq" || (token.type === "flow-collection" && token.start.source === "[");
    token.items.forEach((item, i) => {
      const name = isSequence ? i : (keyText(item.key) ?? `[${i}]`);
      if (item.key) stack.push({ token: item.key, depth, parent: frame, key: name });
      if (item.value) stack.push({ token: item.value, depth, parent: frame, key: name });
    });
  }
  return undefined;
}

/**
 * The first document of `text` that nests too deep, with its 1-based line, or undefined, for a
 * caller that hands the text to another parser afterwards (e.g. SOPS decryption). Parsers of
 * their own check the tokens they compose from instead (yaml-input.ts, manifests.ts).
 */
export function yamlNestingProblem(
  text: string,
  limit = MAX_NESTING_DEPTH,
): (NestingProblem & { line: number }) | undefined {
  const counter = new LineCounter();
  for (const token of new Parser(counter.addNewLine).parse(text)) {
    const problem = cstNestingProblem(token, limit);
    if (problem) return { ...problem, line: counter.linePos(problem.offset ?? token.offset).line };
  }
  return undefined;
}

/**
 * JSON.parse, then the nesting check. V8's JSON.parse does not recurse (it reads 100,000 levels
 * without trouble), so the value is built first and walked after; callers bound the text's size.
 */
export function parseJsonBounded(
  text: string,
  limit = MAX_NESTING_DEPTH,
): { value: unknown; problem?: undefined } | { value?: undefined; problem: NestingProblem } {
  const value = JSON.parse(text) as unknown;
  const problem = valueNestingProblem(value, limit);
  return problem ? { problem } : { value };
}
