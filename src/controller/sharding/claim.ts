// The per-app claim that fences applies independently of whether replicas agree on the hashing:
// `status.controller.replica` names the one replica allowed to apply for the app. It is taken and
// released by status writes carrying the app's resourceVersion, so of two replicas that both decide
// to take it, one write conflicts.
import type { ApplicationStatus } from "../../model/application.js";

export type ControllerClaim = NonNullable<ApplicationStatus["controller"]>;

export type ClaimDecision =
  /** This replica holds it, confirmed by a write since its Lease last lapsed: reconcile. */
  | { readonly kind: "held" }
  /** Write the claim (unclaimed, ours but unconfirmed, or its holder's Lease is not live). */
  | { readonly kind: "take"; readonly from?: string }
  /** Another live replica holds it: wait for its release or its Lease's expiry. */
  | { readonly kind: "wait"; readonly holder: string }
  /** Not assigned here but held here: write the release (after the running step, by the queue). */
  | { readonly kind: "release" }
  /** Not assigned here, not held here: nothing to do. */
  | { readonly kind: "skip" };

export function claimDecision(input: {
  readonly claim: ControllerClaim | undefined;
  readonly me: string;
  readonly assigned: boolean;
  /** Claims this replica confirmed by a write in its current Lease epoch. */
  readonly confirmed: boolean;
  readonly isLive: (replica: string) => boolean;
}): ClaimDecision {
  const holder =
    typeof input.claim?.replica === "string" && input.claim.replica ? input.claim.replica : undefined;
  if (!input.assigned) return holder === input.me ? { kind: "release" } : { kind: "skip" };
  if (holder === input.me) return input.confirmed ? { kind: "held" } : { kind: "take" };
  if (holder === undefined) return { kind: "take" };
  return input.isLive(holder) ? { kind: "wait", holder } : { kind: "take", from: holder };
}
