// This replica's member Lease (created, renewed every duration/3, released on a clean stop) and the
// view of every member Lease in the system namespace (an informer). The view is judged by this
// replica's monotonic clock (members.ts); a tick re-evaluates it, since a member expires without any
// event.
import type { KubernetesObject } from "@kubernetes/client-node";
import type { KubeConfig } from "../../kube/connection.js";
import type { KubeClients } from "../../kube/client.js";
import { errorStatus } from "../../kube/client.js";
import { Informer } from "../../kube/informer.js";
import type { LeaseLike, MemberObservation } from "./members.js";
import { liveMembers, MEMBER_LEASE_PREFIX, memberIdOf, observe } from "./members.js";
import { MEMBER_LABEL } from "../../model/contract.js";

const LEASES = (ns: string) => `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(ns)}/leases`;

interface Lease extends LeaseLike {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; resourceVersion?: string; labels?: Record<string, string> };
  spec?: {
    holderIdentity?: string | null;
    leaseDurationSeconds?: number | null;
    renewTime?: string | null;
    acquireTime?: string | null;
  };
}

/** Kubernetes MicroTime: RFC 3339 with microseconds. */
function microTime(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}

export interface MembershipOptions {
  readonly config: KubeConfig;
  readonly clients: KubeClients;
  readonly namespace: string;
  readonly replicaId: string;
  readonly durationMs: number;
  /** Renewals further apart than this (duration − margin: the fence deadline) start a new epoch. */
  readonly fenceAfterMs: number;
  /** Called when the live member set (as this replica sees it) changes, and when this replica's fence changes. */
  readonly onChange: () => void;
  /** A renewal that started a new epoch: the Lease had lapsed, so claims must be confirmed again. */
  readonly onNewEpoch: () => void;
  readonly log: (line: string) => void;
  readonly now?: () => number;
}

export class Membership {
  private readonly observations = new Map<string, MemberObservation>();
  private readonly informer: Informer;
  private readonly now: () => number;
  private lease: Lease | undefined;
  private timer: NodeJS.Timeout | undefined;
  private expiryTimer: NodeJS.Timeout | undefined;
  /** Members whose expired Lease this replica is deleting now. */
  private readonly collecting = new Set<string>();
  private stopped = false;
  private lastLive = "";
  /** Monotonic send time of the last renewal the apiserver accepted. */
  lastRenewSentMs: number | undefined;

  constructor(private readonly options: MembershipOptions) {
    this.now = options.now ?? (() => performance.now());
    const path = LEASES(options.namespace);
    this.informer = new Informer({
      config: options.config,
      path,
      labelSelector: `${MEMBER_LABEL}=true`,
      list: async () => {
        const list = await options.clients.raw.request<{
          items: KubernetesObject[];
          metadata?: { resourceVersion?: string };
        }>({ method: "GET", path, query: { labelSelector: `${MEMBER_LABEL}=true` } });
        return { items: list.items, resourceVersion: list.metadata?.resourceVersion ?? "" };
      },
      onEvent: (type, object) => this.seen(type, object),
      onError: (error) => options.log(`watch member leases: ${String(error)}`),
    });
  }

  get leaseName(): string {
    return `${MEMBER_LEASE_PREFIX}${this.options.replicaId}`;
  }

  get renewEveryMs(): number {
    return Math.max(200, Math.floor(this.options.durationMs / 3));
  }

  /** Writes this replica's Lease, then lists and watches the others. */
  async start(): Promise<void> {
    await this.renew();
    await this.informer.start();
    this.schedule();
  }

  /** The live members other than this one. */
  others(): string[] {
    const now = this.now();
    return liveMembers(this.observations.values(), now).filter((id) => id !== this.options.replicaId);
  }

  /** Whether `id` is live as seen from here (this replica is live to itself). */
  isLive(id: string): boolean {
    if (id === this.options.replicaId) return true;
    return this.others().includes(id);
  }

  private seen(type: "ADDED" | "MODIFIED" | "DELETED", lease: Lease): void {
    const id = memberIdOf(lease);
    if (id === undefined || id === this.options.replicaId) return;
    const previous = this.observations.get(id);
    if (type === "DELETED") {
      // Released first (a clean stop): gone now. Deleted by someone else: this replica cannot know
      // the member stopped applying, so it stays live until its last renewal expires.
      if (!previous || previous.released) this.observations.delete(id);
    } else {
      const next = observe(previous, lease, this.now(), this.options.durationMs);
      if (next) this.observations.set(id, next);
    }
    this.checkChange();
  }

  private checkChange(): void {
    const now = this.now();
    for (const [id, o] of this.observations) {
      if (now >= o.observedAtMs + o.durationMs * 2) this.observations.delete(id);
      else if (!o.released && now >= o.observedAtMs + o.durationMs) this.collect(o);
    }
    this.scheduleExpiry(now);
    const live = this.others().join(",");
    if (live === this.lastLive) return;
    this.lastLive = live;
    this.options.onChange();
  }

  /**
   * A timer at the next moment a live member would expire, so a dead member's apps move as soon as
   * its Lease runs out rather than at this replica's next renewal tick (up to a third later).
   */
  private scheduleExpiry(now: number): void {
    clearTimeout(this.expiryTimer);
    if (this.stopped) return;
    let next = Infinity;
    for (const o of this.observations.values())
      if (!o.released && o.observedAtMs + o.durationMs > now)
        next = Math.min(next, o.observedAtMs + o.durationMs);
    if (next === Infinity) return;
    // A millisecond past the deadline: `isLive` is strict, so the member is expired when it fires.
    this.expiryTimer = setTimeout(() => this.checkChange(), next - now + 1);
  }

  /**
   * Deletes the Lease of a member that expired by this replica's clock, at the version seen (a
   * renewal since makes the delete fail, and the member stays). Without it a dead replica's Lease
   * would stay for good (pods come back under new names), and a replica starting later would count
   * it live for one more duration (a first sighting is a renewal) while the others do not: the two
   * views of the hashing disagree, and an app released to the newcomer waits that long unowned.
   */
  private collect(o: MemberObservation): void {
    if (this.collecting.has(o.id)) return;
    this.collecting.add(o.id);
    const path = `${LEASES(this.options.namespace)}/${MEMBER_LEASE_PREFIX}${o.id}`;
    this.options.clients.raw
      .request({ method: "DELETE", path, body: { preconditions: { resourceVersion: o.version } } })
      .then(() => this.options.log(`sharding: removed the expired member Lease of ${o.id}`))
      .catch((error: unknown) => {
        const status = errorStatus(error);
        // Gone already (another replica collected it) or renewed since: nothing to do.
        if (status !== 404 && status !== 409)
          this.options.log(`removing the expired member Lease of ${o.id}: ${String(error)}`);
      })
      .finally(() => this.collecting.delete(o.id));
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.renew()
        .catch((error: unknown) => this.options.log(`renewing Lease ${this.leaseName}: ${String(error)}`))
        .finally(() => {
          this.checkChange();
          this.schedule();
        });
    }, this.renewEveryMs);
  }

  private body(holder: string): Lease {
    const now = new Date();
    return {
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: {
        name: this.leaseName,
        namespace: this.options.namespace,
        labels: { [MEMBER_LABEL]: "true" },
        resourceVersion: this.lease?.metadata?.resourceVersion,
      },
      spec: {
        holderIdentity: holder,
        leaseDurationSeconds: Math.ceil(this.options.durationMs / 1000),
        acquireTime: this.lease?.spec?.acquireTime ?? microTime(now),
        renewTime: microTime(now),
      },
    };
  }

  /** One renewal: PUT at the last version (a conflict re-reads), or create when it is missing. */
  private async renew(): Promise<void> {
    if (this.stopped) return;
    const { raw } = this.options.clients;
    const path = LEASES(this.options.namespace);
    const sentAt = this.now();
    try {
      if (!this.lease) {
        this.lease = await raw.request<Lease>({ method: "GET", path: `${path}/${this.leaseName}` });
        // Ours from an earlier run with this id: take it over at its version.
      }
      this.lease = await raw.request<Lease>({
        method: "PUT",
        path: `${path}/${this.leaseName}`,
        body: this.body(this.options.replicaId),
      });
    } catch (error) {
      const status = errorStatus(error);
      if (status === 404) {
        this.lease = undefined;
        this.lease = await raw.request<Lease>({
          method: "POST",
          path,
          body: this.body(this.options.replicaId),
        });
      } else {
        // 409: someone else wrote it (or our version is old): read it again for the next renewal.
        if (status === 409) this.lease = undefined;
        throw error;
      }
    }
    const previous = this.lastRenewSentMs;
    // A renewal after the fence deadline starts a new epoch: claims confirmed before it may have
    // been taken over meanwhile, and this replica's cache of them may be stale.
    if (previous === undefined || sentAt - previous >= this.options.fenceAfterMs) this.options.onNewEpoch();
    this.lastRenewSentMs = Math.max(previous ?? sentAt, sentAt);
  }

  /**
   * Clean handover, after this replica has stopped applying: the Lease is released (holder cleared),
   * so the others take over at once, then deleted.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.expiryTimer);
    this.informer.stop();
    const { raw } = this.options.clients;
    const path = `${LEASES(this.options.namespace)}/${this.leaseName}`;
    try {
      if (this.lease)
        await raw.request({
          method: "PUT",
          path,
          body: { ...this.body(""), spec: { ...this.body("").spec, holderIdentity: "" } },
        });
      await raw.request({ method: "DELETE", path });
    } catch (error) {
      this.options.log(`releasing Lease ${this.leaseName}: ${String(error)}`);
    }
  }
}
