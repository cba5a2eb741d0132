// The policy gate's rules: every rendered object, as Tether would apply it, judged by the rules
// the app's project selects in `spec.policy` (src/engine/policy/evaluate.ts); the plan
// (src/engine/plan/gate.ts, decide.ts) decides from the verdict before anything is applied or pruned.
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
import type { PolicyVerdict } from "../engine/plan/gate.js";
import type { KubeClients } from "../kube/client.js";
import { Informer } from "../kube/informer.js";
import type { Application } from "../model/application.js";
import { GROUP, VERSION } from "../model/application.js";
import type { AppProject } from "../model/appproject.js";

export const POLICY_CONFIGMAP = "tether-policies";
export { POLICY_ERROR, POLICY_VIOLATION } from "../engine/plan/gate.js";
export { POLICY_STEP } from "../engine/plan/decide.js";

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
        const text = error instanceof Error ? error.message : String(error);
        this.unavailable.set(what, `${what} cannot be read: ${text}`);
        this.recompile();
      }
    }
  }

  stop(): void {
    for (const informer of this.informers) informer.stop();
  }
}

/**
 * What the project's spec.policy finds in the rendered objects (hooks too), as they would be
 * applied: the verdict the plan (src/engine/plan/gate.ts) decides from. Undefined: no policy.
 */
export function policyVerdict(input: {
  readonly rules: PolicyRuleSet | undefined;
  readonly project: AppProject;
  readonly projectName: string;
  readonly app: Application;
  readonly objects: readonly PolicyObject[];
}): PolicyVerdict | undefined {
  const policy = input.project.spec?.policy;
  if (!policy || !input.rules) return undefined;
  const { app } = input;
  const { violations, errors } = evaluatePolicies(input.objects, input.rules, {
    ...policy,
    app: { name: app.metadata.name, namespace: app.metadata.namespace ?? "", project: input.projectName },
  });
  return { enforcement: policy.enforcement, violations, errors };
}
