// The leader Lease's I/O: every third of the duration a replica reads `tether-controller-leader`,
// renews it when it holds it, takes it when its holder has not renewed for a whole duration (by this
// replica's clock) or released it, and otherwise follows. The singletons start when this replica
// becomes leader and stop when it stops being one: at its fence deadline (duration − margin after
// its last accepted renewal was sent), before any other replica may take the Lease (the timing
// argument of docs/architecture.md, "Sharding and fencing", applies unchanged).
import type { KubeClients } from "../../kube/client.js";
import { errorStatus } from "../../kube/client.js";
import { FencedError } from "./fence.js";
import type { LeaderLease, LeaderObservation } from "./leader.js";
import { LEADER_LEASE, leaderStep, observeLeader } from "./leader.js";

export interface LeaderElectionOptions {
  readonly clients: KubeClients;
  readonly namespace: string;
  readonly replicaId: string;
  readonly durationMs: number;
  /** Leadership ends this long after the last accepted renewal was sent (duration − margin). */
  readonly fenceAfterMs: number;
  /** Became leader: start the singletons. */
  readonly onStartedLeading: () => Promise<void>;
  /** No longer leader (lapsed or stopping): stop the singletons; resolves when they wrote their last. */
  readonly onStoppedLeading: () => Promise<void>;
  readonly log: (line: string) => void;
  readonly now?: () => number;
}

function microTime(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}

export class LeaderElection {
  private readonly now: () => number;
  private readonly path: string;
  private observation: LeaderObservation | undefined;
  private lease: LeaderLease | undefined;
  private lastRenewSentMs: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private inFlight = false;
  private stopped = false;
  private leading = false;
  /** Start/stop of the singletons, one after the other. */
  private transitions: Promise<void> = Promise.resolve();
  /** Throws FencedError unless this replica is the leader now (checked before singleton writes). */
  readonly check = () => {
    if (!this.isLeader())
      throw new FencedError(`replica ${this.options.replicaId} is not the leader (Lease ${LEADER_LEASE})`);
  };

  constructor(private readonly options: LeaderElectionOptions) {
    this.now = options.now ?? (() => performance.now());
    this.path = `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(options.namespace)}/leases`;
  }

  get retryEveryMs(): number {
    return Math.max(200, Math.floor(this.options.durationMs / 3));
  }

  /** Leader while its last accepted renewal was sent less than the fence deadline ago. */
  isLeader(): boolean {
    if (this.stopped || this.lastRenewSentMs === undefined) return false;
    return this.now() - this.lastRenewSentMs < this.options.fenceAfterMs;
  }

  /** Tries once at once (a lone replica leads from the start), then every third of the duration. */
  async start(): Promise<void> {
    await this.attempt();
    this.schedule();
    // The singletons of a replica that leads from the start run before start() resolves.
    await this.transitions;
  }

  /** Stops the singletons, then releases the Lease (holder cleared) so another replica leads at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.settle();
    await this.transitions;
    if (this.lease?.spec?.holderIdentity !== this.options.replicaId) return;
    try {
      const body = {
        ...this.body(),
        spec: { ...this.lease.spec, holderIdentity: "", leaseDurationSeconds: 1 },
      };
      await this.options.clients.raw.request({ method: "PUT", path: `${this.path}/${LEADER_LEASE}`, body });
    } catch (error) {
      this.options.log(`releasing Lease ${LEADER_LEASE}: ${String(error)}`);
    }
  }

  private schedule(): void {
    if (this.stopped) return;
    // A tick judges leadership even while a request hangs: the singletons stop at the deadline.
    this.timer = setTimeout(() => {
      this.settle();
      if (!this.inFlight) void this.attempt();
      this.schedule();
    }, this.retryEveryMs);
  }

  private body(): LeaderLease & { apiVersion: string; kind: string } {
    return {
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: {
        name: LEADER_LEASE,
        namespace: this.options.namespace,
        resourceVersion: this.lease?.metadata?.resourceVersion,
      },
    };
  }

  private async attempt(): Promise<void> {
    if (this.stopped) return;
    this.inFlight = true;
    const { raw } = this.options.clients;
    const sentAt = this.now();
    try {
      let lease: LeaderLease | undefined;
      try {
        lease = await raw.request<LeaderLease>({ method: "GET", path: `${this.path}/${LEADER_LEASE}` });
      } catch (error) {
        if (errorStatus(error) !== 404) throw error;
      }
      this.lease = lease;
      this.observation = observeLeader(this.observation, lease, this.now());
      const step = leaderStep({
        lease,
        observation: this.observation,
        me: this.options.replicaId,
        durationMs: this.options.durationMs,
        nowMs: this.now(),
        wallTime: microTime(new Date()),
      });
      if (step.kind === "follow" || this.stopped) return;
      const body = { ...this.body(), spec: step.spec };
      this.lease =
        step.kind === "create"
          ? await raw.request<LeaderLease>({
              method: "POST",
              path: this.path,
              body: { ...body, metadata: { ...body.metadata, resourceVersion: undefined } },
            })
          : await raw.request<LeaderLease>({ method: "PUT", path: `${this.path}/${LEADER_LEASE}`, body });
      this.observation = observeLeader(this.observation, this.lease, this.now());
      if (this.stopped) return;
      this.lastRenewSentMs = sentAt;
      if (step.kind === "create" || step.from !== undefined || !this.leading)
        this.options.log(
          `leader: ${this.options.replicaId} holds Lease ${LEADER_LEASE}${step.kind === "write" && step.from ? ` (taken from ${step.from}: not renewed for its duration)` : ""}`,
        );
    } catch (error) {
      // 409: another replica wrote it first; the next attempt reads its version.
      if (errorStatus(error) !== 409) this.options.log(`leader Lease ${LEADER_LEASE}: ${String(error)}`);
    } finally {
      this.inFlight = false;
      this.settle();
    }
  }

  /** Starts or stops the singletons when leadership changed. */
  private settle(): void {
    const leader = this.isLeader();
    if (leader === this.leading) return;
    this.leading = leader;
    const { onStartedLeading, onStoppedLeading, log, replicaId } = this.options;
    this.transitions = this.transitions.then(async () => {
      try {
        if (leader) await onStartedLeading();
        else {
          log(`leader: ${replicaId} stopped leading; singletons stopped`);
          await onStoppedLeading();
        }
      } catch (error) {
        log(`leader: ${leader ? "starting" : "stopping"} the singletons: ${String(error)}`);
      }
    });
  }
}
