// Policy-gate rules compiled once per change of their sources: the built-in pack, each key of the
// ConfigMap `tether-policies` (a YAML list of rules) and each `Policy` object (spec.rules). Pure:
// the texts and objects come in as values; the CEL environment is passed in (its cache spans reloads).
//
// Errors are values, never exceptions. A rule that cannot be used (bad shape, CEL that does not
// compile, an id defined twice) is kept with an `error` naming its source, its id and CEL's message,
// so a project that selects it fails closed under deny instead of silently losing the rule.
// Problems that belong to no rule (unreadable YAML, an entry without an id) go to `errors`.
import { parseYamlBounded } from "../yaml-input.js";
import type { CelEnvironment, CelProgram } from "../cel/index.js";
import { BUILTIN_RULES } from "./pack.js";
import { errorMessage } from "../../lib/errormessage.js";

/** Variables every rule may use (see pack.ts and docs/policy.md). */
export const POLICY_VARIABLES = {
  object: "map",
  podSpec: "map",
  containers: "dyn",
  settings: "map",
  app: "map",
} as const;

export interface CompiledPolicyRule {
  readonly id: string;
  /** Where it was defined: `built-in pack`, `ConfigMap ns/tether-policies key k[2]`, `Policy ns/name spec.rules[0]`. */
  readonly source: string;
  readonly builtin: boolean;
  readonly groups: readonly string[];
  readonly kinds: readonly string[];
  readonly rule?: CelProgram;
  readonly message?: string;
  readonly messageExpression?: CelProgram;
  readonly description?: string;
  /** Set when the rule cannot be used: every object it matches fails it (fail closed). */
  readonly error?: string;
}

export interface PolicyRuleSet {
  readonly rules: readonly CompiledPolicyRule[];
  /** Problems of the custom sources that no rule id can carry (unreadable YAML, a missing id). */
  readonly errors: readonly string[];
}

/** A source of custom rules: a ConfigMap key's YAML text, or a Policy's spec.rules. */
export type RuleSource =
  | { readonly kind: "yaml"; readonly source: string; readonly text: string }
  | { readonly kind: "list"; readonly source: string; readonly rules: unknown };

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

function stringList(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== "string")) return undefined;
  return value as string[];
}

function compileOne(
  raw: Record<string, unknown>,
  id: string,
  source: string,
  builtin: boolean,
  cel: CelEnvironment,
): CompiledPolicyRule {
  const match = raw["match"] === undefined ? {} : raw["match"];
  const groups = isRecord(match) ? stringList(match["groups"]) : undefined;
  const kinds = isRecord(match) ? stringList(match["kinds"]) : undefined;
  const base = {
    id,
    source,
    builtin,
    groups: groups ?? [],
    kinds: kinds ?? [],
    ...(typeof raw["description"] === "string" ? { description: raw["description"] } : {}),
  };
  const broken = (what: string): CompiledPolicyRule => ({ ...base, error: `${source} (rule ${id}) ${what}` });
  if (!groups || !kinds) return broken("match: expected {groups: [..], kinds: [..]} (lists of strings)");
  if (typeof raw["rule"] !== "string") return broken("rule: a CEL bool expression is required");
  const rule = cel.compile(raw["rule"], "bool");
  if (!rule.ok) return broken(`rule: ${rule.error}`);
  let messageExpression: CelProgram | undefined;
  if (raw["messageExpression"] !== undefined) {
    if (typeof raw["messageExpression"] !== "string")
      return broken("messageExpression: expected a CEL string expression");
    const compiled = cel.compile(raw["messageExpression"], "string");
    if (!compiled.ok) return broken(`messageExpression: ${compiled.error}`);
    messageExpression = compiled.value;
  }
  if (raw["message"] !== undefined && typeof raw["message"] !== "string")
    return broken("message: expected text");
  return {
    ...base,
    rule: rule.value,
    ...(typeof raw["message"] === "string" ? { message: raw["message"] } : {}),
    ...(messageExpression ? { messageExpression } : {}),
  };
}

function entriesOf(source: RuleSource, errors: string[]): { raw: unknown; where: string }[] {
  let list: unknown = source.kind === "list" ? source.rules : undefined;
  if (source.kind === "yaml") {
    if (source.text.trim() === "") return [];
    try {
      list = parseYamlBounded(source.text);
    } catch (error) {
      errors.push(`${source.source}: invalid YAML: ${errorMessage(error).split("\n")[0]}`);
      return [];
    }
    if (list === null || list === undefined) return [];
  }
  if (!Array.isArray(list)) {
    errors.push(`${source.source}: expected a list of {id, match, rule, message}`);
    return [];
  }
  return (list as unknown[]).map((raw, i) => ({ raw, where: `${source.source}[${i}]` }));
}

/** The built-in pack plus every custom source, compiled. Never throws. */
export function compilePolicyRules(sources: readonly RuleSource[], cel: CelEnvironment): PolicyRuleSet {
  const errors: string[] = [];
  const rules: CompiledPolicyRule[] = BUILTIN_RULES.map((r) =>
    compileOne(r as unknown as Record<string, unknown>, r.id, "built-in pack", true, cel),
  );
  const firstSource = new Map(rules.map((r) => [r.id, r.source]));
  for (const source of sources) {
    for (const { raw, where } of entriesOf(source, errors)) {
      if (!isRecord(raw) || typeof raw["id"] !== "string" || raw["id"].trim() === "") {
        errors.push(`${where}: id is required (a rule without one cannot be selected)`);
        continue;
      }
      const id = raw["id"];
      const earlier = firstSource.get(id);
      if (earlier !== undefined) {
        // Neither definition wins silently: a project naming the id gets an error, not a guess.
        rules.push({
          id,
          source: where,
          builtin: false,
          groups: [],
          kinds: [],
          error: `${where} (rule ${id}): the id is already defined in ${earlier}`,
        });
        continue;
      }
      firstSource.set(id, where);
      rules.push(compileOne(raw, id, where, false, cel));
    }
  }
  return { rules, errors };
}
