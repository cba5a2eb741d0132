// Role-based access control: deny by default. Roles are lists of allow rules; subjects (users
// and groups) are bound to roles; `can` answers one question and `visibleApplications` filters
// lists so that an application a subject may not `get` is never shown, not even its name.
//
// Built-ins (cannot be redefined by the policy):
//   admin     every action on every application; bound to the local admin user.
//   readonly  `get` on every application.
// SSO identities must be mapped to user names that cannot collide with LOCAL_ADMIN_USER (e.g.
// prefix them `sso:`), otherwise an IdP user named "admin" would inherit the built-in binding.
import { LOCAL_ADMIN_USER } from "./admin.js";
import { globMatch } from "./glob.js";

export const ACTIONS = ["get", "sync", "rollback", "create", "update", "delete", "logs"] as const;
export type Action = (typeof ACTIONS)[number];
export type RuleAction = Action | "*";

export interface Rule {
  actions: RuleAction[];
  /** Project name globs. */
  projects: string[];
  /** `namespace/name` globs of the Application resource. */
  applications: string[];
}

export interface Role {
  name: string;
  rules: Rule[];
}

export interface Binding {
  role: string;
  users: string[];
  groups: string[];
}

export interface Policy {
  roles: Map<string, Role>;
  bindings: Binding[];
  /** Role every authenticated subject gets in addition to its bindings (none by default). */
  defaultRole?: string;
}

export interface Subject {
  user: string;
  groups: readonly string[];
  /** When set (API tokens), only these of the subject's roles apply. */
  restrictToRoles?: readonly string[];
}

/** The identity of an Application as RBAC sees it. */
export interface AppRef {
  project: string;
  namespace: string;
  name: string;
}

const EVERYTHING: Rule = { actions: ["*"], projects: ["*"], applications: ["*/*"] };
export const BUILTIN_ROLES: ReadonlyMap<string, Role> = new Map([
  ["admin", { name: "admin", rules: [EVERYTHING] }],
  ["readonly", { name: "readonly", rules: [{ ...EVERYTHING, actions: ["get"] }] }],
]);
export const BUILTIN_BINDINGS: readonly Binding[] = [
  { role: "admin", users: [LOCAL_ADMIN_USER], groups: [] },
];

/** A policy with only the built-ins: the local admin can do everything, everyone else nothing. */
export function defaultPolicy(): Policy {
  return { roles: new Map(BUILTIN_ROLES), bindings: [...BUILTIN_BINDINGS] };
}

/** Names of the roles that apply to a subject. */
export function rolesOf(policy: Policy, subject: Subject): string[] {
  const roles = new Set<string>();
  if (policy.defaultRole) roles.add(policy.defaultRole);
  for (const binding of policy.bindings) {
    if (binding.users.includes(subject.user) || binding.groups.some((g) => subject.groups.includes(g))) {
      roles.add(binding.role);
    }
  }
  const allowed = subject.restrictToRoles;
  return [...roles].filter((role) => !allowed || allowed.includes(role));
}

function ruleAllows(rule: Rule, action: Action, app: AppRef): boolean {
  return (
    (rule.actions.includes("*") || rule.actions.includes(action)) &&
    rule.projects.some((p) => globMatch(p, app.project)) &&
    rule.applications.some((a) => globMatch(a, `${app.namespace}/${app.name}`))
  );
}

export function can(policy: Policy, subject: Subject, action: Action, app: AppRef): boolean {
  for (const roleName of rolesOf(policy, subject)) {
    const role = policy.roles.get(roleName);
    if (role?.rules.some((rule) => ruleAllows(rule, action, app))) return true;
  }
  return false;
}

/** The applications the subject may `get`, in input order. Use for every list and stream. */
export function visibleApplications<T extends AppRef>(
  policy: Policy,
  subject: Subject,
  apps: readonly T[],
): T[] {
  return apps.filter((app) => can(policy, subject, "get", app));
}

/** Builds an AppRef from an Application-like object (project defaults to "default"). */
export function appRef(app: {
  metadata: { namespace?: string; name?: string };
  spec?: { project?: string };
}): AppRef {
  return {
    project: app.spec?.project || "default",
    namespace: app.metadata.namespace ?? "",
    name: app.metadata.name ?? "",
  };
}
