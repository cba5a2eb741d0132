// Sharding for one controller replica: which apps it reconciles (rendezvous hashing over the live
// members), the per-app claim it must hold before applying (status.controller), and the fence that
// stops its writes when its own Lease is stale. The queue handler asks `gate` before every
// reconcile; the reconcile's writes go through `fenced` clients.
import { Counter, Gauge } from "prom-client";
import type { Registry } from "prom-client";
import type { KubeConfig } from "../../kube/connection.js";
import type { KubeClients } from "../../kube/client.js";
import type { ResourceClient } from "../../kube/resources.js";
import type { Application } from "../../model/application.js";
import type { ApplicationClient } from "../applications.js";
import type { ShardKeyMode } from "./hash.js";
import { assign, shardKey } from "./hash.js";
import { claimDecision } from "./claim.js";
import type { WriteObserver } from "./fence.js";
import { FencedError, fenceReason, fencedResources } from "./fence.js";
import { Membership } from "./membership.js";

export interface ShardingOptions {
  readonly replicaId: string;
  readonly keyMode?: ShardKeyMode;
  /** Member Lease duration (default 15 s); renewals every third of it. */
  readonly leaseDurationMs?: number;
  /** Log every write the fence lets through, naming the app (TETHER_DEBUG=1; the sharding tests read it). */
  readonly logWrites?: boolean;
}

/** What the queue handler does with one app now. */
export type Gate =
  { readonly run: true } | { readonly run: false; readonly requeueAfterMs?: number; readonly why: string };

export class Sharding {
  readonly replicaId: string;
  readonly membership: Membership;
  private readonly keyMode: ShardKeyMode;
  private readonly logWrites: boolean;
  readonly durationMs: number;
  readonly marginMs: number;
  /** Apps whose claim this replica confirmed by a write since its Lease last lapsed. */
  private readonly confirmed = new Set<string>();
  private readonly rebalances: Counter;
  private members: string[] = [];
  /** One check per app key, so the fenced client wrapping a cluster's client is reused per app. */
  private readonly checks = new Map<string, () => void>();

  constructor(
    private readonly deps: {
      readonly config: KubeConfig;
      readonly clients: KubeClients;
      readonly namespace: string;
      readonly apps: () => ApplicationClient;
      /** Queue these app keys (membership changed). */
      readonly enqueue: (key: string) => void;
      /** Drop the app's watches: it is no longer reconciled here. */
      readonly released: (key: string) => void;
      readonly registry: Registry;
      readonly log: (line: string) => void;
    },
    options: ShardingOptions,
  ) {
    this.replicaId = options.replicaId;
    this.keyMode = options.keyMode ?? "app";
    this.logWrites = options.logWrites ?? false;
    this.durationMs = options.leaseDurationMs ?? 15_000;
    // A third of the duration: renewals come every third, so one slow or lost renewal is tolerated
    // before this replica fences itself, and the successor still waits a third more.
    this.marginMs = Math.floor(this.durationMs / 3);
    this.membership = new Membership({
      config: deps.config,
      clients: deps.clients,
      namespace: deps.namespace,
      replicaId: this.replicaId,
      durationMs: this.durationMs,
      fenceAfterMs: this.durationMs - this.marginMs,
      onChange: () => this.membershipChanged(),
      onNewEpoch: () => this.confirmed.clear(),
      log: deps.log,
    });
    this.rebalances = new Counter({
      name: "tether_shard_rebalances_total",
      help: "Changes of the live controller replica set seen by this replica (each re-spreads the apps).",
      registers: [deps.registry],
    });
    const confirmed = this.confirmed;
    const replica = this.replicaId;
    new Gauge({
      name: "tether_shard_apps",
      help: "Applications this controller replica holds (status.controller.replica).",
      labelNames: ["replica"] as const,
      registers: [deps.registry],
      collect() {
        this.set({ replica }, confirmed.size);
      },
    });
  }

  async start(): Promise<void> {
    await this.membership.start();
    this.members = this.liveSet();
    this.deps.log(
      `sharding: replica ${this.replicaId}, key ${this.keyMode}, lease ${this.durationMs / 1000} s, members ${this.members.join(", ")}`,
    );
  }

  async stop(): Promise<void> {
    await this.membership.stop();
  }

  /** Why this replica must not apply now (its own Lease is stale), or undefined. */
  fenced(): string | undefined {
    return fenceReason({
      lastRenewSentMs: this.membership.lastRenewSentMs,
      durationMs: this.durationMs,
      marginMs: this.marginMs,
      nowMs: performance.now(),
    });
  }

  /**
   * Throws FencedError while this replica's Lease is stale, or when it no longer holds a confirmed
   * claim on `key`. The second covers a reconcile in flight across a lapse (a frozen process, a
   * partition): once resumed and renewed, its Lease is fresh again, but the claim it reconciled
   * under was dropped with the old epoch and the app may be another replica's by now. The queue
   * never runs one key twice at once, so only this key's next gate can confirm the claim again.
   */
  check(key: string): void {
    const why =
      this.fenced() ??
      (this.confirmed.has(key) ? undefined : "its claim on the app lapsed since this reconcile began");
    if (why)
      throw new FencedError(
        `replica ${this.replicaId} is fenced for ${key}: ${why}; nothing is applied until it claims it again`,
      );
  }

  /** `resources` whose writes for `key` throw FencedError while `check(key)` would. */
  fencedResources(resources: ResourceClient, key: string): ResourceClient {
    let check = this.checks.get(key);
    if (!check) this.checks.set(key, (check = () => this.check(key)));
    const observe: WriteObserver | undefined = this.logWrites
      ? (verb, what) => this.deps.log(`sharding: ${key} writes: ${verb} ${what}`)
      : undefined;
    return fencedResources(resources, check, observe);
  }

  /** The replica an app is assigned to, as seen from here. */
  assignedTo(app: Application): string | undefined {
    return assign(shardKey(app, this.keyMode), this.members);
  }

  /** The apps this replica holds a confirmed claim on. */
  held(): number {
    return this.confirmed.size;
  }

  private liveSet(): string[] {
    return [...this.membership.others(), ...(this.fenced() ? [] : [this.replicaId])].sort();
  }

  private membershipChanged(): void {
    const next = this.liveSet();
    if (next.join(",") === this.members.join(",")) return;
    this.deps.log(`sharding: members ${this.members.join(", ") || "none"} → ${next.join(", ") || "none"}`);
    this.members = next;
    this.rebalances.inc();
    // Every app is looked at again: the gate decides (claim, release or skip) at the queue's pace.
    for (const key of this.deps.apps().keys()) this.deps.enqueue(key);
  }

  /**
   * Before a reconcile of `key`: run it only when this replica is assigned the app and holds its
   * claim (taking it when free); hand a claim it holds but is no longer assigned to the assignee.
   * The queue never runs one key twice at once, so a handover comes after the key's in-flight
   * reconcile.
   */
  async gate(key: string): Promise<Gate> {
    const store = this.deps.apps();
    const app = store.get(key);
    // A deleted app: the reconcile only lets go of local state (watches, caches).
    if (!app) {
      this.confirmed.delete(key);
      this.checks.delete(key);
      return { run: true };
    }
    const waitMs = this.membership.renewEveryMs;
    const why = this.fenced();
    if (why) return { run: false, requeueAfterMs: waitMs, why: `fenced: ${why}` };
    // Re-judged here too: a member may have expired since the last tick.
    this.membershipChanged();
    const assignee = this.assignedTo(app);
    const decision = claimDecision({
      claim: app.status?.controller,
      me: this.replicaId,
      assignee,
      confirmed: this.confirmed.has(key),
      isLive: (id) => this.membership.isLive(id),
    });
    switch (decision.kind) {
      case "held":
        return { run: true };
      case "skip":
        this.confirmed.delete(key);
        return { run: false, why: `assigned to ${assignee ?? "nobody"}` };
      case "wait":
        return { run: false, requeueAfterMs: waitMs, why: `held by live replica ${decision.holder}` };
      case "handover":
      case "release": {
        // Unconfirmed first: a write of this replica for the app fails from here on.
        this.confirmed.delete(key);
        this.deps.released(key);
        const { controller: _mine, ...rest } = app.status ?? {};
        const to = decision.kind === "handover" ? decision.to : undefined;
        await store.writeStatus(
          app,
          to ? { ...rest, controller: { replica: to, handedOverBy: this.replicaId } } : rest,
        );
        this.deps.log(
          `sharding: released ${key} ${to ? `to ${to}` : `(assigned to ${assignee ?? "nobody"})`}`,
        );
        return { run: false, why: "released" };
      }
      case "take": {
        // Written with the cached resourceVersion: a holder's write since (or another replica's
        // claim) makes this conflict, and the queue retries with the news.
        await store.writeStatus(app, {
          ...app.status,
          controller: { replica: this.replicaId, claimedAt: new Date().toISOString() },
        });
        this.confirmed.add(key);
        const from = decision.from ? ` from ${decision.from} (its Lease is not live)` : "";
        this.deps.log(`sharding: claimed ${key}${from}`);
        return { run: true };
      }
    }
  }
}
