// From Kubernetes Events to notifications. Pure: which Event reasons are which trigger, whether a
// transition was already notified (dedupe), and which targets an app's transition goes to.
import type { NotificationConfig, TriggerName } from "./config.js";
import { NOTIFY_ANNOTATION } from "../../model/contract.js";
import { matchesSelector } from "./selector.js";

/** The Event reasons (src/controller/reconcile.ts) that are notification triggers. */
export const TRIGGER_OF_REASON: Readonly<Record<string, TriggerName>> = {
  SyncSucceeded: "sync-succeeded",
  SyncFailed: "sync-failed",
  HealthDegraded: "health-degraded",
  DriftCorrected: "drift-corrected",
};

/**
 * Event reasons that end the state a trigger announced, so the next time the app enters it is a
 * new transition. A failing sync retried at the same revision stays one `sync-failed` until a sync
 * succeeds; Degraded → Progressing → Degraded is two `health-degraded`.
 */
const CLEARED_BY: Readonly<Record<TriggerName, readonly string[]>> = {
  "sync-succeeded": ["SyncFailed"],
  "sync-failed": ["SyncSucceeded", "DriftCorrected"],
  "health-degraded": [
    "HealthHealthy",
    "HealthProgressing",
    "HealthSuspended",
    "HealthMissing",
    "HealthUnknown",
  ],
  "drift-corrected": [],
};

/**
 * What makes two transitions of a trigger the same one: a sync outcome is once per revision (a
 * retry or a re-run of the same reconcile is not news); health-degraded once until health leaves
 * Degraded; every drift correction is news (something changed the cluster behind Git's back).
 */
export function fingerprint(trigger: TriggerName, revision: string): string | undefined {
  switch (trigger) {
    case "sync-succeeded":
    case "sync-failed":
      return revision;
    case "health-degraded":
      return "Degraded";
    case "drift-corrected":
      return undefined;
  }
}

/** Remembers, per app and trigger, the last transition notified. Bounded: the oldest app is forgotten first. */
export class TransitionDedupe {
  private readonly last = new Map<string, Map<TriggerName, string>>();

  constructor(private readonly maxApps = 10_000) {}

  /** Records an Event of `app`; returns whether it is a new transition worth notifying. */
  observe(app: string, reason: string, revision: string): TriggerName | undefined {
    let state = this.last.get(app);
    if (state) {
      for (const [trigger] of state) if (CLEARED_BY[trigger].includes(reason)) state.delete(trigger);
    }
    const trigger = TRIGGER_OF_REASON[reason];
    if (!trigger) return undefined;
    const print = fingerprint(trigger, revision);
    if (print === undefined) return trigger;
    if (state?.get(trigger) === print) return undefined;
    if (!state) {
      state = new Map();
      if (this.last.size >= this.maxApps) this.last.delete(this.last.keys().next().value as string);
    } else this.last.delete(app); // re-insert: most recently used last
    this.last.set(app, state);
    state.set(trigger, print);
    return trigger;
  }

  /** The app is gone: forget it. */
  forget(app: string): void {
    this.last.delete(app);
  }
}

export interface AppIdentity {
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
}

/** The target names a transition goes to, in config order, each once. */
export function targetsFor(config: NotificationConfig, trigger: TriggerName, app: AppIdentity): string[] {
  const flag = app.annotations?.[NOTIFY_ANNOTATION];
  if (flag === "false" || (config.optIn && flag !== "true")) return [];
  const names = new Set<string>();
  for (const t of config.triggers) {
    if (!t.on.includes(trigger) || !matchesSelector(t.selector, app.labels ?? {})) continue;
    for (const name of t.targets) names.add(name);
  }
  return [...names];
}
