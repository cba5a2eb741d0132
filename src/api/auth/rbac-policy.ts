// Parses the RBAC policy from the `tether-rbac` ConfigMap's `policy.yaml` key:
//
//   defaultRole: readonly          # optional: role for every authenticated subject
//   roles:
//     - name: team-a-dev
//       rules:
//         - actions: [get, sync, logs]    # get sync rollback create update delete logs *
//           projects: [team-a]            # project globs (required; ["*"] for all)
//           applications: ["team-a/*"]    # namespace/name globs (required; ["*/*"] for all)
//   bindings:
//     - role: team-a-dev
//       users: [alice]
//       groups: [team-a]
//
// Every problem is reported (not just the first) with its line and field path, e.g.
// `policy.yaml line 7: roles[0].rules[0].actions[1]: unknown action "deploy"`. A policy with
// any problem is rejected whole: the server should keep serving its last good policy (or the
// built-in default) and surface the errors, never half-apply a policy.
import type { Document, Node } from "yaml";
import { isMap, isScalar, isSeq, LineCounter } from "yaml";
import { composeBounded, duplicateKey, YamlInputError } from "../../engine/yaml-input.js";
import { GLOB_PATTERN } from "./glob.js";
import type { Binding, Policy, Role, Rule, RuleAction } from "./rbac.js";
import { ACTIONS, BUILTIN_BINDINGS, BUILTIN_ROLES } from "./rbac.js";

export const POLICY_KEY = "policy.yaml";

export interface PolicyIssue {
  line: number | undefined;
  field: string;
  message: string;
}

export type PolicyResult = { ok: true; policy: Policy } | { ok: false; issues: PolicyIssue[] };

export function formatPolicyIssue(issue: PolicyIssue): string {
  const where = issue.line !== undefined ? `${POLICY_KEY} line ${issue.line}` : POLICY_KEY;
  return `${where}: ${issue.field ? `${issue.field}: ` : ""}${issue.message}`;
}

const ROLE_NAME = /^[a-z0-9]([a-z0-9:._-]{0,61}[a-z0-9])?$/;
const MAX_PATTERN_LENGTH = 253;

class Walker {
  readonly issues: PolicyIssue[] = [];
  constructor(private readonly lines: LineCounter) {}

  line(node: unknown): number | undefined {
    const range = (node as Node | null)?.range;
    return range ? this.lines.linePos(range[0]).line : undefined;
  }

  fail(node: unknown, field: string, message: string): void {
    this.issues.push({ line: this.line(node), field, message });
  }

  /** Entries of a mapping, refusing unknown keys (a typo must not silently drop a rule). */
  map(node: unknown, field: string, allowed: readonly string[]): Map<string, unknown> | undefined {
    if (!isMap(node)) {
      this.fail(node, field, "must be a mapping");
      return undefined;
    }
    const entries = new Map<string, unknown>();
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? pair.key.value : undefined;
      if (typeof key !== "string" || !allowed.includes(key)) {
        this.fail(pair.key, field, `unknown field ${JSON.stringify(key)} (allowed: ${allowed.join(", ")})`);
        continue;
      }
      entries.set(key, pair.value);
    }
    return entries;
  }

  seq(node: unknown, field: string): unknown[] | undefined {
    if (!isSeq(node)) {
      this.fail(node, field, "must be a list");
      return undefined;
    }
    return node.items;
  }

  string(node: unknown, field: string): string | undefined {
    if (!isScalar(node) || typeof node.value !== "string" || node.value === "") {
      this.fail(node, field, "must be a non-empty string");
      return undefined;
    }
    return node.value;
  }

  strings(node: unknown, field: string, check: (value: string) => string | undefined): string[] {
    const out: string[] = [];
    (this.seq(node, field) ?? []).forEach((item, i) => {
      const value = this.string(item, `${field}[${i}]`);
      if (value === undefined) return;
      const problem = check(value);
      if (problem) this.fail(item, `${field}[${i}]`, problem);
      else out.push(value);
    });
    return out;
  }
}

function checkGlob(segments: number, example: string): (value: string) => string | undefined {
  return (value) => {
    const parts = value.split("/");
    if (value.length > MAX_PATTERN_LENGTH) return `pattern longer than ${MAX_PATTERN_LENGTH} characters`;
    if (parts.length !== segments || parts.some((p) => !GLOB_PATTERN.test(p))) {
      return `invalid pattern ${JSON.stringify(value)}: expected ${example} using letters, digits, . _ - and the wildcards * ?`;
    }
    return undefined;
  };
}

function parseRule(w: Walker, node: unknown, field: string): Rule | undefined {
  const m = w.map(node, field, ["actions", "projects", "applications"]);
  if (!m) return undefined;
  const required = (key: string, hint: string): unknown => {
    if (!m.has(key)) w.fail(node, `${field}.${key}`, `is required (${hint})`);
    return m.get(key);
  };
  const actionsNode = required("actions", `one or more of ${ACTIONS.join(", ")}, *`);
  const projectsNode = required("projects", 'use ["*"] for all projects');
  const appsNode = required("applications", 'use ["*/*"] for all applications');
  const before = w.issues.length;
  const checkAction = (a: string): string | undefined =>
    a === "*" || (ACTIONS as readonly string[]).includes(a)
      ? undefined
      : `unknown action ${JSON.stringify(a)} (allowed: ${ACTIONS.join(", ")}, *)`;
  const actions = actionsNode === undefined ? [] : w.strings(actionsNode, `${field}.actions`, checkAction);
  const projects =
    projectsNode === undefined
      ? []
      : w.strings(projectsNode, `${field}.projects`, checkGlob(1, "a project glob"));
  const applications =
    appsNode === undefined
      ? []
      : w.strings(appsNode, `${field}.applications`, checkGlob(2, "namespace/name"));
  if (w.issues.length !== before) return undefined;
  for (const [key, list] of [
    ["actions", actions],
    ["projects", projects],
    ["applications", applications],
  ] as const) {
    if (list.length === 0 && m.has(key)) w.fail(m.get(key), `${field}.${key}`, "must not be empty");
  }
  return { actions: actions as RuleAction[], projects, applications };
}

function parseRole(w: Walker, node: unknown, field: string): Role | undefined {
  const m = w.map(node, field, ["name", "rules"]);
  if (!m) return undefined;
  const name = m.has("name") ? w.string(m.get("name"), `${field}.name`) : undefined;
  if (!m.has("name")) w.fail(node, `${field}.name`, "is required");
  if (name !== undefined && !ROLE_NAME.test(name)) {
    w.fail(m.get("name"), `${field}.name`, `invalid role name ${JSON.stringify(name)}`);
  }
  if (name !== undefined && BUILTIN_ROLES.has(name)) {
    w.fail(
      m.get("name"),
      `${field}.name`,
      `role ${JSON.stringify(name)} is built in and cannot be redefined`,
    );
  }
  if (!m.has("rules")) w.fail(node, `${field}.rules`, "is required");
  const rules = (w.seq(m.get("rules"), `${field}.rules`) ?? []).map((r, i) =>
    parseRule(w, r, `${field}.rules[${i}]`),
  );
  if (name === undefined || rules.some((r) => r === undefined)) return undefined;
  return { name, rules: rules as Rule[] };
}

function parseBinding(w: Walker, node: unknown, field: string): Binding | undefined {
  const m = w.map(node, field, ["role", "users", "groups"]);
  if (!m) return undefined;
  if (!m.has("role")) w.fail(node, `${field}.role`, "is required");
  const role = m.has("role") ? w.string(m.get("role"), `${field}.role`) : undefined;
  const any = () => undefined;
  const users = m.has("users") ? w.strings(m.get("users"), `${field}.users`, any) : [];
  const groups = m.has("groups") ? w.strings(m.get("groups"), `${field}.groups`, any) : [];
  if (!m.has("users") && !m.has("groups")) w.fail(node, field, "needs users or groups");
  return role === undefined ? undefined : { role, users, groups };
}

/**
 * The policy document, or its YAML problems. Bounded (engine/yaml-input.ts): the library's own
 * parseDocument recurses once per nesting level and checks duplicate keys in quadratic time, so a
 * ConfigMap of 20,000 keys held the API server for 12 s (found by fuzzing).
 */
function policyDocument(text: string, lines: LineCounter): Document.Parsed | undefined | PolicyIssue[] {
  const invalid = (offset: number, message: string): PolicyIssue => ({
    line: lines.linePos(offset).line,
    field: "",
    message: `invalid YAML: ${message}`,
  });
  let docs: Document.Parsed[];
  try {
    docs = composeBounded(text, { prettyErrors: false }, lines);
  } catch (error) {
    if (!(error instanceof YamlInputError)) throw error;
    return [{ line: error.line, field: "", message: `invalid YAML: ${error.detail}` }];
  }
  const [doc, extra] = docs;
  if (!doc) return undefined;
  const issues = doc.errors.map((e) => invalid(e.pos[0], e.message.split("\n")[0] ?? e.code));
  if (extra) issues.push(invalid(extra.range[0], "a second YAML document (policy.yaml holds one)"));
  const duplicate = issues.length === 0 ? duplicateKey(doc) : undefined;
  if (duplicate) issues.push(invalid(duplicate.offset, `duplicate keys: ${JSON.stringify(duplicate.key)}`));
  return issues.length > 0 ? issues : doc;
}

/** Parses policy YAML text. Empty text gives the built-in default policy. */
export function parsePolicy(text: string): PolicyResult {
  const lines = new LineCounter();
  const doc = policyDocument(text, lines);
  if (Array.isArray(doc)) return { ok: false, issues: doc };
  const w = new Walker(lines);
  const roles = new Map(BUILTIN_ROLES);
  const bindings: Binding[] = [...BUILTIN_BINDINGS];
  let defaultRole: string | undefined;
  let defaultRoleNode: unknown;
  const references: { role: string; node: unknown; field: string }[] = [];

  if (doc && doc.contents !== null && !(isScalar(doc.contents) && doc.contents.value === null)) {
    const top = w.map(doc.contents, "", ["defaultRole", "roles", "bindings"]);
    if (top?.has("defaultRole")) {
      defaultRoleNode = top.get("defaultRole");
      defaultRole = w.string(defaultRoleNode, "defaultRole");
    }
    if (top?.has("roles")) {
      (w.seq(top.get("roles"), "roles") ?? []).forEach((node, i) => {
        const role = parseRole(w, node, `roles[${i}]`);
        if (!role) return;
        if (roles.has(role.name))
          w.fail(node, `roles[${i}].name`, `duplicate role ${JSON.stringify(role.name)}`);
        else roles.set(role.name, role);
      });
    }
    if (top?.has("bindings")) {
      (w.seq(top.get("bindings"), "bindings") ?? []).forEach((node, i) => {
        const binding = parseBinding(w, node, `bindings[${i}]`);
        if (!binding) return;
        bindings.push(binding);
        references.push({ role: binding.role, node, field: `bindings[${i}].role` });
      });
    }
  }
  // References are checked after all roles are known, so order in the file does not matter.
  for (const ref of references) {
    if (!roles.has(ref.role)) w.fail(ref.node, ref.field, `unknown role ${JSON.stringify(ref.role)}`);
  }
  if (defaultRole !== undefined && !roles.has(defaultRole)) {
    w.fail(defaultRoleNode, "defaultRole", `unknown role ${JSON.stringify(defaultRole)}`);
  }
  if (w.issues.length > 0) return { ok: false, issues: w.issues };
  return { ok: true, policy: { roles, bindings, ...(defaultRole !== undefined ? { defaultRole } : {}) } };
}

/** Parses a ConfigMap's data. A missing `policy.yaml` key means the built-in default policy. */
export function parsePolicyConfigMap(data: Record<string, string> | undefined): PolicyResult {
  return parsePolicy(data?.[POLICY_KEY] ?? "");
}
