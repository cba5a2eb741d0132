// The clusters an Application may deploy to: the one Tether runs in (`in-cluster`, also reached by
// the kubeconfig's server) and one per cluster Secret in the system namespace (src/kube/clusters.ts).
// Each cluster has its own kube client, ResourceClient, Comparer and ManagedWatches, so reconcile
// of an app reads, compares, applies and prunes on its destination only. Secrets are watched: a
// rotated credential rebuilds that cluster's clients, a deleted Secret takes the cluster away (its
// apps then fail validation, so nothing is applied or pruned), without a restart. A periodic
// connection check (/version + /readyz) gives each cluster a status, written on its Secret as the
// annotation tether.dev/cluster-status so `kubectl get secret -o yaml` and the API show it.
import { createHash } from "node:crypto";
import type { V1Secret } from "@kubernetes/client-node";
import type { KubeConfig } from "../kube/connection.js";
import type { KubeClients } from "../kube/client.js";
import { kubeErrorMessage, kubeClients } from "../kube/client.js";
import type { ClusterConnectionState, ClusterSpec } from "../kube/clusters.js";
import {
  CLUSTER_SECRET_SELECTORS,
  checkClusterConnection,
  IN_CLUSTER_NAME,
  IN_CLUSTER_SERVER,
  kubeConfigForCluster,
  normalizeServer,
  parseClusterSecret,
} from "../kube/clusters.js";
import { CLUSTER_STATUS_ANNOTATION } from "../model/contract.js";
import { Informer } from "../kube/informer.js";
import { ResourceClient } from "../kube/resources.js";
import type { ApplicationDestination } from "../model/application.js";
import type { KnownCluster } from "../engine/validate.js";
import { Comparer } from "./compare.js";
import type { ManagedWatches } from "./watches.js";

/** What reconcile uses for one destination cluster. */
export interface ClusterTarget {
  readonly name: string;
  readonly server: string;
  readonly resources: ResourceClient;
  readonly watches: ManagedWatches;
  readonly comparer: Comparer;
  /** The last connection check (Unknown before the first). */
  readonly state: ClusterConnectionState;
}

export type ClusterLookup =
  { readonly ok: true; readonly cluster: ClusterTarget } | { readonly ok: false; readonly message: string };

interface Connection {
  readonly spec: ClusterSpec;
  readonly secretName: string;
  /** Hash of what the clients are built from: a change rebuilds them (credential rotation). */
  readonly fingerprint: string;
  readonly config: KubeConfig;
  readonly target: ClusterTarget & { state: ClusterConnectionState };
  /** The state last written on the Secret, and when. */
  written?: { readonly text: string; readonly at: number };
}

export interface ClusterRegistryOptions {
  /** The cluster Tether runs in (kubeconfig or ServiceAccount). */
  readonly local: {
    readonly config: KubeConfig;
    readonly resources: ResourceClient;
    readonly watches: ManagedWatches;
    readonly comparer: Comparer;
    /** Server URLs that mean this cluster besides kubernetes.default.svc (the kubeconfig's). */
    readonly servers: readonly string[];
  };
  readonly clients: KubeClients;
  readonly namespace: string;
  /** Builds the shared watches of one cluster (same installation id and event routing as local). */
  readonly makeWatches: (config: KubeConfig, resources: ResourceClient) => ManagedWatches;
  /** A cluster appeared, changed, went away or changed status: its apps are reconciled again. */
  readonly onClusterChanged: (cluster: { name: string; server: string }) => void;
  readonly checkIntervalMs?: number;
  /** The status annotation is rewritten at least this often, even when unchanged. */
  readonly statusHeartbeatMs?: number;
  readonly clock?: () => Date;
  readonly log: (line: string) => void;
}

const fingerprintOf = (spec: ClusterSpec) =>
  createHash("sha256")
    .update(JSON.stringify([spec.name, spec.server, spec.credentials]))
    .digest("hex");

const stateText = (s: ClusterConnectionState) => JSON.stringify([s.status, s.message, s.serverVersion ?? ""]);

export class ClusterRegistry {
  private readonly informers: Informer[];
  private readonly connections = new Map<string, Connection>();
  /** Secrets that do not parse, by `namespace/name`, with the reason (shown by the API's list). */
  private readonly invalid = new Map<string, string>();
  private readonly local: ClusterTarget & { state: ClusterConnectionState };
  private timer: NodeJS.Timeout | undefined;
  /** Re-checks of clusters whose last check failed, sooner than the interval (see recheckFailed). */
  private readonly rechecks = new Map<ClusterTarget, { timer: NodeJS.Timeout; delayMs: number }>();
  private checksStarted = 0;
  private readonly latestCheck = new WeakMap<ClusterTarget, number>();
  private checking: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly options: ClusterRegistryOptions) {
    const { local } = options;
    this.local = {
      name: IN_CLUSTER_NAME,
      server: IN_CLUSTER_SERVER,
      resources: local.resources,
      watches: local.watches,
      comparer: local.comparer,
      state: { status: "Unknown", message: "not checked yet" },
    };
    const path = `/api/v1/namespaces/${encodeURIComponent(options.namespace)}/secrets`;
    this.informers = CLUSTER_SECRET_SELECTORS.map(
      (labelSelector) =>
        new Informer({
          config: options.clients.config,
          path,
          labelSelector,
          list: async () => {
            const list = await options.clients.core.listNamespacedSecret({
              namespace: options.namespace,
              labelSelector,
            });
            return { items: list.items, resourceVersion: list.metadata?.resourceVersion ?? "" };
          },
          onEvent: () => this.resync(),
          onError: (error) => options.log(`watch cluster secrets: ${kubeErrorMessage(error)}`),
        }),
    );
  }

  async start(): Promise<void> {
    await Promise.all(this.informers.map((i) => i.start()));
    this.resync();
    // Not awaited: an unreachable cluster must not delay startup by its timeout; its apps see
    // status Unknown until the first check ends.
    void this.checkAll();
    const interval = this.options.checkIntervalMs ?? 30_000;
    this.timer = setInterval(() => void this.checkAll(), interval);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    for (const { timer } of this.rechecks.values()) clearTimeout(timer);
    this.rechecks.clear();
    for (const informer of this.informers) informer.stop();
    for (const connection of this.connections.values()) connection.target.watches.stop();
    this.connections.clear();
  }

  /** The clusters validation accepts besides in-cluster. */
  known(): KnownCluster[] {
    return [...this.connections.values()].map((c) => ({ name: c.spec.name, server: c.spec.server }));
  }

  /** The destination's cluster, or why there is none (the message names the field). */
  lookup(destination: ApplicationDestination | undefined): ClusterLookup {
    const server = normalizeServer(destination?.server ?? "");
    const name = destination?.name ?? "";
    const isLocal =
      server === "" ||
      server === IN_CLUSTER_SERVER ||
      server === `${IN_CLUSTER_SERVER}:443` ||
      this.options.local.servers.some((s) => normalizeServer(s) === server);
    if (server && isLocal && (!name || name === IN_CLUSTER_NAME)) return { ok: true, cluster: this.local };
    if (!server && (!name || name === IN_CLUSTER_NAME)) return { ok: true, cluster: this.local };
    const found = server
      ? this.sorted().find((c) => c.spec.server === server)
      : this.sorted().find((c) => c.spec.name === name);
    if (!found) {
      return server
        ? {
            ok: false,
            message: `spec.destination.server "${server}": no cluster with that URL is registered`,
          }
        : { ok: false, message: `spec.destination.name "${name}": no cluster of that name is registered` };
    }
    if (server && name && found.spec.name !== name) {
      return {
        ok: false,
        message: `spec.destination.name "${name}" and spec.destination.server "${server}" name different clusters (${server} is "${found.spec.name}")`,
      };
    }
    return { ok: true, cluster: found.target };
  }

  /** Lets go of `app` on every cluster but `keep` (an app that moved, or was deleted: keep undefined). */
  releaseElsewhere(app: string, keep?: ClusterTarget): void {
    for (const target of [this.local, ...[...this.connections.values()].map((c) => c.target)]) {
      if (target !== keep) target.watches.release(app);
    }
  }

  /** Every cluster with its last check, in-cluster first (the controller's view, e.g. for tests). */
  list(): { name: string; server: string; state: ClusterConnectionState; secret?: string }[] {
    return [
      { name: this.local.name, server: this.local.server, state: this.local.state },
      ...this.sorted().map((c) => ({
        name: c.spec.name,
        server: c.spec.server,
        state: c.target.state,
        secret: c.spec.secret,
      })),
      ...[...this.invalid.entries()].map(([secret, message]) => ({
        name: secret,
        server: "",
        secret,
        state: { status: "Failed" as const, message },
      })),
    ];
  }

  /** Checks every cluster now (one round at a time); resolves when done. */
  checkAll(): Promise<void> {
    this.checking ??= (async () => {
      try {
        const targets = [
          { config: this.options.local.config, target: this.local, connection: undefined },
          ...[...this.connections.values()].map((c) => ({
            config: c.config,
            target: c.target,
            connection: c,
          })),
        ];
        await Promise.all(targets.map((t) => this.check(t.config, t.target, t.connection)));
      } finally {
        this.checking = undefined;
      }
    })();
    return this.checking;
  }

  private sorted(): Connection[] {
    return [...this.connections.values()].sort((a, b) => a.spec.secret.localeCompare(b.spec.secret));
  }

  private async check(
    config: KubeConfig,
    target: ClusterTarget & { state: ClusterConnectionState },
    connection: Connection | undefined,
  ): Promise<void> {
    const started = ++this.checksStarted;
    const state = await checkClusterConnection(config, this.options.clock);
    // The Secret may have changed meanwhile: a replaced connection is checked on its own.
    if (this.stopped || (connection && this.connections.get(connection.spec.secret) !== connection)) return;
    // Checks overlap (the round, a re-check, a changed Secret): an older answer never replaces a newer.
    if (started < (this.latestCheck.get(target) ?? 0)) return;
    this.latestCheck.set(target, started);
    const changed = stateText(state) !== stateText(target.state);
    target.state = state;
    if (changed) {
      this.options.log(
        `cluster ${target.name} (${target.server}): ${state.status}${state.message ? `: ${state.message}` : ""}`,
      );
      this.options.onClusterChanged({ name: target.name, server: target.server });
    }
    this.recheckFailed(config, target, connection);
    if (connection) await this.writeStatus(connection, state);
  }

  /**
   * A failed check is taken again after 1 s, doubling up to the check interval, until it passes.
   * Apps of a Failed cluster stop at ClusterUnreachable, so at the interval alone that condition
   * would outlive an outage by up to 30 s (an apiserver whose etcd was frozen for 10 s answers
   * again at once, but its Failed check stood until the next round).
   */
  private recheckFailed(
    config: KubeConfig,
    target: ClusterTarget & { state: ClusterConnectionState },
    connection: Connection | undefined,
  ): void {
    const pending = this.rechecks.get(target);
    if (target.state.status !== "Failed") {
      if (pending) clearTimeout(pending.timer);
      this.rechecks.delete(target);
      return;
    }
    const intervalMs = this.options.checkIntervalMs ?? 30_000;
    const delayMs = Math.min(pending ? pending.delayMs * 2 : 1_000, intervalMs);
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(() => void this.check(config, target, connection), delayMs);
    timer.unref();
    this.rechecks.set(target, { timer, delayMs });
  }

  /** The status annotation, written when it changes and at least every heartbeat. */
  private async writeStatus(connection: Connection, state: ClusterConnectionState): Promise<void> {
    const text = stateText(state);
    const now = Date.now();
    const heartbeat = this.options.statusHeartbeatMs ?? 5 * 60_000;
    if (connection.written && connection.written.text === text && now - connection.written.at < heartbeat)
      return;
    const value = JSON.stringify({
      status: state.status,
      message: state.message,
      serverVersion: state.serverVersion,
      checkedAt: state.checkedAt,
    });
    try {
      await this.options.clients.raw.request({
        method: "PATCH",
        path: `/api/v1/namespaces/${encodeURIComponent(this.options.namespace)}/secrets/${encodeURIComponent(connection.secretName)}`,
        body: { metadata: { annotations: { [CLUSTER_STATUS_ANNOTATION]: value } } },
        contentType: "application/merge-patch+json",
      });
      connection.written = { text, at: now };
    } catch (error) {
      this.options.log(
        `cluster ${connection.spec.name}: writing ${CLUSTER_STATUS_ANNOTATION} on Secret ${connection.spec.secret}: ${kubeErrorMessage(error)}`,
      );
    }
  }

  /** Brings the connections in line with the Secrets the informers hold. */
  private resync(): void {
    if (this.stopped) return;
    const secrets = new Map<string, V1Secret>();
    for (const informer of this.informers) {
      for (const object of informer.list() as V1Secret[]) {
        secrets.set(`${object.metadata?.namespace ?? ""}/${object.metadata?.name ?? ""}`, object);
      }
    }
    this.invalid.clear();
    const changed: { name: string; server: string }[] = [];
    for (const [ref, secret] of secrets) {
      const parsed = parseClusterSecret(secret);
      const existing = this.connections.get(ref);
      if (!parsed.ok) {
        this.invalid.set(ref, parsed.message);
        if (existing) {
          this.drop(ref, existing);
          changed.push(existing.spec);
        }
        continue;
      }
      const fingerprint = fingerprintOf(parsed.cluster);
      if (existing?.fingerprint === fingerprint) {
        // Labels only: no new clients needed.
        this.connections.set(ref, { ...existing, spec: parsed.cluster });
        continue;
      }
      if (existing) {
        this.drop(ref, existing);
        changed.push(existing.spec);
      }
      const connection = this.connect(parsed.cluster, secret.metadata?.name ?? "", fingerprint);
      this.connections.set(ref, connection);
      changed.push(parsed.cluster);
      this.options.log(
        `cluster ${parsed.cluster.name} (${parsed.cluster.server}) ${existing ? "updated" : "added"} from Secret ${ref}`,
      );
      void this.check(connection.config, connection.target, connection);
    }
    for (const [ref, connection] of [...this.connections]) {
      if (secrets.has(ref)) continue;
      this.drop(ref, connection);
      changed.push(connection.spec);
      this.options.log(
        `cluster ${connection.spec.name} (${connection.spec.server}) removed: Secret ${ref} is gone`,
      );
    }
    for (const cluster of changed)
      this.options.onClusterChanged({ name: cluster.name, server: cluster.server });
  }

  private connect(spec: ClusterSpec, secretName: string, fingerprint: string): Connection {
    const config = kubeConfigForCluster(spec);
    const resources = new ResourceClient(kubeClients(config));
    return {
      spec,
      secretName,
      fingerprint,
      config,
      target: {
        name: spec.name,
        server: spec.server,
        resources,
        watches: this.options.makeWatches(config, resources),
        comparer: new Comparer(resources),
        state: { status: "Unknown", message: "not checked yet" },
      },
    };
  }

  private drop(ref: string, connection: Connection): void {
    connection.target.watches.stop();
    const recheck = this.rechecks.get(connection.target);
    if (recheck) clearTimeout(recheck.timer);
    this.rechecks.delete(connection.target);
    this.connections.delete(ref);
  }
}
