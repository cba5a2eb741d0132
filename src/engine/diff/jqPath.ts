// A small, safe subset of jq path expressions for ignoreDifferences.jqPathExpressions.
//
// Argo CD runs real jq (`del(<expr>)`); Tether does not embed a jq interpreter. It parses the
// path-shaped subset that covers how ignore rules are written in practice, and refuses anything
// else with an error naming the expression (so a rule never silently ignores nothing):
//
//   expression := term ( "|" term )*
//   term       := path | "select(" path ("==" | "!=") literal ")"
//   path       := "." | step+            (the first step starts with ".")
//   step       := "." name | "." "quoted" | "[]" | "[" index "]" | "[" "quoted" "]"
//   literal    := JSON string | number | true | false | null
//
// Examples: `.spec.replicas`, `.spec.template.spec.containers[].image`,
// `.metadata.annotations["example.com/owner"]`, `.spec.containers[] | select(.name == "istio-proxy")`,
// `.spec.containers[] | select(.name == "app") | .image`.
// Not supported: recursion (`..`), optional `?`, slices, functions other than select, `and`/`or`,
// variables, negative indexes.
import { InvalidSpec } from "../errors.js";
import { type JsonValue, isJsonObject, jsonEqual } from "./json.js";
import { type ConcretePath, removeLocations } from "./jsonPointer.js";

export type JqStep =
  | { kind: "field"; name: string }
  | { kind: "index"; index: number }
  | { kind: "each" }
  | { kind: "select"; path: JqStep[]; op: "==" | "!="; value: JsonValue };

const SUPPORTED =
  'supported: .a.b, .a["k"], .a."k", .a[], .a[0], and "| select(.k == <literal>)" filters joined by "|"';

class JqParser {
  private pos = 0;
  constructor(private readonly text: string) {}

  private fail(reason: string): never {
    throw new InvalidSpec(
      `unsupported jqPathExpression "${this.text}": ${reason} at offset ${this.pos} (${SUPPORTED})`,
    );
  }

  private skipSpaces(): void {
    while (this.pos < this.text.length && /\s/.test(this.text.charAt(this.pos))) this.pos++;
  }

  private peek(): string {
    return this.text.charAt(this.pos);
  }

  private consume(literal: string): boolean {
    this.skipSpaces();
    if (!this.text.startsWith(literal, this.pos)) return false;
    this.pos += literal.length;
    return true;
  }

  private quoted(): string {
    const start = this.pos;
    let end = start + 1;
    while (end < this.text.length && this.text.charAt(end) !== '"')
      end += this.text.charAt(end) === "\\" ? 2 : 1;
    if (end >= this.text.length) this.fail("unterminated string");
    this.pos = end + 1;
    try {
      return JSON.parse(this.text.slice(start, end + 1)) as string;
    } catch {
      // A bad escape (`"\x"`) or a raw control character: JSON.parse's SyntaxError would escape
      // validation as something other than InvalidSpec (found by fuzzing).
      this.pos = start;
      return this.fail("invalid string (bad escape or control character)");
    }
  }

  parseExpression(): JqStep[] {
    const steps: JqStep[] = [];
    do {
      steps.push(...this.parseTerm());
    } while (this.consume("|"));
    this.skipSpaces();
    if (this.pos < this.text.length) this.fail(`unexpected "${this.peek()}"`);
    return steps;
  }

  private parseTerm(): JqStep[] {
    this.skipSpaces();
    if (this.text.startsWith("select", this.pos)) {
      this.pos += "select".length;
      if (!this.consume("(")) this.fail('expected "(" after select');
      const path = this.parsePath();
      const op = this.consume("==") ? "==" : this.consume("!=") ? "!=" : this.fail('expected "==" or "!="');
      const value = this.parseLiteral();
      if (!this.consume(")")) this.fail('expected ")" closing select');
      return [{ kind: "select", path, op, value }];
    }
    return this.parsePath();
  }

  private parsePath(): JqStep[] {
    this.skipSpaces();
    if (this.peek() !== ".") this.fail('expected a path starting with "."');
    const steps: JqStep[] = [];
    let first = true;
    for (;;) {
      const c = this.peek();
      if (c === ".") {
        if (this.text.charAt(this.pos + 1) === ".") this.fail('recursive descent ".." is not supported');
        this.pos++;
        const next = this.peek();
        if (next === '"') steps.push({ kind: "field", name: this.quoted() });
        else if (/[A-Za-z_]/.test(next)) steps.push({ kind: "field", name: this.identifier() });
        else if (next === "[") continue;
        else if (!first) this.fail('expected a name after "."');
        // A lone "." is the identity path; only valid on its own.
        else return steps;
      } else if (c === "[") {
        this.pos++;
        this.skipSpaces();
        if (this.peek() === "]") steps.push({ kind: "each" });
        else if (this.peek() === '"') steps.push({ kind: "field", name: this.quoted() });
        else {
          const match = /^[0-9]+/.exec(this.text.slice(this.pos));
          if (!match) this.fail('expected "]", an index or a quoted key inside "[...]"');
          steps.push({ kind: "index", index: Number(match[0]) });
          this.pos += match[0].length;
        }
        if (!this.consume("]")) this.fail('expected "]"');
      } else if (c === "?") {
        this.fail('optional "?" is not supported');
      } else {
        return steps;
      }
      first = false;
    }
  }

  private identifier(): string {
    const match = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.text.slice(this.pos));
    if (!match) this.fail("expected a name");
    this.pos += match[0].length;
    return match[0];
  }

  private parseLiteral(): JsonValue {
    this.skipSpaces();
    if (this.peek() === '"') return this.quoted();
    const match = /^(true|false|null|-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?)/.exec(
      this.text.slice(this.pos),
    );
    if (!match) this.fail("expected a literal (string, number, true, false or null)");
    this.pos += match[0].length;
    return JSON.parse(match[0]) as JsonValue;
  }
}

/**
 * Parses an expression of the supported subset; throws InvalidSpec naming the expression otherwise,
 * including for expressions that name the whole object ("." or only select filters).
 */
export function parseJqPath(expression: string): JqStep[] {
  const steps = new JqParser(expression).parseExpression();
  if (steps.every((step) => step.kind === "select")) {
    throw new InvalidSpec(
      `jqPathExpression "${expression}" would ignore the whole object; name a field instead`,
    );
  }
  return steps;
}

/** Every (value, location) the steps lead to from `root`. Missing fields lead nowhere. */
function evaluate(root: JsonValue, steps: readonly JqStep[]): { value: JsonValue; path: ConcretePath }[] {
  let current: { value: JsonValue; path: ConcretePath }[] = [{ value: root, path: [] }];
  for (const step of steps) {
    const next: typeof current = [];
    for (const { value, path } of current) {
      if (step.kind === "field") {
        if (isJsonObject(value) && Object.hasOwn(value, step.name)) {
          next.push({ value: value[step.name] as JsonValue, path: [...path, step.name] });
        }
      } else if (step.kind === "index") {
        if (Array.isArray(value) && step.index < value.length) {
          next.push({ value: value[step.index] as JsonValue, path: [...path, step.index] });
        }
      } else if (step.kind === "each") {
        if (Array.isArray(value)) value.forEach((item, i) => next.push({ value: item, path: [...path, i] }));
        else if (isJsonObject(value)) {
          for (const [key, item] of Object.entries(value)) next.push({ value: item, path: [...path, key] });
        }
      } else {
        const found = evaluate(value, step.path).map((r) => r.value);
        // jq compares a missing field as null: `select(.name == null)` matches items without a name.
        const candidates = found.length > 0 ? found : [null];
        const equal = candidates.some((candidate) => jsonEqual(candidate, step.value));
        if (equal === (step.op === "==")) next.push({ value, path });
      }
    }
    current = next;
  }
  return current;
}

/** The concrete locations an expression names inside `root`. */
export function jqPathLocations(root: JsonValue, expression: string | readonly JqStep[]): ConcretePath[] {
  const steps = typeof expression === "string" ? parseJqPath(expression) : expression;
  return evaluate(root, steps).map((r) => r.path);
}

/** In place: deletes what `del(<expression>)` would delete. The identity path "." is refused. */
export function removeJqPath(root: JsonValue, expression: string): void {
  const steps = parseJqPath(expression);
  removeLocations(root, jqPathLocations(root, steps));
}
