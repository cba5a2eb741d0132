// The sync policy's own answer to "sync now, and on whose initiative?", before any gate: the app's
// policy, what the compare found, and the last operation recorded in status. Pure. The complete
// answer (gates, a running operation, supersede) is ./decide.ts's, the only caller.
import type { OperationState, SyncPolicy } from "../../model/application.js";
import { retryWaitMs } from "../status/retry.js";

export interface SyncDecisionInput {
  readonly policy: SyncPolicy | undefined;
  /** A user asked (sync annotation, rollback). */
  readonly requested: boolean;
  readonly outOfSync: boolean;
  /** The commit the app should be at now. */
  readonly revision: string;
  readonly lastOperation: OperationState | undefined;
  /** The clock: a retry of a failed sync waits out its backoff (spec.syncPolicy.retry.backoff). */
  readonly now: Date;
}

export interface SyncDecision {
  readonly initiatedBy?: "auto" | "manual";
  /** The revision differs from the last operation's: a deployment, not a drift correction. */
  readonly newRevision: boolean;
  /** The last operation never finished (the controller stopped mid-sync): resume it. */
  readonly resumes: boolean;
  /** An automatic sync at an already-deployed revision (not a retry): self-heal of drift. */
  readonly selfHeal: boolean;
  /** Automatic retries made so far of a failed sync at this revision, this one included. */
  readonly retryCount: number;
}

export function decideSync(input: SyncDecisionInput): SyncDecision {
  const last = input.lastOperation;
  const automated = input.policy?.automated;
  const newRevision = last?.revision !== input.revision;
  const resumes = last?.phase === "Running";
  const failedHere = last?.phase === "Failed" && !newRevision;
  const retryLimit = input.policy?.retry?.limit ?? 0;
  const retriesLeft = !failedHere || (last?.retryCount ?? 0) < retryLimit;
  // Counted from the failure, not from this reconcile: a watch event or a poll must not retry early.
  const waitMs =
    failedHere && retriesLeft && last ? retryWaitMs(last, input.policy?.retry?.backoff, input.now) : 0;
  let initiatedBy: "auto" | "manual" | undefined;
  if (input.requested) initiatedBy = "manual";
  else if (
    automated &&
    input.outOfSync &&
    (resumes || ((newRevision || failedHere || automated.selfHeal === true) && retriesLeft && waitMs === 0))
  ) {
    // Without selfHeal, an automated app deploys each new revision once but leaves drift alone
    // (Argo CD's semantics); a failed sync at the same revision is retried within retry.limit,
    // with or without selfHeal (as Argo CD retries any automated sync).
    initiatedBy = "auto";
  }
  return {
    initiatedBy,
    newRevision,
    resumes,
    // A retry of a failed sync is not drift correction, though the revision is the same.
    selfHeal: initiatedBy === "auto" && !newRevision && !resumes && !failedHere,
    retryCount: failedHere && initiatedBy === "auto" ? (last?.retryCount ?? 0) + 1 : 0,
  };
}
