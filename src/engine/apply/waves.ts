// A sync as an ordered list of steps: PreSync hooks, then each wave of resources (with that wave's
// Sync hooks), prune, PostSync hooks — PruneLast moves prune to the very end. SyncFail hooks are a
// list of their own, run only when a step fails. Pure and deterministic: the same render gives the
// same steps, so a sync resumed after a restart finds its place by step id.
import type { HookPhase } from "./hooks.js";
import { applyOrder, type Orderable } from "./order.js";

export interface Planned extends Orderable {
  readonly wave: number;
  readonly hooks: readonly HookPhase[];
}

export type StepPhase = "PreSync" | "Sync" | "Prune" | "PostSync";

export interface SyncStep<T> {
  /** Stable id recorded in status: "PreSync/-1", "Sync/0", "Prune", "PostSync/0". */
  readonly id: string;
  readonly phase: StepPhase;
  readonly wave: number;
  /** Resources of this wave (all of them: the step waits on their health). */
  readonly resources: readonly T[];
  /** Hooks this step runs, in apply order. */
  readonly hooks: readonly T[];
  /** Whether the next step may start only once this one's resources are healthy and hooks done. */
  readonly waitHealthy: boolean;
}

export interface SyncSteps<T> {
  readonly steps: readonly SyncStep<T>[];
  readonly failHooks: readonly T[];
}

function waves<T extends Planned>(items: readonly T[]): number[] {
  return [...new Set(items.map((i) => i.wave))].sort((a, b) => a - b);
}

export function planSteps<T extends Planned>(input: {
  readonly resources: readonly T[];
  readonly hooks: readonly T[];
  readonly pruneLast: boolean;
}): SyncSteps<T> {
  const hooksOf = (phase: HookPhase) => input.hooks.filter((h) => h.hooks.includes(phase));
  const drafts: Omit<SyncStep<T>, "waitHealthy">[] = [];
  const hookSteps = (phase: "PreSync" | "PostSync") => {
    const hooks = hooksOf(phase);
    for (const wave of waves(hooks)) {
      drafts.push({
        id: `${phase}/${wave}`,
        phase,
        wave,
        resources: [],
        hooks: applyOrder(hooks.filter((h) => h.wave === wave)),
      });
    }
  };
  const prune = { id: "Prune", phase: "Prune" as const, wave: 0, resources: [], hooks: [] };
  hookSteps("PreSync");
  const syncHooks = hooksOf("Sync");
  for (const wave of waves([...input.resources, ...syncHooks])) {
    drafts.push({
      id: `Sync/${wave}`,
      phase: "Sync",
      wave,
      resources: applyOrder(input.resources.filter((r) => r.wave === wave)),
      hooks: applyOrder(syncHooks.filter((h) => h.wave === wave)),
    });
  }
  if (!input.pruneLast) drafts.push(prune);
  hookSteps("PostSync");
  if (input.pruneLast) drafts.push(prune);
  // A step waits for health only when something after it depends on that: a later wave, a hook,
  // or PruneLast. The last wave of an app without hooks does not hold the sync open (Argo CD's
  // behaviour), so the common case finishes in one reconcile; health is still reported as usual.
  const steps = drafts.map((step, index) => ({
    ...step,
    waitHealthy:
      step.phase !== "Prune" &&
      (step.hooks.length > 0 ||
        drafts.slice(index + 1).some((later) => later.phase !== "Prune" || input.pruneLast)),
  }));
  return { steps, failHooks: applyOrder(hooksOf("SyncFail")) };
}
