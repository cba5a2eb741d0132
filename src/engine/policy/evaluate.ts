// The policy gate's verdict: every rendered object against the rules a project selects. Pure: the
// objects, the compiled rules and the project's settings are values; the result is the list of
// violations, one per (object, rule), and the configuration errors met on the way.
//
// Fail closed: a selected rule that cannot be evaluated (it did not compile, it failed on this
// object, or it is not defined at all) is a violation too, so under `deny` a broken or mistyped
// rule blocks the sync rather than letting everything through. Its message says so.
import type { PolicyEnforcement, PolicyExclusion } from "../../model/appproject.js";
import type { PolicyViolation, ResourceRef } from "../../model/application.js";
import { globMatch } from "./glob.js";
import { BUILTIN_IDS, WORKLOADS } from "./pack.js";
import type { CompiledPolicyRule, PolicyRuleSet } from "./rules.js";

export interface PolicySettings {
  readonly enforcement: PolicyEnforcement;
  /** Rule ids, `builtin`, `custom` or `*`; [builtin] when empty. */
  readonly rules?: readonly string[];
  readonly trustedRegistries?: readonly string[];
  readonly exclude?: readonly PolicyExclusion[];
  readonly app: { readonly name: string; readonly namespace: string; readonly project: string };
}

/** A rendered object as Tether would apply it. */
export interface PolicyObject {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata?: { readonly name?: string; readonly namespace?: string };
}

export interface PolicyResult {
  readonly violations: PolicyViolation[];
  /** Rule errors (compile, evaluation, unknown id, unreadable source), each naming source and rule. */
  readonly errors: string[];
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

function refOf(o: PolicyObject): ResourceRef {
  const apiVersion = o.apiVersion ?? "";
  const slash = apiVersion.indexOf("/");
  const namespace = o.metadata?.namespace;
  return {
    group: slash < 0 ? "" : apiVersion.slice(0, slash),
    version: slash < 0 ? apiVersion : apiVersion.slice(slash + 1),
    kind: o.kind ?? "",
    ...(namespace ? { namespace } : {}),
    name: o.metadata?.name ?? "",
  };
}

const describe = (r: ResourceRef) =>
  `${r.group ? `${r.group}/` : ""}${r.kind} ${r.namespace ? `${r.namespace}/` : ""}${r.name}`;

/** The pod spec inside a workload (Pod, Deployment, …, CronJob), or undefined for other kinds. */
export function podSpecOf(o: PolicyObject): Record<string, unknown> | undefined {
  const ref = refOf(o);
  if (!WORKLOADS.kinds.includes(ref.kind) || !WORKLOADS.groups.includes(ref.group)) return undefined;
  const at = (value: unknown, ...path: string[]): unknown =>
    path.reduce<unknown>((v, key) => (isRecord(v) ? v[key] : undefined), value);
  const spec =
    ref.kind === "Pod"
      ? at(o, "spec")
      : ref.kind === "CronJob"
        ? at(o, "spec", "jobTemplate", "spec", "template", "spec")
        : at(o, "spec", "template", "spec");
  return isRecord(spec) ? spec : {};
}

function containersOf(podSpec: Record<string, unknown> | undefined): unknown[] {
  if (!podSpec) return [];
  const list = (key: string) => (Array.isArray(podSpec[key]) ? (podSpec[key] as unknown[]) : []);
  return [...list("containers"), ...list("initContainers"), ...list("ephemeralContainers")];
}

/** Which rules the project selects; ids named but defined nowhere are returned apart. */
export function selectRules(
  set: PolicyRuleSet,
  selection: readonly string[] | undefined,
): { rules: CompiledPolicyRule[]; unknown: string[]; custom: boolean } {
  const wanted = selection && selection.length > 0 ? selection : ["builtin"];
  const picked = new Set<CompiledPolicyRule>();
  const unknown: string[] = [];
  let custom = false;
  for (const name of wanted) {
    if (name === "builtin" || name === "*") set.rules.filter((r) => r.builtin).forEach((r) => picked.add(r));
    if (name === "custom" || name === "*") {
      custom = true;
      set.rules.filter((r) => !r.builtin).forEach((r) => picked.add(r));
    }
    if (name === "builtin" || name === "custom" || name === "*") continue;
    const found = set.rules.filter((r) => r.id === name);
    if (!BUILTIN_IDS.includes(name)) custom = true;
    if (found.length === 0) unknown.push(name);
    found.forEach((r) => picked.add(r));
  }
  // In the order the rules are defined: the pack first, then each source in turn.
  return { rules: set.rules.filter((r) => picked.has(r)), unknown, custom };
}

const matches = (patterns: readonly string[], value: string) =>
  patterns.length === 0 || patterns.some((p) => globMatch(p, value));

function excluded(exclusions: readonly PolicyExclusion[], ref: ResourceRef, rule: string): boolean {
  const glob = (pattern: string | undefined, value: string) =>
    pattern === undefined || globMatch(pattern, value);
  return exclusions.some(
    (e) =>
      glob(e.group, ref.group) &&
      glob(e.kind, ref.kind) &&
      glob(e.namespace, ref.namespace ?? "") &&
      glob(e.name, ref.name) &&
      (e.rules === undefined || e.rules.length === 0 || e.rules.includes(rule)),
  );
}

/**
 * Every object against every selected rule that matches its group and kind. Violations come in
 * object order, then rule order; each names the object, the rule and why.
 */
export function evaluatePolicies(
  objects: readonly PolicyObject[],
  ruleSet: PolicyRuleSet,
  settings: PolicySettings,
): PolicyResult {
  const { enforcement } = settings;
  const { rules, unknown, custom } = selectRules(ruleSet, settings.rules);
  const errors: string[] = [];
  const violations: PolicyViolation[] = [];
  for (const id of unknown)
    errors.push(
      `spec.policy.rules names "${id}", which no built-in rule, ConfigMap tether-policies entry or Policy defines`,
    );
  if (custom) errors.push(...ruleSet.errors);
  for (const r of rules) if (r.error) errors.push(r.error);

  const settingsVar = {
    enforcement,
    trustedRegistries: (settings.trustedRegistries ?? []).map((r) => r.trim().replace(/\/+$/, "")),
  };
  const appVar = { ...settings.app };
  for (const object of objects) {
    const ref = refOf(object);
    const applicable = rules.filter(
      (r) =>
        matches(r.groups, ref.group) &&
        matches(r.kinds, ref.kind) &&
        !excluded(settings.exclude ?? [], ref, r.id),
    );
    if (applicable.length === 0) continue;
    const podSpec = podSpecOf(object);
    const vars = {
      object,
      podSpec: podSpec ?? {},
      containers: containersOf(podSpec),
      settings: settingsVar,
      app: appVar,
    };
    for (const rule of applicable) {
      const fail = (message: string) => violations.push({ ref, rule: rule.id, message, enforcement });
      if (rule.error || !rule.rule) {
        fail(`rule cannot be evaluated (${rule.error ?? "no rule"}); counted as a violation`);
        continue;
      }
      const verdict = rule.rule.run(vars);
      if (!verdict.ok) {
        const error = `${rule.source} (rule ${rule.id}) on ${describe(ref)}: ${verdict.error}`;
        errors.push(error);
        fail(`rule cannot be evaluated on this object (${verdict.error}); counted as a violation`);
        continue;
      }
      if (verdict.value === true) continue;
      fail(messageOf(rule, vars));
    }
  }
  return { violations, errors };
}

function messageOf(rule: CompiledPolicyRule, vars: Readonly<Record<string, unknown>>): string {
  const fallback = rule.message ?? rule.description ?? `denied by rule ${rule.id}`;
  if (!rule.messageExpression) return fallback;
  const message = rule.messageExpression.run(vars);
  // A message that fails to render must not hide the violation: the text (or a default) stands in.
  return message.ok ? String(message.value) : `${fallback} (messageExpression failed: ${message.error})`;
}
