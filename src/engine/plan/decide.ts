// "Should this app sync now?" — answered here and nowhere else. The policy's rule (./decideSync.ts)
// is filtered by the gates' verdicts (./gate.ts), then set against the operation in status:
//   continue   an operation still Running at this revision (waiting on a wave, a hook, or cut
//              short by a restart) goes on, whatever the gates say now;
//   start      a sync the policy or the user asks for and the gates allow (a Running operation at
//              an older revision is superseded: a newer commit starts over);
//   refuse     the policy gate (deny) answers the sync that would have run with a Failed
//              operation at step PolicyCheck, once per revision;
//   skip       nothing to do, or not allowed now — with the reason as a code.
import type { OperationState, SyncPolicy } from "../../model/application.js";
import { decideSync, type SyncDecision } from "./decideSync.js";
import type { GateVerdict } from "./gate.js";

/** The step recorded on an operation the policy gate refused: a later reconcile knows it was the gate's. */
export const POLICY_STEP = "PolicyCheck";

/** Why no operation runs, as a code (the golden plans show it; nothing decides from it). */
export type SkipReason =
  /** In sync, or a sync was allowed but there is nothing to apply or prune. */
  | "NothingToDo"
  /** Manual policy and no request. */
  | "NotRequested"
  /** A project gate (resources, dependsOn, sync window) refuses this kind of sync now. */
  | "GateClosed"
  /** The policy gate (deny) refuses every sync now. */
  | "PolicyRefused"
  /** Automated without selfHeal: drift at a deployed revision is left alone. */
  | "SelfHealOff"
  /** A failed sync at this revision: its retries are used up, or its backoff is not over. */
  | "RetryNotDue";

export interface SyncVerdict {
  /** Who the operation is for, when one runs (continued, started or superseding). */
  readonly initiatedBy?: "auto" | "manual";
  /** The operation to go on with (Running at this revision). */
  readonly continuing?: OperationState;
  /** A Running operation at another revision, replaced by a new one. */
  readonly superseded?: OperationState;
  /** Self-heal of drift at an already-deployed revision (guarded against hot loops). */
  readonly selfHeal: boolean;
  readonly retryCount: number;
  /** The policy gate refuses the sync that would run now: record it as a Failed operation. */
  readonly refusedByPolicy?: { readonly initiatedBy: "auto" | "manual"; readonly retryCount: number };
}

const withoutSync = (d: SyncDecision): SyncDecision => ({
  ...d,
  initiatedBy: undefined,
  selfHeal: false,
  retryCount: 0,
});

export function decideOperation(input: {
  readonly policy: SyncPolicy | undefined;
  readonly requested: boolean;
  readonly outOfSync: boolean;
  readonly revision: string;
  readonly last: OperationState | undefined;
  readonly gate: Pick<GateVerdict, "autoAllowed" | "manualAllowed" | "policyBlocked">;
  readonly now: Date;
}): SyncVerdict {
  const { gate, last, revision } = input;
  const allowedKind = (initiatedBy: "auto" | "manual" | undefined) =>
    initiatedBy && (initiatedBy === "manual" ? gate.manualAllowed : gate.autoAllowed)
      ? initiatedBy
      : undefined;
  const base = decideSync({
    policy: input.policy,
    requested: input.requested,
    outOfSync: input.outOfSync,
    revision,
    lastOperation: last,
    now: input.now,
  });
  // The project gate (resources, dependencies, windows) takes out what it does not allow now.
  const projectPermitted = base.initiatedBy && !allowedKind(base.initiatedBy) ? withoutSync(base) : base;
  let decision = projectPermitted;
  if (gate.policyBlocked) {
    decision = projectPermitted.initiatedBy ? withoutSync(projectPermitted) : projectPermitted;
  } else {
    // The policy (or the rules) changed since the gate refused this revision: sync now, as the
    // refused automated sync would have, instead of waiting for a new commit.
    const refusedHere = last?.phase === "Failed" && last.step === POLICY_STEP && last.revision === revision;
    if (
      !decision.initiatedBy &&
      refusedHere &&
      input.policy?.automated &&
      input.outOfSync &&
      allowedKind("auto") === "auto"
    )
      decision = { ...decision, initiatedBy: "auto", selfHeal: false, retryCount: 0 };
  }

  const running = last?.phase === "Running" ? last : undefined;
  const continuing = running?.revision === revision ? running : undefined;
  const superseded = running && !continuing ? running : undefined;
  const resuming = continuing !== undefined;
  const refusedByPolicy =
    gate.policyBlocked && projectPermitted.initiatedBy && !resuming
      ? { initiatedBy: projectPermitted.initiatedBy, retryCount: projectPermitted.retryCount }
      : undefined;
  const allowSuperseded = gate.policyBlocked ? undefined : allowedKind(superseded?.initiatedBy);
  return {
    initiatedBy: continuing?.initiatedBy ?? decision.initiatedBy ?? allowSuperseded,
    continuing,
    superseded,
    selfHeal: decision.selfHeal,
    retryCount: continuing?.retryCount ?? decision.retryCount,
    refusedByPolicy,
  };
}

export function skipReason(input: {
  readonly policy: SyncPolicy | undefined;
  readonly requested: boolean;
  readonly outOfSync: boolean;
  readonly revision: string;
  readonly last: OperationState | undefined;
  readonly gate: Pick<GateVerdict, "autoAllowed" | "manualAllowed" | "policyBlocked">;
  readonly verdict: SyncVerdict;
}): SkipReason {
  const { gate, last } = input;
  if (input.verdict.initiatedBy) return "NothingToDo";
  if (gate.policyBlocked && (input.requested || input.outOfSync)) return "PolicyRefused";
  if (input.requested) return "GateClosed";
  if (!input.outOfSync) return "NothingToDo";
  if (!input.policy?.automated) return "NotRequested";
  if (!gate.autoAllowed) return "GateClosed";
  if (last?.phase === "Failed" && last.revision === input.revision) return "RetryNotDue";
  return "SelfHealOff";
}
