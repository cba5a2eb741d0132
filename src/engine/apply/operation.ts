// Runs a sync operation as a step machine (steps from engine/apply/waves.ts). Each call advances
// as far as it can without blocking: it applies a step, starts its hooks and moves on when the
// step's resources are healthy and its hooks have finished; otherwise it returns "Running" and the
// next reconcile (woken by a watch event on those objects) continues. All progress is in the
// returned OperationState, which the reconciler writes to status — so a controller killed between
// two steps resumes at the step it was in, and a hook that finished is never run again.
//
// A hook object Tether creates carries the operation id (HOOK_OPERATION_ANNOTATION): a resumed
// operation recognises its own hooks in the cluster; any other copy is an earlier run.
import type { KubernetesObject } from "@kubernetes/client-node";
import type { HealthStatus, HookRecord, OperationState, ResourceRef } from "../../model/application.js";
import type { PruneDecision } from "../prune/candidates.js";
import { groupOf } from "../../model/ref.js";
import { mergeResults } from "../status/operation.js";
import type { SyncOptions } from "../status/syncoptions.js";
import type { HookDeletePolicy, HookPhase } from "./hooks.js";
import { HOOK_OPERATION_ANNOTATION } from "../../model/contract.js";
import { applyObjects, ensureNamespace, pruneObjects } from "./objects.js";
import type { Planned, SyncStep, SyncSteps } from "./waves.js";
import type { ApplyTarget, ChangeSetEntry, ResourceWriter } from "./writer.js";
import { describeObject as describe } from "./writer.js";

export interface PlannedObject<T extends ApplyTarget = ApplyTarget> extends Planned {
  readonly desired: T;
  readonly deletePolicies: readonly HookDeletePolicy[];
}

export interface OperationDeps {
  readonly writer: ResourceWriter;
  /** The watch cache's copy of an object. */
  readonly liveOf: (d: ApplyTarget) => KubernetesObject | undefined;
  readonly health: (live: KubernetesObject) => HealthStatus;
  /** Writes the operation to status now: before deleting a finished hook, so it is not run twice. */
  readonly persist: (op: OperationState) => Promise<void>;
}

export interface OperationInput {
  /** The operation in progress (phase Running, with an id). */
  readonly op: OperationState;
  readonly plan: SyncSteps<PlannedObject>;
  /** The resources that need applying (out of sync, selected, not claimed by another app), by key. */
  readonly toApply: ReadonlyMap<string, ApplyTarget>;
  readonly exists: (d: ApplyTarget) => boolean;
  readonly prune: readonly PruneDecision[];
  /** Prune is on for this operation (else every object to delete is kept, reason PruneDisabled). */
  readonly pruneAllowed: boolean;
  readonly options: SyncOptions;
  readonly createNamespace?: string;
}

export interface OperationProgress {
  readonly op: OperationState;
  /** What this call did (applied objects carry the server's copy). */
  readonly entries: readonly ChangeSetEntry[];
  readonly outcome: "Running" | "Succeeded" | "Failed";
  /** Running: what it waits for. Failed: why. */
  readonly message?: string;
}

function refOf(d: ApplyTarget): ResourceRef {
  const slash = d.apiVersion.indexOf("/");
  return {
    group: groupOf(d.apiVersion),
    version: d.apiVersion.slice(slash + 1),
    kind: d.kind,
    namespace: d.namespace,
    name: d.name,
  };
}

function sameRef(a: ResourceRef, b: ResourceRef): boolean {
  return (
    a.group === b.group &&
    a.kind === b.kind &&
    (a.namespace ?? "") === (b.namespace ?? "") &&
    a.name === b.name
  );
}

function entryOf(
  d: ApplyTarget,
  action: ChangeSetEntry["action"],
  message?: string,
  applied?: KubernetesObject,
): ChangeSetEntry {
  return {
    apiVersion: d.apiVersion,
    kind: d.kind,
    namespace: d.namespace,
    name: d.name,
    action,
    message,
    applied,
  };
}

/** An Operation id: unique enough per app (start time plus revision), readable in a kubectl listing. */
export function operationId(revision: string, startedAt: string): string {
  return `${revision.slice(0, 7)}-${Date.parse(startedAt).toString(36)}`;
}

type HooksState =
  { state: "done" } | { state: "pending"; message: string } | { state: "failed"; message: string };

class OperationRun {
  private op: OperationState;
  readonly entries: ChangeSetEntry[] = [];
  /** Objects applied in this call: fresher than the watch cache for the health check that follows. */
  private readonly applied = new Map<string, KubernetesObject>();

  constructor(
    private readonly deps: OperationDeps,
    private readonly input: OperationInput,
  ) {
    this.op = input.op;
  }

  private note(entries: readonly ChangeSetEntry[]): void {
    this.entries.push(...entries);
    this.op = { ...this.op, results: mergeResults(this.op.results, entries) };
  }

  private setHook(record: HookRecord): void {
    const others = (this.op.hooks ?? []).filter(
      (h) => !(h.phase === record.phase && sameRef(h.ref, record.ref)),
    );
    this.op = { ...this.op, hooks: [...others, record] };
  }

  private result(outcome: OperationProgress["outcome"], message?: string): OperationProgress {
    return { op: this.op, entries: this.entries, outcome, message };
  }

  async run(): Promise<OperationProgress> {
    if (this.op.failure !== undefined) return this.failed(this.op.failure);
    const { steps } = this.input.plan;
    const at = steps.findIndex((s) => s.id === this.op.step);
    // An unknown step (an operation recorded by an older Tether): start over. Applying again is
    // idempotent and hooks this operation finished are in its record.
    const start = at < 0 ? 0 : at;
    if (start === 0 && this.input.createNamespace)
      await ensureNamespace(this.deps.writer, this.input.createNamespace);
    for (const step of steps.slice(start)) {
      this.op = { ...this.op, step: step.id };
      const outcome = await this.runStep(step);
      if (outcome.state === "failed") return this.failed(outcome.message);
      if (outcome.state === "pending") return this.result("Running", outcome.message);
    }
    const { step: _done, ...finished } = this.op;
    this.op = finished;
    return this.result("Succeeded");
  }

  private async runStep(step: SyncStep<PlannedObject>): Promise<HooksState> {
    const { writer } = this.deps;
    if (step.phase === "Prune") {
      const pruned = await pruneObjects(
        writer,
        this.input.prune,
        this.input.pruneAllowed,
        this.input.options.prunePropagationPolicy,
      );
      this.note(pruned);
      const failed = pruned.filter((p) => p.action === "failed");
      return failed.length > 0
        ? { state: "failed", message: failed.map((f) => `${describe(f)}: ${f.message ?? ""}`).join("; ") }
        : { state: "done" };
    }
    const applying = step.resources.flatMap((r) => {
      const desired = this.input.toApply.get(r.desired.key);
      return desired ? [{ desired, exists: this.input.exists(desired) }] : [];
    });
    if (applying.length > 0) {
      const applied = await applyObjects(writer, applying, this.input.options, this.deps.liveOf);
      this.note(applied);
      for (const a of applied)
        if (a.applied) this.applied.set(`${a.kind}/${a.namespace ?? ""}/${a.name}`, a.applied);
      const failed = applied.filter((a) => a.action === "failed");
      if (failed.length > 0)
        return {
          state: "failed",
          message: failed.map((f) => `${describe(f)}: ${f.message ?? ""}`).join("; "),
        };
    }
    const hooks = await this.runHooks(step.hooks, step.phase === "Sync" ? "Sync" : step.phase);
    if (hooks.state !== "done" || !step.waitHealthy) return hooks;
    return this.waitHealthy(step);
  }

  /** The step's resources must all be Healthy (or Suspended) before the next step; Degraded fails the sync. */
  private waitHealthy(step: SyncStep<PlannedObject>): HooksState {
    const waiting: string[] = [];
    for (const r of step.resources) {
      const live =
        this.applied.get(`${r.desired.kind}/${r.desired.namespace ?? ""}/${r.desired.name}`) ??
        this.deps.liveOf(r.desired);
      const health: HealthStatus = live ? this.deps.health(live) : { status: "Missing" };
      if (health.status === "Degraded") {
        this.note([entryOf(r.desired, "failed", `Degraded${health.message ? `: ${health.message}` : ""}`)]);
        return {
          state: "failed",
          message: `${describe(r.desired)} is Degraded${health.message ? `: ${health.message}` : ""}`,
        };
      }
      if (health.status !== "Healthy" && health.status !== "Suspended")
        waiting.push(`${describe(r.desired)} (${health.status})`);
    }
    return waiting.length === 0
      ? { state: "done" }
      : { state: "pending", message: `wave ${step.wave}: waiting for ${waiting.join(", ")} to be healthy` };
  }

  private async runHooks(hooks: readonly PlannedObject[], phase: HookPhase): Promise<HooksState> {
    const pending: string[] = [];
    for (const hook of hooks) {
      const outcome = await this.runHook(hook, phase);
      if (outcome.state === "failed") return outcome;
      if (outcome.state === "pending") pending.push(outcome.message);
    }
    return pending.length === 0 ? { state: "done" } : { state: "pending", message: pending.join("; ") };
  }

  private async runHook(hook: PlannedObject, phase: HookPhase): Promise<HooksState> {
    const { writer } = this.deps;
    const d = hook.desired;
    const ref = refOf(d);
    const what = `${phase} hook ${describe(d)}`;
    const recorded = this.op.hooks?.find((h) => h.phase === phase && sameRef(h.ref, ref));
    const live = await writer.read(d);
    const ours = live?.metadata?.annotations?.[HOOK_OPERATION_ANNOTATION] === this.op.id;
    if (recorded?.status === "Succeeded" || recorded?.status === "Failed") {
      // Finished earlier (perhaps before a restart): never run again, only finish its clean-up.
      await this.cleanUp(hook, recorded.status, live && ours ? live : undefined);
      return recorded.status === "Succeeded"
        ? { state: "done" }
        : { state: "failed", message: `${what} failed: ${recorded.message ?? ""}` };
    }
    if (live && ours) {
      const health = this.deps.health(live);
      if (health.status === "Healthy" || health.status === "Degraded") {
        const status = health.status === "Healthy" ? "Succeeded" : "Failed";
        this.setHook({ ref, phase, status, message: health.message });
        this.note([
          entryOf(
            d,
            status === "Succeeded" ? "configured" : "failed",
            `${phase} hook ${status.toLowerCase()}${health.message ? `: ${health.message}` : ""}`,
          ),
        ]);
        // Recorded before any deletion: a restart in between must not create the hook again.
        await this.deps.persist(this.op);
        await this.cleanUp(hook, status, live);
        return status === "Succeeded"
          ? { state: "done" }
          : { state: "failed", message: `${what} failed${health.message ? `: ${health.message}` : ""}` };
      }
      return { state: "pending", message: `waiting for ${what} (${health.status})` };
    }
    if (live && hook.deletePolicies.includes("BeforeHookCreation")) {
      // An earlier run's copy: delete it and create this run's once it is gone.
      if (!live.metadata?.deletionTimestamp) await writer.remove(d, "Background");
      if (await writer.read(d))
        return { state: "pending", message: `waiting for the previous ${what} to be deleted` };
    }
    try {
      const object = {
        ...d.object,
        metadata: {
          ...d.object.metadata,
          annotations: { ...d.object.metadata?.annotations, [HOOK_OPERATION_ANNOTATION]: this.op.id ?? "" },
        },
      };
      const created = await writer.apply(object, { force: true, sensitive: d.sensitive });
      this.setHook({ ref, phase, status: "Running" });
      this.note([entryOf(d, live ? "configured" : "created", `${phase} hook started`, created)]);
      // Objects without a lifecycle (a ConfigMap as a hook) are done at once.
      const health = this.deps.health(created);
      if (health.status === "Healthy" && d.kind !== "Job" && d.kind !== "Pod")
        return this.runHook(hook, phase);
      return { state: "pending", message: `waiting for ${what}` };
    } catch (error) {
      // Fenced: the hook was not created here; the reconcile stops and the holder of the app runs it.
      if (writer.stopsRun(error)) throw error;
      const text = writer.messageOf(error);
      this.setHook({ ref, phase, status: "Failed", message: text });
      this.note([entryOf(d, "failed", `${phase} hook: ${text}`)]);
      return { state: "failed", message: `${what} could not be created: ${text}` };
    }
  }

  private async cleanUp(
    hook: PlannedObject,
    status: "Succeeded" | "Failed",
    live: KubernetesObject | undefined,
  ): Promise<void> {
    const policy = status === "Succeeded" ? "HookSucceeded" : "HookFailed";
    if (live && !live.metadata?.deletionTimestamp && hook.deletePolicies.includes(policy)) {
      await this.deps.writer.remove(hook.desired, "Background");
    }
  }

  /** A step failed: run the SyncFail hooks (once), then the operation fails with the first reason. */
  private async failed(reason: string): Promise<OperationProgress> {
    this.op = { ...this.op, failure: this.op.failure ?? reason, step: "SyncFail" };
    const hooks = await this.runHooks(this.input.plan.failHooks, "SyncFail");
    if (hooks.state === "pending")
      return this.result("Running", `sync failed (${this.op.failure}); ${hooks.message}`);
    const { step: _step, ...finished } = this.op;
    this.op = finished;
    const extra = hooks.state === "failed" ? `; ${hooks.message}` : "";
    return this.result("Failed", `${this.op.failure ?? reason}${extra}`);
  }
}

/** Advances the operation as far as it can go now. Never throws for an object's failure. */
export function advanceOperation(deps: OperationDeps, input: OperationInput): Promise<OperationProgress> {
  return new OperationRun(deps, input).run();
}
