// The policy gate of a reconcile: every rendered object, as Tether would apply it, judged by the
// rules the app's project selects in `spec.policy` (src/engine/policy/evaluate.ts), after the
// project gate (src/controller/policy.ts) and before anything is applied or pruned.
//   deny   a violation (or a selected rule that cannot be evaluated: fail closed) blocks the sync:
//          nothing is applied or pruned, the sync that would have run is recorded as a Failed
//          operation (step PolicyCheck) with a SyncError, and PolicyViolation lists the objects;
//   warn   applied; PolicyViolation condition and a Warning Event;
//   audit  applied; the violations are only recorded in status.policyViolations.
// The rules come from the built-in pack, ConfigMap `tether-policies` (every key a YAML list) and
// `Policy` objects in Tether's system namespace, watched so an edit applies without a restart.
import type { KubernetesObject } from "@kubernetes/client-node";
import type { KubeConfig } from "../kube/connection.js";
import { CelEnvironment } from "../engine/cel/index.js";
import type { PolicyObject } from "../engine/policy/evaluate.js";
import { evaluatePolicies } from "../engine/policy/evaluate.js";
import type { PolicyRuleSet, RuleSource } from "../engine/policy/rules.js";
import { compilePolicyRules, POLICY_VARIABLES } from "../engine/policy/rules.js";
import { findCondition, removeCondition, setCondition } from "../engine/status/conditions.js";
import { decideSync } from "../engine/status/syncdecision.js";
import type { KubeClients } from "../kube/client.js";
import { Informer } from "../kube/informer.js";
import type { Application, ApplicationStatus, PolicyViolation } from "../model/application.js";
import { GROUP, VERSION } from "../model/application.js";
import type { AppProject } from "../model/appproject.js";
import type { PolicyGate } from "./policy.js";
import { errorMessage } from "../lib/errormessage.js";

export const POLICY_CONFIGMAP = "tether-policies";
export const POLICY_VIOLATION = "PolicyViolation";
export const POLICY_ERROR = "PolicyError";
/** The step recorded on an operation the policy gate refused: a later reconcile knows it was the gate's. */
export const POLICY_STEP = "PolicyCheck";
/** Violations kept in status (the condition names fewer); the rest are counted. */
const STATUS_LIMIT = 200;
const MESSAGE_LIMIT = 10;

/** The rules as the controller knows them now: the pack plus the watched custom sources. */
export class PolicyRules {
  /** One environment for the life of the controller: its cache spans reloads. */
  readonly cel = new CelEnvironment(POLICY_VARIABLES);
  private compiled: PolicyRuleSet;
  private readonly informers: Informer[] = [];
  private configMap: KubernetesObject | undefined;
  private policies: KubernetesObject[] = [];
  private readonly unavailable = new Map<string, string>();

  constructor(
    private readonly options: {
      readonly namespace: string;
      /** The rules changed: apps with a policy are judged again. */
      readonly onChange?: () => void;
      readonly log?: (line: string) => void;
    },
  ) {
    this.compiled = compilePolicyRules([], this.cel);
  }

  current(): PolicyRuleSet {
    return this.compiled;
  }

  private recompile(): void {
    const ns = this.options.namespace;
    const sources: RuleSource[] = [];
    const data = (this.configMap as { data?: Record<string, string> } | undefined)?.data ?? {};
    for (const key of Object.keys(data).sort()) {
      sources.push({
        kind: "yaml",
        source: `ConfigMap ${ns}/${POLICY_CONFIGMAP} key ${key}`,
        text: data[key] ?? "",
      });
    }
    const byName = [...this.policies].sort((a, b) =>
      (a.metadata?.name ?? "").localeCompare(b.metadata?.name ?? ""),
    );
    for (const p of byName) {
      sources.push({
        kind: "list",
        source: `Policy ${ns}/${p.metadata?.name ?? ""} spec.rules`,
        rules: (p as { spec?: { rules?: unknown } }).spec?.rules,
      });
    }
    const compiled = compilePolicyRules(sources, this.cel);
    this.compiled = { rules: compiled.rules, errors: [...this.unavailable.values(), ...compiled.errors] };
    const broken = [...this.compiled.errors, ...this.compiled.rules.flatMap((r) => r.error ?? [])];
    if (broken.length > 0) this.options.log?.(`policy rules: ${broken.join("; ")}`);
    this.options.onChange?.();
  }

  /** Lists and watches ConfigMap tether-policies and the Policy objects; resolves once both are loaded. */
  async start(config: KubeConfig, clients: KubeClients): Promise<void> {
    const ns = this.options.namespace;
    const configMaps = new Informer({
      config,
      path: `/api/v1/namespaces/${ns}/configmaps`,
      list: async () => {
        const list = await clients.core.listNamespacedConfigMap({ namespace: ns });
        return { items: list.items, resourceVersion: list.metadata?.resourceVersion ?? "" };
      },
      onEvent: (type, object) => {
        if (object.metadata?.name !== POLICY_CONFIGMAP) return;
        this.configMap = type === "DELETED" ? undefined : object;
        this.recompile();
      },
      onError: (error) => this.options.log?.(`watch ${ns}/${POLICY_CONFIGMAP}: ${String(error)}`),
    });
    const policies: Informer = new Informer({
      config,
      path: `/apis/${GROUP}/${VERSION}/namespaces/${ns}/policies`,
      list: async () => {
        const list = (await clients.custom.listNamespacedCustomObject({
          group: GROUP,
          version: VERSION,
          namespace: ns,
          plural: "policies",
        })) as { items: KubernetesObject[]; metadata?: { resourceVersion?: string } };
        return { items: list.items, resourceVersion: list.metadata?.resourceVersion ?? "" };
      },
      onEvent: () => {
        this.policies = policies.list();
        this.recompile();
      },
      onError: (error) => this.options.log?.(`watch ${ns} policies: ${String(error)}`),
    });
    this.informers.push(configMaps, policies);
    for (const [what, informer] of [
      [`ConfigMap ${ns}/${POLICY_CONFIGMAP}`, configMaps],
      [`Policy objects in ${ns}`, policies],
    ] as const) {
      try {
        await informer.start();
      } catch (error) {
        // Without the CRD or the right to read it, custom rules are unknown: projects selecting
        // them fail closed under deny (the error is theirs), the built-in pack still works.
        const text = errorMessage(error);
        this.unavailable.set(what, `${what} cannot be read: ${text}`);
        this.recompile();
      }
    }
  }

  stop(): void {
    for (const informer of this.informers) informer.stop();
  }
}

type EventRecord = (reason: string, message: string) => void;

const describe = (v: PolicyViolation) =>
  `${v.ref.group ? `${v.ref.group}/` : ""}${v.ref.kind} ${v.ref.namespace ? `${v.ref.namespace}/` : ""}${v.ref.name}: ${v.rule}: ${v.message}`;

function summarize(violations: readonly PolicyViolation[]): string {
  const shown = violations.slice(0, MESSAGE_LIMIT).map(describe).join("; ");
  const more = violations.length - MESSAGE_LIMIT;
  return more > 0 ? `${shown}; and ${more} more (status.policyViolations)` : shown;
}

export interface PolicyCheck extends PolicyGate {
  /** The status with the gate's conditions, violations and (for a refused sync) operation. */
  readonly status: ApplicationStatus;
}

/**
 * Judges the rendered objects and wraps the project gate: under deny with any violation or rule
 * error nothing syncs; a sync the gate refused at this revision runs as soon as the gate allows it.
 */
export function checkPolicies(input: {
  readonly gate: PolicyGate;
  readonly rules: PolicyRuleSet | undefined;
  readonly project: AppProject;
  readonly projectName: string;
  readonly app: Application;
  readonly objects: readonly PolicyObject[];
  readonly requested: boolean;
  readonly outOfSync: boolean;
  readonly revision: string;
  readonly previous: ApplicationStatus;
  readonly status: ApplicationStatus;
  readonly now: Date;
  readonly record: EventRecord;
}): PolicyCheck {
  const { gate, app, now, record, revision, previous } = input;
  const policy = input.project.spec?.policy;
  let conditions = [...(input.gate.conditions ?? [])];
  const status: ApplicationStatus = { ...input.status };
  let blocked = false;
  const raise = (type: string, reason: string, message: string) => {
    if (findCondition(conditions, type)?.message !== message) record(type, message);
    conditions = setCondition(conditions, { type, status: "True", reason, message }, now);
  };

  if (!policy || !input.rules) {
    conditions = removeCondition(removeCondition(conditions, POLICY_VIOLATION), POLICY_ERROR);
    delete status.policyViolations;
  } else {
    const where = `project "${input.projectName}" (spec.policy, ${policy.enforcement})`;
    const { violations, errors } = evaluatePolicies(input.objects, input.rules, {
      ...policy,
      app: { name: app.metadata.name, namespace: app.metadata.namespace ?? "", project: input.projectName },
    });
    const deny = policy.enforcement === "deny";
    blocked = deny && (violations.length > 0 || errors.length > 0);
    if (errors.length > 0)
      raise(
        POLICY_ERROR,
        "InvalidPolicyRule",
        `${where}: ${errors.join("; ")}${deny ? "; under deny a rule that cannot be evaluated blocks the sync" : ""}`,
      );
    else conditions = removeCondition(conditions, POLICY_ERROR);
    if (blocked) {
      const what =
        violations.length > 0 ? summarize(violations) : `${errors.length} rule error(s), see ${POLICY_ERROR}`;
      raise(POLICY_VIOLATION, "PolicyDenied", `${where}: ${what}; nothing is applied or pruned`);
    } else if (violations.length > 0 && policy.enforcement === "warn") {
      raise(POLICY_VIOLATION, "PolicyWarning", `${where}: ${summarize(violations)}; applied anyway (warn)`);
    } else {
      conditions = removeCondition(conditions, POLICY_VIOLATION);
    }
    if (violations.length > 0) status.policyViolations = violations.slice(0, STATUS_LIMIT);
    else delete status.policyViolations;
  }

  const last = previous.operationState;
  const automated = app.spec.syncPolicy?.automated;
  if (blocked) {
    // The sync that would run now is answered with a Failed operation, so a user (or a CI waiting
    // on the app) sees the refusal; decideSync does not retry it at this revision (but see permit).
    const would = gate.permit(
      decideSync({
        policy: app.spec.syncPolicy,
        requested: input.requested,
        outOfSync: input.outOfSync,
        revision,
        lastOperation: last,
        now: input.now,
      }),
    );
    const resuming = last?.phase === "Running" && last.revision === revision;
    if (would.initiatedBy && !resuming) {
      const reason = findCondition(conditions, POLICY_VIOLATION)?.message ?? "policy gate";
      const message = `refused by the policy gate: ${reason}`;
      status.operationState = {
        phase: "Failed",
        revision,
        startedAt: now.toISOString(),
        finishedAt: now.toISOString(),
        initiatedBy: would.initiatedBy,
        retryCount: would.retryCount,
        step: POLICY_STEP,
        message,
      };
      conditions = setCondition(
        conditions,
        { type: "SyncError", status: "True", reason: POLICY_VIOLATION, message },
        now,
      );
      record("SyncFailed", `sync of ${revision.slice(0, 7)} ${message}`);
    }
  } else if (findCondition(conditions, "SyncError")?.reason === POLICY_VIOLATION) {
    conditions = removeCondition(conditions, "SyncError");
  }
  status.conditions = conditions;

  const refusedHere = last?.phase === "Failed" && last.step === POLICY_STEP && last.revision === revision;
  return {
    status,
    conditions,
    permit(decision) {
      const d = gate.permit(decision);
      if (blocked)
        return d.initiatedBy ? { ...d, initiatedBy: undefined, selfHeal: false, retryCount: 0 } : d;
      // The policy (or the rules) changed since the gate refused this revision: sync now, as the
      // refused automated sync would have, instead of waiting for a new commit.
      if (!d.initiatedBy && refusedHere && automated && input.outOfSync && gate.allow("auto") === "auto") {
        return { ...d, initiatedBy: "auto", selfHeal: false, retryCount: 0 };
      }
      return d;
    },
    allow: (initiatedBy) => (blocked ? undefined : gate.allow(initiatedBy)),
    handled: (annotations) => gate.handled(annotations),
    requeueAfter: (ms) => gate.requeueAfter(ms),
  };
}
