// Who is a live member, judged only by this replica's monotonic clock. A member Lease is live while
// this replica has seen it renewed (its resourceVersion change) within its lease duration: the
// renewTime written by another machine's wall clock is never compared with ours, so clock offset
// between machines does not matter (client-go's leader election judges "observed time" the same way).

/** What this replica last saw of one member's Lease. */
export interface MemberObservation {
  readonly id: string;
  /** spec.leaseDurationSeconds, in ms: each member says how long its renewals hold. */
  readonly durationMs: number;
  /** The Lease's resourceVersion when last seen: a change is a renewal. */
  readonly version: string;
  /** This replica's monotonic time (performance.now) when the version last changed. */
  readonly observedAtMs: number;
  /** The member handed over cleanly (holderIdentity cleared before deleting): not live at once. */
  readonly released: boolean;
}

export interface LeaseLike {
  metadata?: { name?: string; resourceVersion?: string };
  spec?: { holderIdentity?: string | null; leaseDurationSeconds?: number | null };
}

export const MEMBER_LEASE_PREFIX = "tether-controller-";

/** The member id of a member Lease (`tether-controller-<id>`), or undefined for another Lease. */
export function memberIdOf(lease: LeaseLike): string | undefined {
  const name = lease.metadata?.name ?? "";
  return name.startsWith(MEMBER_LEASE_PREFIX) && name.length > MEMBER_LEASE_PREFIX.length
    ? name.slice(MEMBER_LEASE_PREFIX.length)
    : undefined;
}

/**
 * The observation after seeing `lease` at `nowMs`. An unchanged version keeps the old observation
 * time (a re-list is not a renewal); a first sighting counts as a renewal now, which is conservative:
 * a Lease left by a dead replica holds its apps one more duration after this replica starts.
 */
export function observe(
  previous: MemberObservation | undefined,
  lease: LeaseLike,
  nowMs: number,
  defaultDurationMs: number,
): MemberObservation | undefined {
  const id = memberIdOf(lease);
  if (id === undefined) return undefined;
  const version = lease.metadata?.resourceVersion ?? "";
  const seconds = lease.spec?.leaseDurationSeconds;
  const durationMs = typeof seconds === "number" && seconds > 0 ? seconds * 1000 : defaultDurationMs;
  const released = !lease.spec?.holderIdentity;
  if (previous && previous.version === version) return { ...previous, durationMs, released };
  return { id, durationMs, version, observedAtMs: nowMs, released };
}

/** Whether a member counts at `nowMs`: renewed within its duration and not released. */
export function isLive(o: MemberObservation, nowMs: number): boolean {
  return !o.released && nowMs < o.observedAtMs + o.durationMs;
}

/** The live member ids, sorted (the order is irrelevant to `assign`; sorting makes changes comparable). */
export function liveMembers(observations: Iterable<MemberObservation>, nowMs: number): string[] {
  const live: string[] = [];
  for (const o of observations) if (isLive(o, nowMs)) live.push(o.id);
  return live.sort();
}

/** A Lease name needs a DNS-1123 subdomain; a replica id is kept to a DNS label so it fits both. */
export function replicaIdError(id: string): string | undefined {
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(id) || id.length > 63 - MEMBER_LEASE_PREFIX.length)
    return `replica id "${id}" must be lowercase letters, digits and '-', at most ${63 - MEMBER_LEASE_PREFIX.length} characters`;
  return undefined;
}

/** A hostname (or pod name) made into a replica id: lowercased, other characters to '-', cut to fit. */
export function toReplicaId(raw: string): string {
  const max = 63 - MEMBER_LEASE_PREFIX.length;
  const id = raw
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .slice(-max)
    .replace(/^-+|-+$/g, "");
  return id || "replica";
}
