// Leader election for the singletons (ApplicationSet generation, image automation): one Lease,
// `tether-controller-leader`, that replicas take in turn, as client-go's leaderelection does. The
// holder's expiry is judged by the observer's monotonic clock from when it last saw the Lease change
// (members.ts does the same for member Leases), never by comparing another machine's renewTime.
import type { LeaseLike } from "./members.js";

export const LEADER_LEASE = "tether-controller-leader";

export interface LeaderLease extends LeaseLike {
  metadata?: { name?: string; namespace?: string; resourceVersion?: string };
  spec?: {
    holderIdentity?: string | null;
    leaseDurationSeconds?: number | null;
    acquireTime?: string | null;
    renewTime?: string | null;
    leaseTransitions?: number | null;
  };
}

/** What this replica last saw of the leader Lease. */
export interface LeaderObservation {
  readonly version: string;
  readonly holder: string;
  /** Monotonic time (this replica's clock) when the version last changed. */
  readonly observedAtMs: number;
}

export type LeaderStep =
  /** No Lease yet: create it, held by this replica. */
  | { readonly kind: "create"; readonly spec: NonNullable<LeaderLease["spec"]> }
  /** Write the Lease as this replica's (a renewal, or a takeover when `from` is set). */
  | { readonly kind: "write"; readonly spec: NonNullable<LeaderLease["spec"]>; readonly from?: string }
  /** Another replica holds it and its renewal is fresh: wait. */
  | { readonly kind: "follow"; readonly holder: string };

/** The observation after reading `lease` (undefined: it does not exist) at `nowMs`. */
export function observeLeader(
  previous: LeaderObservation | undefined,
  lease: LeaderLease | undefined,
  nowMs: number,
): LeaderObservation | undefined {
  if (!lease) return undefined;
  const version = lease.metadata?.resourceVersion ?? "";
  const holder = lease.spec?.holderIdentity ?? "";
  if (previous && previous.version === version) return previous;
  return { version, holder, observedAtMs: nowMs };
}

/**
 * The next step for replica `me`. A Lease held by another replica is taken only once this replica
 * has not seen it change for its whole duration; a released Lease (holder cleared) at once.
 */
export function leaderStep(input: {
  readonly lease: LeaderLease | undefined;
  readonly observation: LeaderObservation | undefined;
  readonly me: string;
  readonly durationMs: number;
  readonly nowMs: number;
  /** Wall-clock time for renewTime/acquireTime (informational: nobody compares them). */
  readonly wallTime: string;
}): LeaderStep {
  const { lease, observation, me, durationMs, nowMs, wallTime } = input;
  const leaseDurationSeconds = Math.ceil(durationMs / 1000);
  if (!lease) {
    return {
      kind: "create",
      spec: {
        holderIdentity: me,
        leaseDurationSeconds,
        acquireTime: wallTime,
        renewTime: wallTime,
        leaseTransitions: 0,
      },
    };
  }
  const spec = lease.spec ?? {};
  const holder = spec.holderIdentity ?? "";
  const transitions = spec.leaseTransitions ?? 0;
  if (holder === me)
    return {
      kind: "write",
      spec: { ...spec, holderIdentity: me, leaseDurationSeconds, renewTime: wallTime },
    };
  if (holder !== "") {
    const seconds = spec.leaseDurationSeconds;
    const theirs = typeof seconds === "number" && seconds > 0 ? seconds * 1000 : durationMs;
    const seenAt = observation?.observedAtMs ?? nowMs;
    if (nowMs < seenAt + theirs) return { kind: "follow", holder };
  }
  return {
    kind: "write",
    spec: {
      holderIdentity: me,
      leaseDurationSeconds,
      acquireTime: wallTime,
      renewTime: wallTime,
      leaseTransitions: transitions + 1,
    },
    ...(holder ? { from: holder } : {}),
  };
}
