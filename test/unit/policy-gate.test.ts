// The policy gate's decisions around a reconcile (src/engine/plan, from the verdict of
// src/controller/policygate.ts), without a cluster:
// deny refuses the sync once (a Failed operation, no hot loop), runs it once the policy allows it;
// warn and audit never block; no policy clears what an earlier one set. And the CEL limits hold.
import assert from "node:assert/strict";
import { test } from "node:test";
import { CelEnvironment } from "../../src/engine/cel/index.js";
import { evaluatePolicies } from "../../src/engine/policy/evaluate.js";
import { BUILTIN_IDS, BUILTIN_RULES } from "../../src/engine/policy/pack.js";
import { compilePolicyRules, POLICY_VARIABLES } from "../../src/engine/policy/rules.js";
import { decideSync } from "../../src/engine/plan/decideSync.js";
import { planReconcile } from "../../src/engine/plan/planReconcile.js";
import { parseSyncOptions } from "../../src/engine/status/syncoptions.js";
import { POLICY_STEP, policyVerdict } from "../../src/controller/policygate.js";
import type { Application, ApplicationStatus } from "../../src/model/application.js";
import type { AppProject, ProjectPolicy } from "../../src/model/appproject.js";
import { formatDetail } from "../../src/cli/app/format.js";
import { detailOf } from "../../src/api/views.js";

const cel = new CelEnvironment(POLICY_VARIABLES);
const rules = compilePolicyRules([], cel);
const now = new Date("2026-01-01T00:00:00Z");
const REV = "a".repeat(40);

const app: Application = {
  apiVersion: "tether.dev/v1alpha1",
  kind: "Application",
  metadata: { name: "web", namespace: "apps" },
  spec: {
    project: "p",
    source: { repoURL: "https://git.example.com/r.git" },
    destination: { namespace: "apps" },
    syncPolicy: { automated: { prune: true } },
  },
};

const rootPod = {
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "p", namespace: "apps" },
  spec: {
    containers: [
      { name: "c", image: "ghcr.io/acme/c:1", resources: { limits: { cpu: "1", memory: "1Gi" } } },
    ],
  },
};

/** The plan of a reconcile that finds the Pod OutOfSync, under `policy`, after `previous`. */
function check(policy: ProjectPolicy | undefined, previous: ApplicationStatus = {}, events: string[] = []) {
  const project: AppProject = {
    apiVersion: "tether.dev/v1alpha1",
    kind: "AppProject",
    metadata: { name: "p" },
    spec: {
      ...(policy ? { policy } : {}),
      sourceRepos: ["*"],
      destinations: [{ server: "*", namespace: "*" }],
    },
  };
  const desired = {
    key: "/Pod/apps/p",
    apiVersion: "v1",
    kind: "Pod",
    namespace: "apps",
    name: "p",
    object: rootPod,
  };
  const plan = planReconcile({
    key: "apps/web",
    app,
    installationId: "i",
    previous,
    status: { ...previous },
    requests: { syncRequested: false, handled: [] },
    revision: REV,
    syncOptions: parseSyncOptions(undefined).options,
    rendered: [{ group: "", kind: "Pod", namespace: "apps", name: "p" }],
    comparisons: [{ desired, live: undefined, result: { status: "OutOfSync", fields: [] } }],
    pruneCandidates: [],
    project: {
      name: "p",
      project,
      placement: { server: "https://kubernetes.default.svc", name: "in-cluster", namespace: "apps" },
    },
    dependencies: { kind: "ready" },
    policy: policyVerdict({ rules, project, projectName: "p", app, objects: [rootPod] }),
    healPaused: {},
    now,
  });
  events.push(...plan.events.map((e) => e.reason));
  return plan;
}
const started = (plan: ReturnType<typeof check>) =>
  plan.operation.kind === "start" ? plan.operation.op.initiatedBy : undefined;
const decision = (previous: ApplicationStatus) =>
  decideSync({
    policy: app.spec.syncPolicy,
    requested: false,
    outOfSync: true,
    revision: REV,
    lastOperation: previous.operationState,
    now,
  });

test("deny: the sync that would run is refused as a Failed operation (step PolicyCheck), once", () => {
  const events: string[] = [];
  const first = check({ enforcement: "deny", rules: ["no-root-containers"] }, {}, events);
  assert.equal(started(first), undefined, "nothing applied or pruned");
  assert.equal(first.operation.kind, "refuse");
  assert.equal(first.status.operationState?.phase, "Failed");
  assert.equal(first.status.operationState?.step, POLICY_STEP);
  assert.match(
    first.status.operationState?.message ?? "",
    /refused by the policy gate: project "p" \(spec\.policy, deny\): Pod apps\/p: no-root-containers/,
  );
  assert.equal(first.status.conditions?.find((c) => c.type === "SyncError")?.reason, "PolicyViolation");
  assert.deepEqual(events.sort(), ["PolicyViolation", "SyncFailed"]);
  const superseding = check(
    { enforcement: "deny", rules: ["no-root-containers"] },
    { operationState: { phase: "Running", revision: "b".repeat(40), startedAt: "t", initiatedBy: "auto" } },
  );
  assert.notEqual(superseding.operation.kind, "start", "a superseded operation is not resumed either");

  // The next reconcile at the same revision: decideSync does not retry, no new operation, no event.
  const again: string[] = [];
  const second = check({ enforcement: "deny", rules: ["no-root-containers"] }, first.status, again);
  assert.equal(second.status.operationState, first.status.operationState);
  assert.deepEqual(again, []);
});

test("a sync refused at this revision runs once the policy allows it, without a new commit", () => {
  const refused = check({ enforcement: "deny", rules: ["no-root-containers"] }).status;
  assert.equal(decision(refused).initiatedBy, undefined, "decideSync alone would wait for a new commit");
  const relaxed = check({ enforcement: "warn", rules: ["no-root-containers"] }, refused);
  assert.equal(started(relaxed), "auto");
  assert.equal(
    relaxed.status.conditions?.find((c) => c.type === "SyncError"),
    undefined,
    "the policy's SyncError is cleared",
  );
  assert.equal(relaxed.status.conditions?.find((c) => c.type === "PolicyViolation")?.reason, "PolicyWarning");
});

test("warn and audit never block; audit sets no condition; no policy clears everything", () => {
  const warn = check({ enforcement: "warn", rules: ["no-root-containers"] });
  assert.equal(started(warn), "auto");
  assert.equal(warn.verdict.refusedByPolicy, undefined, "no refused operation");
  const audit = check({ enforcement: "audit", rules: ["no-root-containers"] });
  assert.equal(started(audit), "auto");
  assert.equal(audit.status.conditions?.length, 0);
  assert.equal(audit.status.policyViolations?.[0]?.enforcement, "audit");
  const none = check(undefined, warn.status);
  assert.equal(none.status.policyViolations, undefined);
  assert.equal(none.status.conditions?.length, 0);
});

test("deny with an unknown rule id blocks (fail closed) and says which id", () => {
  const gate = check({ enforcement: "deny", rules: ["no-such-rule"] });
  assert.equal(started(gate), undefined);
  assert.match(
    gate.status.conditions?.find((c) => c.type === "PolicyError")?.message ?? "",
    /"no-such-rule"/,
  );
});

test("every built-in rule compiles within the shared CEL limits and has an id, a description and a message", () => {
  assert.deepEqual(BUILTIN_IDS, [
    "no-root-containers",
    "resource-limits",
    "trusted-registries",
    "no-latest-tag",
    "no-wildcard-ingress-hosts",
  ]);
  for (const r of rules.rules) assert.equal(r.error, undefined, `${r.id}: ${r.error}`);
  for (const r of BUILTIN_RULES) assert.ok(r.description && r.messageExpression, r.id);
});

test("a rule nesting comprehensions too deep is refused at compile time, naming the limit", () => {
  const set = compilePolicyRules(
    [
      {
        kind: "yaml",
        source: "ConfigMap s/tether-policies key k",
        text: `- id: deep\n  rule: "containers.all(c, containers.all(d, containers.all(e, true)))"\n`,
      },
    ],
    cel,
  );
  const result = evaluatePolicies([rootPod], set, {
    enforcement: "deny",
    rules: ["deep"],
    app: { name: "a", namespace: "n", project: "p" },
  });
  assert.match(
    result.errors[0] ?? "",
    /key k\[0\] \(rule deep\) rule: comprehensions nest 3 deep \(limit 2\)/,
  );
  assert.equal(result.violations.length, 1, "and the rule fails closed");
});

test("the API detail view and the CLI table carry the violations", () => {
  const status = check({ enforcement: "audit", rules: ["no-root-containers"] }).status;
  const detail = detailOf({ ...app, status });
  assert.equal(detail.policyViolations?.[0]?.rule, "no-root-containers");
  const text = formatDetail(detail, "table");
  assert.match(
    text,
    /^Policy violations:\nENFORCEMENT\s+KIND\s+OBJECT\s+RULE\s+MESSAGE\naudit\s+Pod\s+apps\/p\s+no-root-containers\s+container\(s\) c may run as root/m,
  );
});
