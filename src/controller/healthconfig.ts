// The user's health rules, kept current: ConfigMap `tether-config` in Tether's own namespace,
// key `health.customizations` (YAML, see docs/health.md), watched by an informer so an edit takes
// effect without a restart. On every change the rules are compiled again (unchanged expressions
// come from the CEL cache) and the apps whose resources the old or new rules judge are queued, so
// their health is re-evaluated at once.
import type { KubeConfig } from "../kube/connection.js";
import { CelEnvironment } from "../engine/cel/index.js";
import type { HealthCustomizations, HealthEvaluator } from "../engine/health/index.js";
import {
  NO_CUSTOMIZATIONS,
  builtinHealth,
  compileHealthCustomizations,
  healthEvaluator,
} from "../engine/health/index.js";
import type { KubeClients } from "../kube/client.js";
import { Informer } from "../kube/informer.js";

export const TETHER_CONFIGMAP = "tether-config";
export const HEALTH_CUSTOMIZATIONS_KEY = "health.customizations";
/** Condition on an app whose resources a broken health rule judged (or when the rules cannot be read at all). */
export { HEALTH_CONDITION, healthCheckCondition } from "../engine/health/condition.js";

/** "group/Kind" of every entry; "*" when a change may concern every app. */
export type AffectedKinds = ReadonlySet<string> | "*";

export interface HealthSource {
  /** The health of one live object under the current rules. */
  readonly evaluate: HealthEvaluator;
  /** Problems with the rules as a whole (unreadable YAML): every app reports them. */
  readonly errors: readonly string[];
}

export class HealthConfig implements HealthSource {
  private customizations: HealthCustomizations = NO_CUSTOMIZATIONS;
  private evaluator: HealthEvaluator = builtinHealth;
  private text: string | undefined;
  private informer: Informer | undefined;
  /** One environment for the life of the controller: its cache spans reloads. */
  readonly cel = new CelEnvironment({ object: "map" });

  constructor(
    private readonly options: {
      readonly namespace: string;
      /** Called after the rules changed, with the kinds whose health may have changed. */
      readonly onChange?: (kinds: AffectedKinds) => void;
      readonly log?: (line: string) => void;
    },
  ) {}

  readonly evaluate: HealthEvaluator = (obj) => this.evaluator(obj);

  get errors(): readonly string[] {
    return this.customizations.errors;
  }

  get source(): string {
    return `ConfigMap ${this.options.namespace}/${TETHER_CONFIGMAP} key ${HEALTH_CUSTOMIZATIONS_KEY}`;
  }

  /** Replaces the rules with these (undefined: none). Pure apart from the callback. */
  load(text: string | undefined): void {
    if (text === this.text) return;
    const before = this.customizations;
    this.text = text;
    this.customizations = compileHealthCustomizations(text, this.source, this.cel);
    this.evaluator = healthEvaluator(this.customizations);
    const broken = [...before.errors, ...this.customizations.errors];
    if (broken.length > 0)
      this.options.log?.(`health rules: ${this.customizations.errors.join("; ") || "fixed"}`);
    const kinds = new Set(
      [...before.entries, ...this.customizations.entries].map((e) => `${e.group}/${e.kind}`),
    );
    this.options.onChange?.(broken.length > 0 ? "*" : kinds);
  }

  /** Lists and watches the ConfigMap; resolves once the current rules are loaded. */
  async start(config: KubeConfig, clients: KubeClients): Promise<void> {
    const namespace = this.options.namespace;
    const informer = new Informer({
      config,
      path: `/api/v1/namespaces/${namespace}/configmaps`,
      list: async () => {
        const list = await clients.core.listNamespacedConfigMap({ namespace });
        return {
          items: list.items,
          resourceVersion: list.metadata?.resourceVersion ?? "",
        };
      },
      onEvent: (type, object) => {
        if (object.metadata?.name !== TETHER_CONFIGMAP) return;
        const data = (object as { data?: Record<string, string> }).data;
        this.load(type === "DELETED" ? undefined : data?.[HEALTH_CUSTOMIZATIONS_KEY]);
      },
      onError: (error) => this.options.log?.(`watch ${namespace}/${TETHER_CONFIGMAP}: ${String(error)}`),
    });
    this.informer = informer;
    try {
      await informer.start();
    } catch (error) {
      // Without rights to watch ConfigMaps here, built-in health is still right: say so and go on.
      this.options.log?.(`health rules unavailable (built-in health only): ${String(error)}`);
    }
  }

  stop(): void {
    this.informer?.stop();
  }
}
