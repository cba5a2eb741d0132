// The per-app claim that fences applies independently of whether replicas agree on the hashing:
// `status.controller.replica` names the one replica allowed to apply for the app. It is taken,
// handed over and released by status writes carrying the app's resourceVersion, so of two replicas
// that both decide to write it, one write conflicts.
import type { ApplicationStatus } from "../../model/application.js";

export type ControllerClaim = NonNullable<ApplicationStatus["controller"]>;

export type ClaimDecision =
  /** This replica holds it, confirmed by a write since its Lease last lapsed: reconcile. */
  | { readonly kind: "held" }
  /** Write the claim (unclaimed, ours but unconfirmed, or its holder's Lease is not live). */
  | { readonly kind: "take"; readonly from?: string }
  /** Another live replica holds it: wait for its release or its Lease's expiry. */
  | { readonly kind: "wait"; readonly holder: string }
  /**
   * Not assigned here but held and confirmed here: write the claim over to the assignee (after the
   * running step, by the queue). The app is never without a holder: the assignee confirms it with
   * its own write before it applies, and if it dies first the others take it from a dead holder.
   */
  | { readonly kind: "handover"; readonly to: string }
  /**
   * Not assigned here, held here but not confirmed (handed over by a replica that hashes
   * differently, or ours from before a Lease lapse): clear it. Handing it on could bounce it between
   * two replicas that each think the other is assigned.
   */
  | { readonly kind: "release" }
  /** Not assigned here, not held here: nothing to do. */
  | { readonly kind: "skip" };

export function claimDecision(input: {
  readonly claim: ControllerClaim | undefined;
  readonly me: string;
  /** The live replica the app is assigned to, as seen from here. */
  readonly assignee: string | undefined;
  /** Claims this replica confirmed by a write in its current Lease epoch. */
  readonly confirmed: boolean;
  readonly isLive: (replica: string) => boolean;
}): ClaimDecision {
  const holder =
    typeof input.claim?.replica === "string" && input.claim.replica ? input.claim.replica : undefined;
  const { me, assignee } = input;
  if (assignee !== me) {
    if (holder !== me) return { kind: "skip" };
    return input.confirmed && assignee ? { kind: "handover", to: assignee } : { kind: "release" };
  }
  if (holder === me) return input.confirmed ? { kind: "held" } : { kind: "take" };
  if (holder === undefined) return { kind: "take" };
  return input.isLive(holder) ? { kind: "wait", holder } : { kind: "take", from: holder };
}
