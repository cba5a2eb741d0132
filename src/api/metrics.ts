// Prometheus metrics on the API's own registry (never prom-client's global one, so tests and two
// servers in one process never collide). Per-app sync/health gauges are computed at scrape time
// from a fresh list (the gauges are the controller's: controller/metrics.ts).
import { Histogram, Registry } from "prom-client";
import type { Application } from "../model/application.js";
import { registerAppStatusMetrics } from "../controller/metrics.js";

export interface ApiMetrics {
  readonly registry: Registry;
  readonly requestDuration: Histogram<"route" | "method" | "status">;
}

export function createApiMetrics(
  listApps: () => Promise<Application[]>,
  registry: Registry = new Registry(),
): ApiMetrics {
  const requestDuration = new Histogram({
    name: "tether_api_request_duration_seconds",
    help: "API request latency by route pattern, method and status.",
    labelNames: ["route", "method", "status"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  registerAppStatusMetrics(registry, listApps);
  return { registry, requestDuration };
}

const LABEL = /([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
const unescapeLabel = (value: string) => value.replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));

/**
 * The exposition text without the series of apps the caller may not see. A series is an app's
 * when it carries both a `namespace` and a `name` label (tether_app_info, the sync and health
 * gauges, tether_sync_total, and any per-app metric added later): no per-app metric can slip out
 * by being forgotten in a list. HELP/TYPE lines name no app and stay. Pure.
 */
export function withoutHiddenApps(
  text: string,
  visible: (namespace: string, name: string) => boolean,
): string {
  return text
    .split("\n")
    .filter((line) => {
      if (line.startsWith("#")) return true;
      const open = line.indexOf("{");
      if (open < 0) return true;
      const labels = new Map<string, string>();
      for (const match of line.slice(open).matchAll(LABEL))
        labels.set(match[1] ?? "", unescapeLabel(match[2] ?? ""));
      const namespace = labels.get("namespace");
      const name = labels.get("name");
      return namespace === undefined || name === undefined || visible(namespace, name);
    })
    .join("\n");
}
