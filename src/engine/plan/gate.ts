// The gates a sync passes after the render, as verdicts (values) the plan decides from:
//   project: every rendered object (hooks too: a hook is created exactly where it says) inside the
//            project; the dependsOn apps Synced and Healthy; a sync window open;
//   policy:  the rules the project selects in spec.policy (src/engine/policy/evaluate.ts): under
//            deny a violation or a rule that cannot be evaluated (fail closed) blocks; warn and
//            audit never do.
// A closed gate lets nothing be applied or pruned; the app still shows what is OutOfSync, a
// condition says why, and a manual sync request stays pending until the gate opens.
import type { AppProject } from "../../model/appproject.js";
import type { Condition, PolicyViolation } from "../../model/application.js";
import { CONDITION_REASONS } from "../errors.js";
import type { DependencyVerdict } from "../policy/dependencies.js";
import type { Placement, RenderedRef } from "../policy/project.js";
import { checkResources } from "../policy/project.js";
import { evaluateSyncWindows } from "../policy/syncwindows.js";
import { findCondition, removeCondition, setCondition } from "../status/conditions.js";
import type { PlanEvent } from "./events.js";
import { raise } from "./events.js";

export const PROJECT_VIOLATION = "ProjectViolation";
export const SYNC_WINDOW_CLOSED = "SyncWindowClosed";
export const WAITING_FOR_DEPENDENCIES = "WaitingForDependencies";
export const DEPENDENCY_CYCLE = "DependencyCycle";
export const POLICY_VIOLATION = "PolicyViolation";
export const POLICY_ERROR = "PolicyError";
/** Violations kept in status (the condition names fewer); the rest are counted. */
const STATUS_LIMIT = 200;
const MESSAGE_LIMIT = 10;

export interface ProjectScope {
  readonly name: string;
  readonly project: AppProject;
  readonly placement: Placement;
}

/** What the policy rules found (src/controller/policygate.ts evaluates them); undefined: no policy. */
export interface PolicyVerdict {
  readonly enforcement: "deny" | "warn" | "audit";
  readonly violations: readonly PolicyViolation[];
  readonly errors: readonly string[];
}

export interface GateVerdict {
  readonly conditions: Condition[];
  readonly events: PlanEvent[];
  /** Automated syncs (self-heal, retries, new revisions) may start now. */
  readonly autoAllowed: boolean;
  readonly manualAllowed: boolean;
  /** The policy gate refuses every sync now (deny). */
  readonly policyBlocked: boolean;
  /** A manual request the gate refuses: its annotation stays, pending. */
  readonly manualRefused: boolean;
  /** When automated syncs are next allowed (a closed sync window). */
  readonly opensAt?: Date;
  readonly policyViolations?: PolicyViolation[];
}

const describeViolation = (v: PolicyViolation) =>
  `${v.ref.group ? `${v.ref.group}/` : ""}${v.ref.kind} ${v.ref.namespace ? `${v.ref.namespace}/` : ""}${v.ref.name}: ${v.rule}: ${v.message}`;

function summarize(violations: readonly PolicyViolation[]): string {
  const shown = violations.slice(0, MESSAGE_LIMIT).map(describeViolation).join("; ");
  const more = violations.length - MESSAGE_LIMIT;
  return more > 0 ? `${shown}; and ${more} more (status.policyViolations)` : shown;
}

export function judgeGates(input: {
  readonly app: { readonly name: string; readonly namespace: string };
  readonly scope: ProjectScope;
  /** Every rendered object, hooks included. */
  readonly rendered: readonly RenderedRef[];
  readonly dependencies: DependencyVerdict;
  readonly policy: PolicyVerdict | undefined;
  /** A manual sync (annotation or rollback) was asked for. */
  readonly manualRequested: boolean;
  readonly conditions: readonly Condition[] | undefined;
  readonly now: Date;
}): GateVerdict {
  const { scope, now } = input;
  const { project, placement, name } = scope;
  const events: PlanEvent[] = [];
  const pending = input.manualRequested ? "; the manual sync request stays pending until then" : "";
  let conditions = [...(input.conditions ?? [])];
  let blocksAll = false;

  const violations = checkResources({ projectName: name, project, placement, objects: input.rendered });
  if (violations.length > 0) {
    blocksAll = true;
    const message = `${violations.map((v) => v.message).join("; ")}; nothing is applied or pruned${pending}`;
    const reason = violations[0]?.reason ?? CONDITION_REASONS.ResourceNotPermitted;
    conditions = raise(conditions, events, { type: PROJECT_VIOLATION, reason, message }, now);
  } else {
    conditions = removeCondition(conditions, PROJECT_VIOLATION);
  }

  const deps = input.dependencies;
  conditions =
    deps.kind === "cycle"
      ? raise(
          conditions,
          events,
          { type: DEPENDENCY_CYCLE, reason: CONDITION_REASONS.DependencyCycle, message: deps.message },
          now,
        )
      : removeCondition(conditions, DEPENDENCY_CYCLE);
  if (deps.kind === "waiting") {
    const missing = deps.blockers.some((b) => b.state === "not found");
    const reason = missing ? CONDITION_REASONS.DependencyNotFound : CONDITION_REASONS.DependenciesNotReady;
    conditions = setCondition(
      conditions,
      { type: WAITING_FOR_DEPENDENCIES, status: "True", reason, message: deps.message + pending },
      now,
    );
  } else {
    conditions = removeCondition(conditions, WAITING_FOR_DEPENDENCIES);
  }
  if (deps.kind !== "ready") blocksAll = true;

  const windows = evaluateSyncWindows(
    project.spec?.syncWindows,
    {
      app: input.app.name,
      namespace: placement.namespace,
      server: placement.server,
      cluster: placement.name,
    },
    now,
  );
  if (!windows.autoAllowed) {
    const until = windows.opensAt
      ? `automated syncs wait until ${windows.opensAt.toISOString()}`
      : "no window opens within a year";
    const manual = windows.manualAllowed
      ? "manual syncs are allowed (manualSync)"
      : `manual syncs are refused too${pending}`;
    const message = `project "${name}": ${windows.reason ?? "sync window closed"}; ${until}; ${manual}`;
    conditions = setCondition(
      conditions,
      { type: SYNC_WINDOW_CLOSED, status: "True", reason: CONDITION_REASONS.SyncWindowClosed, message },
      now,
    );
  } else {
    conditions = removeCondition(conditions, SYNC_WINDOW_CLOSED);
  }

  const policy = judgePolicy({ ...input, conditions, events });
  const manualAllowed = !blocksAll && windows.manualAllowed;
  return {
    conditions: policy.conditions,
    events,
    autoAllowed: !blocksAll && windows.autoAllowed,
    manualAllowed,
    policyBlocked: policy.blocked,
    manualRefused: input.manualRequested && !manualAllowed,
    opensAt: windows.autoAllowed ? undefined : windows.opensAt,
    policyViolations: policy.violations,
  };
}

function judgePolicy(input: {
  readonly scope: ProjectScope;
  readonly policy: PolicyVerdict | undefined;
  readonly conditions: Condition[];
  readonly events: PlanEvent[];
  readonly now: Date;
}): { conditions: Condition[]; blocked: boolean; violations?: PolicyViolation[] } {
  const { policy, events, now } = input;
  let conditions = input.conditions;
  if (!policy) {
    conditions = removeCondition(removeCondition(conditions, POLICY_VIOLATION), POLICY_ERROR);
    return { conditions, blocked: false };
  }
  const { violations, errors } = policy;
  const where = `project "${input.scope.name}" (spec.policy, ${policy.enforcement})`;
  const deny = policy.enforcement === "deny";
  const blocked = deny && (violations.length > 0 || errors.length > 0);
  if (errors.length > 0) {
    const message = `${where}: ${errors.join("; ")}${deny ? "; under deny a rule that cannot be evaluated blocks the sync" : ""}`;
    conditions = raise(
      conditions,
      events,
      { type: POLICY_ERROR, reason: CONDITION_REASONS.InvalidPolicyRule, message },
      now,
    );
  } else {
    conditions = removeCondition(conditions, POLICY_ERROR);
  }
  if (blocked) {
    const what =
      violations.length > 0 ? summarize(violations) : `${errors.length} rule error(s), see ${POLICY_ERROR}`;
    const message = `${where}: ${what}; nothing is applied or pruned`;
    conditions = raise(
      conditions,
      events,
      { type: POLICY_VIOLATION, reason: CONDITION_REASONS.PolicyDenied, message },
      now,
    );
  } else if (violations.length > 0 && policy.enforcement === "warn") {
    const message = `${where}: ${summarize(violations)}; applied anyway (warn)`;
    conditions = raise(
      conditions,
      events,
      { type: POLICY_VIOLATION, reason: CONDITION_REASONS.PolicyWarning, message },
      now,
    );
  } else {
    conditions = removeCondition(conditions, POLICY_VIOLATION);
  }
  return {
    conditions,
    blocked,
    violations: violations.length > 0 ? violations.slice(0, STATUS_LIMIT) : undefined,
  };
}

/** The message of the condition that refused a sync under deny. */
export function policyRefusal(conditions: readonly Condition[]): string {
  return findCondition(conditions, POLICY_VIOLATION)?.message ?? "policy gate";
}
