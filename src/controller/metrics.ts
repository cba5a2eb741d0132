// Prometheus metrics the controller records, created on an injected registry (never prom-client's
// global one, so tests and two controllers in one process never collide): its own reconcile, queue,
// Git and sync figures, and the per-app sync/health gauges it serves from its informer cache.
import { collectDefaultMetrics, Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { Application } from "../model/application.js";

const SYNC = ["Synced", "OutOfSync", "Unknown"] as const;
const HEALTH = ["Healthy", "Progressing", "Degraded", "Missing", "Suspended", "Unknown"] as const;

/**
 * The per-app sync and health gauges, computed at scrape time. Registered once per registry: in
 * local mode the controller (from its informer cache, no API call) and the API server share one
 * registry, and whichever registers first serves them.
 */
export function registerAppStatusMetrics(
  registry: Registry,
  listApps: () => Promise<Application[]> | Application[],
): void {
  if (registry.getSingleMetric("tether_app_info")) return;
  const appsOnce = (() => {
    // One list serves the three app gauges of one scrape.
    let pending: Promise<Application[]> | undefined;
    return () => {
      pending ??= Promise.resolve(listApps()).finally(() => setImmediate(() => (pending = undefined)));
      return pending;
    };
  })();
  new Gauge({
    name: "tether_app_info",
    help: "One series per Application with its current sync and health status (value 1).",
    labelNames: ["namespace", "name", "project", "sync", "health"] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const app of await appsOnce()) {
        this.set(
          {
            namespace: app.metadata.namespace ?? "",
            name: app.metadata.name,
            project: app.spec?.project || "default",
            sync: app.status?.sync?.status ?? "Unknown",
            health: app.status?.health?.status ?? "Unknown",
          },
          1,
        );
      }
    },
  });
  new Gauge({
    name: "tether_app_sync_status",
    help: "1 for the Application's current sync status, 0 for the others.",
    labelNames: ["namespace", "name", "sync_status"] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const app of await appsOnce()) {
        const current = app.status?.sync?.status ?? "Unknown";
        for (const s of SYNC)
          this.set(
            { namespace: app.metadata.namespace ?? "", name: app.metadata.name, sync_status: s },
            s === current ? 1 : 0,
          );
      }
    },
  });
  new Gauge({
    name: "tether_app_health_status",
    help: "1 for the Application's current health status, 0 for the others.",
    labelNames: ["namespace", "name", "health_status"] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const app of await appsOnce()) {
        const current = app.status?.health?.status ?? "Unknown";
        for (const h of HEALTH)
          this.set(
            { namespace: app.metadata.namespace ?? "", name: app.metadata.name, health_status: h },
            h === current ? 1 : 0,
          );
      }
    },
  });
}

/** One label's value in a sample line, unescaped (the exposition format escapes \\, \" and \n). */
/** What the controller records; created on an injected registry (the API's, in local mode). */
export interface ControllerMetrics {
  /** Seconds per reconcile by result (ok|error). Per-app labels stay off: histograms multiply series. */
  readonly reconcileDuration: Histogram<"result">;
  readonly queueDepth: Gauge;
  /** Seconds per git ls-remote/fetch; labels: operation (ls-remote|fetch), result (ok|error). */
  readonly gitFetchDuration: Histogram<"operation" | "result">;
  /** Sync operations by outcome (succeeded|failed|drift-corrected). */
  readonly syncTotal: Counter<"namespace" | "name" | "result">;
  /** Notification deliveries by target and result (delivered|retried|failed|dropped). */
  readonly notificationDeliveries: Counter<"target" | "result">;
}

export function registerControllerMetrics(
  registry: Registry,
  options: { queueDepth?: () => number; listApps?: () => Application[] } = {},
): ControllerMetrics {
  const sampler = options.queueDepth;
  if (options.listApps) registerAppStatusMetrics(registry, options.listApps);
  return {
    reconcileDuration: new Histogram({
      name: "tether_reconcile_duration_seconds",
      help: "Duration of one Application reconcile, by result.",
      labelNames: ["result"] as const,
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    }),
    queueDepth: new Gauge({
      name: "tether_queue_depth",
      help: "Applications waiting in the controller's work queue.",
      registers: [registry],
      ...(sampler
        ? {
            collect() {
              this.set(sampler());
            },
          }
        : {}),
    }),
    gitFetchDuration: new Histogram({
      name: "tether_git_fetch_duration_seconds",
      help: "Duration of Git ls-remote and fetch operations.",
      labelNames: ["operation", "result"] as const,
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    }),
    syncTotal: new Counter({
      name: "tether_sync_total",
      help: "Sync operations by outcome.",
      labelNames: ["namespace", "name", "result"] as const,
      registers: [registry],
    }),
    notificationDeliveries: new Counter({
      name: "tether_notification_deliveries_total",
      help: "Notification delivery outcomes: delivered, retried (an attempt failed, another follows), failed (gave up), dropped (queue full).",
      labelNames: ["target", "result"] as const,
      registers: [registry],
    }),
  };
}

/**
 * The process's own health on `registry`: prom-client's default metrics (heap, RSS, event-loop
 * delay percentiles, active handles, GC, CPU). Only for a registry a process serves for itself
 * (the controller's, local mode's): the event-loop monitor they start runs for the process's
 * lifetime, so a test starting many controllers in one process does not call this. Idempotent
 * per registry (a second call would register the same names twice and throw).
 */
export function registerProcessMetrics(registry: Registry): void {
  if (registry.getSingleMetric("nodejs_heap_size_used_bytes")) return;
  // 10 ms resolution: the event-loop percentiles are reset at each scrape (per-interval figures).
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 10 });
}
