// Custom health rules written in CEL, per group/kind (optionally version), read from Tether's
// configuration (ConfigMap tether-config, key health.customizations). Each entry lists rules
// evaluated in order with `object` bound to the live object; the first whose `when` is true gives
// the status, and its optional `message` expression the message. No rule matching falls back to
// the built-in check for the kind.
//
// Errors are values, never exceptions: a broken entry (bad YAML shape, an expression that does not
// compile) makes every resource it would judge report Unknown with a message naming the ConfigMap
// key, the entry, the rule and CEL's error; an expression that fails at evaluation does the same
// for that one resource. Health is never guessed when the user's rule could not say.
import YAML from "yaml";
import type { HealthStatus, HealthStatusCode } from "../../model/application.js";
import type { CelEnvironment, CelProgram } from "../cel/index.js";
import { health } from "./healthStatus.js";
import { getString, isRecord } from "./object.js";
import { type UnstructuredObject, groupOf, versionOf } from "../../model/ref.js";
import { errorMessage } from "../../lib/errormessage.js";

/** Statuses a rule may set. Missing and Unknown are Tether's own verdicts, not a rule's. */
export const RULE_STATUSES: readonly HealthStatusCode[] = ["Healthy", "Progressing", "Degraded", "Suspended"];

export interface HealthRuleSpec {
  when: string;
  status: HealthStatusCode;
  message?: string;
}

export interface HealthCustomizationSpec {
  group?: string;
  kind: string;
  version?: string;
  rules: HealthRuleSpec[];
}

interface CompiledRule {
  readonly where: string;
  readonly status: HealthStatusCode;
  readonly when: CelProgram;
  readonly message?: CelProgram;
}

export interface CompiledCustomization {
  readonly group: string;
  readonly kind: string;
  readonly version?: string;
  readonly rules: readonly CompiledRule[];
  /** Set when the entry cannot be used: every resource it matches is Unknown with this message. */
  readonly error?: string;
}

export interface HealthCustomizations {
  /** Where the rules came from, e.g. `ConfigMap tether-system/tether-config key health.customizations`. */
  readonly source: string;
  readonly entries: readonly CompiledCustomization[];
  /** Problems that belong to no group/kind (unreadable YAML, an entry without a kind). */
  readonly errors: readonly string[];
}

export const NO_CUSTOMIZATIONS: HealthCustomizations = { source: "", entries: [], errors: [] };

/** Parses and compiles the YAML text of the rules. Never throws. */
export function compileHealthCustomizations(
  text: string | undefined,
  source: string,
  cel: CelEnvironment,
): HealthCustomizations {
  if (text === undefined || text.trim() === "") return { source, entries: [], errors: [] };
  let parsed: unknown;
  try {
    parsed = YAML.parse(text);
  } catch (error) {
    return { source, entries: [], errors: [`${source}: invalid YAML: ${firstLine(error)}`] };
  }
  if (parsed === null || parsed === undefined) return { source, entries: [], errors: [] };
  if (!Array.isArray(parsed)) {
    return { source, entries: [], errors: [`${source}: expected a list of {group, kind, version?, rules}`] };
  }
  const entries: CompiledCustomization[] = [];
  const errors: string[] = [];
  parsed.forEach((raw: unknown, i) => {
    const where = `${source}[${i}]`;
    if (!isRecord(raw) || typeof raw["kind"] !== "string" || raw["kind"] === "") {
      errors.push(`${where}: kind is required`);
      return;
    }
    const group = typeof raw["group"] === "string" ? raw["group"] : "";
    const kind = raw["kind"];
    const version = typeof raw["version"] === "string" && raw["version"] !== "" ? raw["version"] : undefined;
    const label = `${where} (${group ? `${group}/` : ""}${kind})`;
    const compiled = compileRules(raw["rules"], label, cel);
    entries.push({ group, kind, ...(version ? { version } : {}), ...compiled });
  });
  return { source, entries, errors };
}

function compileRules(
  raw: unknown,
  label: string,
  cel: CelEnvironment,
): { rules: CompiledRule[]; error?: string } {
  if (!Array.isArray(raw) || raw.length === 0)
    return { rules: [], error: `${label}: rules must be a non-empty list` };
  const rules: CompiledRule[] = [];
  for (const [j, rule] of raw.entries()) {
    const where = `${label} rules[${j}]`;
    if (!isRecord(rule)) return { rules: [], error: `${where}: expected {when, status, message?}` };
    const status = rule["status"];
    if (typeof status !== "string" || !RULE_STATUSES.includes(status as HealthStatusCode)) {
      return {
        rules: [],
        error: `${where}.status: expected one of ${RULE_STATUSES.join(", ")}, got ${JSON.stringify(status ?? null)}`,
      };
    }
    if (typeof rule["when"] !== "string")
      return { rules: [], error: `${where}.when: a CEL expression is required` };
    const when = cel.compile(rule["when"], "bool");
    if (!when.ok) return { rules: [], error: `${where}.when: ${when.error}` };
    let message: CelProgram | undefined;
    if (rule["message"] !== undefined) {
      if (typeof rule["message"] !== "string")
        return { rules: [], error: `${where}.message: expected a CEL string expression` };
      const compiled = cel.compile(rule["message"], "string");
      if (!compiled.ok) return { rules: [], error: `${where}.message: ${compiled.error}` };
      message = compiled.value;
    }
    rules.push({
      where,
      status: status as HealthStatusCode,
      when: when.value,
      ...(message ? { message } : {}),
    });
  }
  return { rules };
}

function firstLine(error: unknown): string {
  const text = errorMessage(error);
  return text.split("\n")[0] ?? text;
}

/** Does this entry apply to objects of this apiVersion and kind? */
export function customizationMatches(
  entry: { group?: string; kind: string; version?: string },
  apiVersion: string,
  kind: string,
): boolean {
  return (
    entry.kind === kind &&
    (entry.group ?? "") === groupOf(apiVersion) &&
    (!entry.version || entry.version === versionOf(apiVersion))
  );
}

export interface HealthVerdict {
  readonly health: HealthStatus;
  /** Set when a custom rule was broken or failed: the reason the health is Unknown. */
  readonly error?: string;
}

/**
 * The verdict of the custom rules for `obj`, or undefined when no entry applies or no rule matched
 * (the caller then uses the built-in check).
 */
export function customHealth(
  customizations: HealthCustomizations,
  obj: UnstructuredObject,
): HealthVerdict | undefined {
  const apiVersion = getString(obj, "apiVersion");
  const kind = getString(obj, "kind");
  const unknown = (error: string): HealthVerdict => ({ health: health("Unknown", error), error });
  for (const entry of customizations.entries) {
    if (!customizationMatches(entry, apiVersion, kind)) continue;
    if (entry.error) return unknown(entry.error);
    for (const rule of entry.rules) {
      const matched = rule.when.run({ object: obj });
      if (!matched.ok) return unknown(`${rule.where}.when: ${matched.error}`);
      if (matched.value !== true) continue;
      if (!rule.message) return { health: health(rule.status) };
      const message = rule.message.run({ object: obj });
      if (!message.ok) return unknown(`${rule.where}.message: ${message.error}`);
      return { health: health(rule.status, String(message.value)) };
    }
  }
  return undefined;
}
