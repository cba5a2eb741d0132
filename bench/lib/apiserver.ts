// The apiserver's own request counters (`apiserver_request_total` on /metrics), read before and
// after a window: what every client asked of it, by verb and resource, with no client-side
// bookkeeping to trust. The counter has no user label, so a benchmark that wants one client's
// share measures a window without that client too and subtracts.
import https from "node:https";
import type { KubeConfig } from "../../src/kube/client.js";

/** `VERB resource[/subresource]` → count. */
export type RequestCounts = Map<string, number>;

function get(config: KubeConfig, path: string): Promise<string> {
  const server = config.getCurrentCluster()?.server;
  if (!server) throw new Error("kubeconfig has no current cluster");
  const url = new URL(path, server);
  const options: https.RequestOptions = {
    method: "GET",
    hostname: url.hostname,
    port: url.port,
    path: url.pathname,
  };
  return config.applyToHTTPSOptions(options).then(
    () =>
      new Promise<string>((resolve, reject) => {
        const req = https.request(options, (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            if ((res.statusCode ?? 0) >= 300)
              reject(new Error(`GET ${path}: ${res.statusCode} ${text.slice(0, 200)}`));
            else resolve(text);
          });
          res.on("error", reject);
        });
        req.on("error", reject);
        req.setTimeout(30_000, () => req.destroy(new Error(`GET ${path}: timed out`)));
        req.end();
      }),
  );
}

const label = (line: string, name: string) => new RegExp(`[{,]${name}="([^"]*)"`).exec(line)?.[1] ?? "";

/**
 * apiserver_request_total summed by verb and resource (subresource appended), dry-runs marked.
 * With `metric` apiserver_request_duration_seconds_sum: the seconds the apiserver spent on them.
 */
export async function apiserverRequests(
  config: KubeConfig,
  metric = "apiserver_request_total",
): Promise<RequestCounts> {
  const text = await get(config, "/metrics");
  const counts: RequestCounts = new Map();
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${metric}{`)) continue;
    const sub = label(line, "subresource");
    const dry = label(line, "dry_run") ? " (dry-run)" : "";
    const key = `${label(line, "verb")} ${label(line, "resource")}${sub ? `/${sub}` : ""}${dry}`;
    counts.set(key, (counts.get(key) ?? 0) + Number(line.slice(line.lastIndexOf(" ") + 1)));
  }
  return counts;
}

/** after − before, zero entries dropped. */
export function requestDelta(before: RequestCounts, after: RequestCounts): RequestCounts {
  const delta: RequestCounts = new Map();
  for (const [key, value] of after) {
    const d = value - (before.get(key) ?? 0);
    if (d !== 0) delta.set(key, d);
  }
  return delta;
}

export const WRITE_VERBS = new Set([
  "POST",
  "PUT",
  "PATCH",
  "DELETE",
  "DELETECOLLECTION",
  "CREATE",
  "UPDATE",
  "APPLY",
]);

/** Writes (dry-runs excluded) to `resources` in a delta. */
export function writesTo(delta: RequestCounts, resources: readonly string[]): number {
  let sum = 0;
  for (const [key, value] of delta) {
    if (key.endsWith("(dry-run)")) continue;
    const [verb = "", resource = ""] = key.split(" ");
    if (WRITE_VERBS.has(verb) && resources.includes(resource.split("/")[0] ?? "")) sum += value;
  }
  return sum;
}

/** Total requests, long-running WATCH/connects counted once at open (how the apiserver counts them). */
export const totalRequests = (delta: RequestCounts) => [...delta.values()].reduce((a, b) => a + b, 0);

export function formatDelta(delta: RequestCounts, indent = "    "): string {
  return [...delta.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${indent}${String(v).padStart(7)}  ${k}`)
    .join("\n");
}
