// rbac.ts + rbac-policy.ts: table tests for `can`, list filtering, and policy parse errors that
// name the line and field.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Action, AppRef, Policy, Subject } from "../../src/api/auth/index.js";
import {
  can,
  defaultPolicy,
  formatPolicyIssue,
  globMatch,
  parsePolicy,
  parsePolicyConfigMap,
  rolesOf,
  visibleApplications,
} from "../../src/api/auth/index.js";

const POLICY = `
roles:
  - name: team-a-dev
    rules:
      - actions: [get, sync, logs]
        projects: [team-a]
        applications: ["*/*"]
  - name: team-b-ops
    rules:
      - actions: ["*"]
        projects: [team-b]
        applications: ["team-b-*/*"]
  - name: deployer
    rules:
      - actions: [get, sync]
        projects: ["*"]
        applications: ["*/web-?"]
bindings:
  - role: team-a-dev
    users: [alice]
  - role: team-b-ops
    groups: [team-b]
  - role: readonly
    groups: [auditors]
  - role: deployer
    users: [ci-bot, alice]
`;

function policy(text = POLICY): Policy {
  const result = parsePolicy(text);
  assert.ok(result.ok, JSON.stringify(!result.ok && result.issues));
  return result.policy;
}

const user = (name: string, groups: string[] = []): Subject => ({ user: name, groups });
const A1: AppRef = { project: "team-a", namespace: "team-a", name: "api" };
const A2: AppRef = { project: "team-a", namespace: "shared", name: "worker" };
const B1: AppRef = { project: "team-b", namespace: "team-b-prod", name: "db" };
const B2: AppRef = { project: "team-b", namespace: "other", name: "db" };
const W1: AppRef = { project: "team-c", namespace: "c", name: "web-1" };
const ALL = [A1, A2, B1, B2, W1];

test("can: table", () => {
  const p = policy();
  const table: [Subject, Action, AppRef, boolean][] = [
    [user("admin"), "delete", B1, true],
    [user("alice"), "get", A1, true],
    [user("alice"), "sync", A2, true],
    [user("alice"), "logs", A1, true],
    [user("alice"), "delete", A1, false],
    [user("alice"), "rollback", A1, false],
    [user("alice"), "get", B1, false],
    [user("alice"), "sync", W1, true], // via deployer
    [user("alice"), "delete", W1, false],
    [user("bob", ["team-b"]), "delete", B1, true],
    [user("bob", ["team-b"]), "create", B1, true],
    [user("bob", ["team-b"]), "get", B2, false], // namespace glob does not match
    [user("bob", ["team-b"]), "get", A1, false],
    [user("carol", ["auditors"]), "get", B2, true],
    [user("carol", ["auditors"]), "sync", B2, false],
    [user("mallory"), "get", A1, false], // deny by default
    [user("mallory", ["admin"]), "get", A1, false], // a group named admin is not the admin user
    [user("ci-bot"), "sync", { ...W1, name: "web-10" }, false], // ? is one character
  ];
  for (const [subject, action, app, expected] of table) {
    assert.equal(can(p, subject, action, app), expected, `${subject.user} ${action} ${JSON.stringify(app)}`);
  }
});

test("a user of project A cannot see project B's apps at all", () => {
  const p = policy();
  assert.deepEqual(visibleApplications(p, user("dave", []), ALL), []);
  const aOnly = parsePolicy(`
roles:
  - name: a
    rules: [{ actions: [get, sync], projects: [team-a], applications: ["*/*"] }]
bindings: [{ role: a, users: [dave] }]
`);
  assert.ok(aOnly.ok);
  assert.deepEqual(visibleApplications(aOnly.policy, user("dave"), ALL), [A1, A2]);
  assert.deepEqual(visibleApplications(p, user("bob", ["team-b"]), ALL), [B1]);
  assert.deepEqual(visibleApplications(p, user("admin"), ALL), ALL);
  assert.deepEqual(visibleApplications(p, user("carol", ["auditors"]), ALL), ALL);
});

test("sync without get does not make an app visible", () => {
  const r = parsePolicy(`
roles: [{ name: s, rules: [{ actions: [sync], projects: ["*"], applications: ["*/*"] }] }]
bindings: [{ role: s, users: [eve] }]
`);
  assert.ok(r.ok);
  assert.equal(can(r.policy, user("eve"), "sync", A1), true);
  assert.deepEqual(visibleApplications(r.policy, user("eve"), ALL), []);
});

test("API tokens are restricted to their roles", () => {
  const p = policy();
  const token: Subject = { user: "alice", groups: [], restrictToRoles: ["deployer"] };
  assert.deepEqual(rolesOf(p, token), ["deployer"]);
  assert.equal(can(p, token, "get", A1), false);
  assert.equal(can(p, token, "sync", W1), true);
  assert.equal(can(p, { user: "mallory", groups: [], restrictToRoles: ["admin"] }, "get", A1), false);
});

test("defaultRole applies to every subject; empty policy is admin-only", () => {
  const r = parsePolicy("defaultRole: readonly\n");
  assert.ok(r.ok);
  assert.equal(can(r.policy, user("anyone"), "get", A1), true);
  assert.equal(can(r.policy, user("anyone"), "sync", A1), false);
  for (const p of [defaultPolicy(), policy(""), policy("# nothing\n")]) {
    assert.equal(can(p, user("admin"), "delete", A1), true);
    assert.equal(can(p, user("anyone"), "get", A1), false);
  }
  const cm = parsePolicyConfigMap({ other: "x" });
  assert.ok(cm.ok);
  assert.equal(parsePolicyConfigMap({ "policy.yaml": "roles: 3" }).ok, false);
});

function issues(text: string): string[] {
  const r = parsePolicy(text);
  assert.equal(r.ok, false, "expected the policy to be rejected");
  return r.ok ? [] : r.issues.map(formatPolicyIssue);
}

test("bad policies: errors name the line and field", () => {
  assert.deepEqual(
    issues(`roles:
  - name: dev
    rules:
      - actions: [get, deploy]
        projects: [team-a]
        aplications: ["*/*"]
`),
    [
      'policy.yaml line 6: roles[0].rules[0]: unknown field "aplications" (allowed: actions, projects, applications)',
      'policy.yaml line 4: roles[0].rules[0].applications: is required (use ["*/*"] for all applications)',
      'policy.yaml line 4: roles[0].rules[0].actions[1]: unknown action "deploy" (allowed: get, sync, rollback, create, update, delete, logs, *)',
    ],
  );
  assert.deepEqual(
    issues(`roles:
  - name: admin
    rules: [{ actions: [get], projects: ["*"], applications: ["*"] }]
bindings:
  - role: ghost
    users: [x]
  - role: admin
`),
    [
      'policy.yaml line 2: roles[0].name: role "admin" is built in and cannot be redefined',
      'policy.yaml line 3: roles[0].rules[0].applications[0]: invalid pattern "*": expected namespace/name using letters, digits, . _ - and the wildcards * ?',
      "policy.yaml line 7: bindings[1]: needs users or groups",
      'policy.yaml line 5: bindings[0].role: unknown role "ghost"',
    ],
  );
  assert.deepEqual(
    issues("roles:\n  - name: x\n    rules: [{actions: get, projects: [a/b], applications: []}]\n"),
    [
      "policy.yaml line 3: roles[0].rules[0].actions: must be a list",
      'policy.yaml line 3: roles[0].rules[0].projects[0]: invalid pattern "a/b": expected a project glob using letters, digits, . _ - and the wildcards * ?',
    ],
  );
  assert.match(issues("roles: [}\n")[0] ?? "", /^policy\.yaml line 1: invalid YAML/);
  assert.match(
    issues("roles: []\nroles: []\n")[0] ?? "",
    /^policy\.yaml line 2: invalid YAML/,
    "duplicate keys",
  );
  assert.deepEqual(issues("defaultRole: nobody\n"), [
    'policy.yaml line 1: defaultRole: unknown role "nobody"',
  ]);
  assert.deepEqual(issues("roles:\n  - {name: x, rules: []}\n  - {name: x, rules: []}\n"), [
    'policy.yaml line 3: roles[1].name: duplicate role "x"',
  ]);
});

test("glob matcher", () => {
  const table: [string, string, boolean][] = [
    ["*", "anything", true],
    ["*", "", true],
    ["team-*", "team-a", true],
    ["team-*", "xteam-a", false],
    ["*/*", "ns/name", true],
    ["*/*", "name", false],
    ["*", "ns/name", false],
    ["a?c", "abc", true],
    ["a?c", "ac", false],
    ["*a*a*a*a*b", "a".repeat(5000), false],
    ["web-*-prod", "web-x-y-prod", true],
    ["team.a", "teamxa", false],
  ];
  for (const [pattern, text, expected] of table)
    assert.equal(globMatch(pattern, text), expected, `${pattern} ~ ${text}`);
});
