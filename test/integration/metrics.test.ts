// Controller metrics on an injected registry: the API server's /metrics (one process, one registry,
// as `npm start` runs them) and the standalone controller's metrics server show the per-app gauges,
// reconcile and Git durations, queue depth and sync counts of a real reconcile.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Registry } from "prom-client";
import type { ApiServer } from "../../src/api/server.js";
import { startApiServer } from "../../src/api/server.js";
import type { MetricsServer } from "../../src/cli/controller.js";
import { startMetricsServer } from "../../src/cli/controller.js";
import type { ControllerFixture } from "../helpers/app.js";
import { configMap, IN_CLUSTER, startControllerFixture } from "../helpers/app.js";
import { clients } from "../helpers/environment.js";

/** The value of the one sample matching `pattern` (a regexp source for name and labels). */
function sample(text: string, pattern: string): number | undefined {
  const match = new RegExp(`^${pattern} (\\S+)$`, "m").exec(text);
  return match ? Number(match[1]) : undefined;
}

describe("metrics: controller metrics through an injected registry", () => {
  let fx: ControllerFixture;
  let api: ApiServer;
  let standalone: MetricsServer;
  const registry = new Registry();

  before(async () => {
    fx = await startControllerFixture("metrics", { registry });
    const { url } = await fx.repository("metrics", {
      "cfg/settings.yaml": configMap("settings", { a: "1" }),
    });
    const dest = await fx.namespace("metrics-dest");
    await fx.createApp("counted", {
      source: { repoURL: url, targetRevision: "main", path: "cfg" },
      destination: { server: IN_CLUSTER, namespace: dest },
      syncPolicy: { automated: { prune: true } },
    });
    await fx.waitApp(
      "counted",
      "synced",
      (a) => a.status?.sync?.status === "Synced" && a.status.operationState?.phase === "Succeeded",
    );
    // The API shares the controller's registry, as in local mode (src/localcluster/product.ts).
    api = await startApiServer({ clients: clients(), namespace: fx.appNs, auth: false, registry });
    standalone = await startMetricsServer(registry, 0, "127.0.0.1");
  });

  after(async () => {
    await api?.close();
    await standalone?.close();
    await fx?.stop();
  });

  test("the API's /metrics shows the controller's metrics, the app gauges once", async () => {
    const response = await fetch(`${api.url}/metrics`);
    assert.equal(response.status, 200);
    const text = await response.text();
    const app = `namespace="${fx.appNs}",name="counted"`;
    assert.equal(sample(text, `tether_app_sync_status\\{${app},sync_status="Synced"\\}`), 1);
    assert.equal(sample(text, `tether_app_sync_status\\{${app},sync_status="OutOfSync"\\}`), 0);
    assert.equal(sample(text, `tether_app_health_status\\{${app},health_status="Healthy"\\}`), 1);
    assert.ok((sample(text, 'tether_reconcile_duration_seconds_count\\{result="ok"\\}') ?? 0) >= 1);
    assert.ok(
      (sample(text, 'tether_git_fetch_duration_seconds_count\\{operation="ls-remote",result="ok"\\}') ?? 0) >=
        1,
    );
    assert.ok(
      (sample(text, 'tether_git_fetch_duration_seconds_count\\{operation="fetch",result="ok"\\}') ?? 0) >= 1,
    );
    assert.equal(sample(text, `tether_sync_total\\{${app},result="succeeded"\\}`), 1);
    assert.notEqual(sample(text, "tether_queue_depth"), undefined);
    assert.match(text, /# TYPE tether_notification_deliveries_total counter/);
    assert.match(text, /tether_api_request_duration_seconds/);
    assert.equal(text.split("# HELP tether_app_sync_status ").length, 2, "registered once");
  });

  test("the standalone controller's metrics server answers GET /metrics, and 404 elsewhere", async () => {
    const response = await fetch(`${standalone.url}/metrics`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type") ?? "", /text\/plain/);
    const text = await response.text();
    assert.equal(
      sample(text, `tether_app_sync_status\\{namespace="${fx.appNs}",name="counted",sync_status="Synced"\\}`),
      1,
    );
    assert.equal((await fetch(`${standalone.url}/other`)).status, 404);
  });
});
