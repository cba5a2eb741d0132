// Notifications end to end: a real controller against the real control plane and Git server sends
// to real HTTP receivers on 127.0.0.1 — one that records, one that fails twice per message then
// succeeds, one that never answers — configured by the tether-notifications ConfigMap with URLs and
// headers from Secrets. Ends with the Secrets canary: no planted value in logs, Events, metrics or
// payloads.
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { Registry } from "prom-client";
import type { GitWorkspace } from "../../src/localcluster/gitrepo.js";
import { waitFor } from "../../src/lib/wait.js";
import type { ControllerFixture } from "../helpers/app.js";
import { configMap, IN_CLUSTER, startControllerFixture } from "../helpers/app.js";
import { clients, uniqueName } from "../helpers/environment.js";

const URL_CANARY = "canary-url-token-5d81e2";
const HEADER_CANARY = "canary-header-9b04c7";
const DATA_CANARY = "canary-data-31fa6e";
const CANARIES = [URL_CANARY, HEADER_CANARY, DATA_CANARY];
const b64 = (text: string) => Buffer.from(text).toString("base64");

interface Received {
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
  answered: boolean;
}

interface Receiver {
  readonly url: string;
  readonly received: Received[];
  close(): Promise<void>;
}

/** record: 200; flaky: 500 for the first `failures` requests of each distinct body, then 200; hang: never answers. */
async function startReceiver(mode: "record" | "flaky" | "hang", failures = 2): Promise<Receiver> {
  const received: Received[] = [];
  const seen = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const entry: Received = {
        path: req.url ?? "",
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
        answered: false,
      };
      received.push(entry);
      if (mode === "hang") return;
      const count = (seen.get(entry.body) ?? 0) + 1;
      seen.set(entry.body, count);
      const status = mode === "flaky" && count <= failures ? 500 : 200;
      entry.answered = true;
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

describe("notifications: webhook and Slack targets driven by the tether-notifications ConfigMap", () => {
  let fx: ControllerFixture;
  let ws: GitWorkspace;
  let systemNs: string;
  let dest: string;
  let rec: Receiver;
  let flaky: Receiver;
  let hang: Receiver;
  const registry = new Registry();
  const APP = "shop";
  const revisions: string[] = [];

  const parsed = (r: Received) => JSON.parse(r.body) as Record<string, unknown>;
  const webhookMessages = (trigger: string) =>
    rec.received
      .filter((x) => x.path.startsWith("/hook/"))
      .map((x) => JSON.parse(x.body) as Record<string, unknown>)
      .filter((m) => m["trigger"] === trigger);
  const slackMessages = () =>
    rec.received
      .filter((x) => x.path === "/slack")
      .map((x) => JSON.parse(x.body) as { text: string; blocks: unknown[] });

  const setConfig = async (data: Record<string, string>) => {
    const body = { metadata: { name: "tether-notifications", namespace: systemNs }, data };
    try {
      await clients().core.replaceNamespacedConfigMap({
        name: "tether-notifications",
        namespace: systemNs,
        body,
      });
    } catch {
      await clients().core.createNamespacedConfigMap({ namespace: systemNs, body });
    }
  };
  const baseConfig = () => ({
    targets: `
- name: hook
  type: webhook
  urlFrom: {secretKeyRef: {name: notify-urls, key: hook}}
  headersFrom: {secretRef: {name: notify-headers}}
- name: chat
  type: slack
  url: ${rec.url}/slack
- name: flaky
  type: webhook
  urlFrom: {secretKeyRef: {name: notify-urls, key: flaky}}
  maxAttempts: 4
- name: stuck
  type: webhook
  url: ${hang.url}/stuck
  timeoutSeconds: 60
  maxAttempts: 1
`,
    triggers: `
- on: [sync-succeeded, sync-failed, drift-corrected, health-degraded]
  targets: [hook, flaky, stuck]
- on: [sync-succeeded]
  targets: [chat]
  selector: "team=shop"
`,
  });

  before(async () => {
    rec = await startReceiver("record");
    flaky = await startReceiver("flaky", 2);
    hang = await startReceiver("hang");
    systemNs = uniqueName("notify-system");
    await clients().core.createNamespace({
      body: { metadata: { name: systemNs, labels: { "tether.dev/test": "true" } } },
    });
    await clients().core.createNamespacedSecret({
      namespace: systemNs,
      body: {
        metadata: { name: "notify-urls" },
        stringData: { hook: `${rec.url}/hook/${URL_CANARY}`, flaky: `${flaky.url}/flaky/${URL_CANARY}` },
      },
    });
    await clients().core.createNamespacedSecret({
      namespace: systemNs,
      body: {
        metadata: { name: "notify-headers" },
        stringData: { Authorization: `Bearer ${HEADER_CANARY}` },
      },
    });
    fx = await startControllerFixture("notify", {
      systemNamespace: systemNs,
      registry,
      // Read the ConfigMap on every transition (a change is seen by the next one) and retry fast.
      notifications: { configTtlMs: 0, baseBackoffMs: 50 },
    });
    await setConfig(baseConfig());
    const secret = `apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\ndata:\n  token: ${b64(DATA_CANARY)}\n`;
    let url: string;
    ({ url, ws } = await fx.repository("notify", {
      "app/settings.yaml": configMap("settings", { level: "1" }),
      "app/creds.yaml": secret,
    }));
    revisions.push(await ws.head());
    dest = await fx.namespace("notify-dest");
    await fx.createApp(APP, {
      source: { repoURL: url, targetRevision: "main", path: "app" },
      destination: { server: IN_CLUSTER, namespace: dest },
      syncPolicy: { automated: { prune: true, selfHeal: true }, retry: { limit: 1 } },
    });
    await fx.patchApp(APP, { metadata: { labels: { team: "shop" } } });
  });

  after(async () => {
    await fx?.stop();
    await clients()
      .core.deleteNamespace({ name: systemNs })
      .catch(() => undefined);
    await Promise.all([rec?.close(), flaky?.close(), hang?.close()]);
  });

  test("sync succeeded: webhook JSON with revision, author and commit message; Slack {text, blocks}; Secret URL and headers", async () => {
    await fx.waitApp(
      APP,
      "synced",
      (a) => a.status?.sync?.status === "Synced" && a.status.operationState?.phase === "Succeeded",
    );
    const [message] = await waitFor(
      "the webhook message",
      () => {
        const m = webhookMessages("sync-succeeded");
        return m.length > 0 && m;
      },
      { timeoutMs: 15_000 },
    );
    assert.equal(message?.["revision"], revisions[0]);
    assert.equal(message?.["author"], "Tether Demo <demo@tether.dev>");
    assert.equal(message?.["commitMessage"], "notify: initial commit");
    assert.equal(message?.["status"], "Succeeded");
    assert.deepEqual(message?.["app"], { namespace: fx.appNs, name: APP, project: "default" });
    assert.match(
      String(message?.["text"]),
      new RegExp(`^Application ${APP} synced to ${revisions[0]} \\(Tether Demo`),
    );
    const hookRequest = rec.received.find((r) => r.path.startsWith("/hook/"));
    assert.equal(hookRequest?.path, `/hook/${URL_CANARY}`, "the URL from the Secret");
    assert.equal(
      hookRequest?.headers["authorization"],
      `Bearer ${HEADER_CANARY}`,
      "the header from the Secret",
    );
    const [slack] = await waitFor(
      "the Slack message",
      () => {
        const m = slackMessages();
        return m.length > 0 && m;
      },
      { timeoutMs: 15_000 },
    );
    assert.match(slack?.text ?? "", new RegExp(`synced to ${revisions[0]}`));
    assert.ok(Array.isArray(slack?.blocks) && slack.blocks.length === 2);
  });

  test("a target failing twice gets the message on the third attempt; the deliveries counter says so", async () => {
    const attempts = () =>
      flaky.received.filter(
        (r) => parsed(r)["revision"] === revisions[0] && parsed(r)["trigger"] === "sync-succeeded",
      );
    await waitFor("flaky delivered", () => attempts().some((r) => r.answered && attempts().length === 3), {
      timeoutMs: 15_000,
    });
    assert.equal(attempts().length, 3, "two failures, then the delivery");
    // The receiver has answered; the notifier counts the delivery once it has read that answer.
    const delivered = /tether_notification_deliveries_total\{target="flaky",result="delivered"\} [1-9]/;
    const metrics = await waitFor(
      "the delivery counted",
      async () => {
        const m = await registry.metrics();
        return delivered.test(m) && m;
      },
      { timeoutMs: 15_000 },
    );
    assert.match(metrics, /tether_notification_deliveries_total\{target="flaky",result="retried"\} [2-9]/);
    assert.match(metrics, /tether_notification_deliveries_total\{target="hook",result="delivered"\} [1-9]/);
  });

  test("a target that never answers does not delay syncs: the next revision syncs while its request hangs", async () => {
    await waitFor("the stuck target got a request", () => hang.received.length > 0, { timeoutMs: 15_000 });
    const started = performance.now();
    revisions.push(
      await ws.commitAndPush({ "app/settings.yaml": configMap("settings", { level: "2" }) }, "level 2"),
    );
    await fx.refresh(APP);
    await fx.waitApp(
      APP,
      "synced at the second revision",
      (a) =>
        a.status?.sync?.revision === revisions[1] &&
        a.status?.sync?.status === "Synced" &&
        a.status?.operationState?.phase === "Succeeded",
    );
    const seconds = (performance.now() - started) / 1000;
    // The stuck target's first request is still unanswered (its timeout is 60 s) and the sync is done.
    assert.equal(hang.received[0]?.answered, false);
    assert.ok(seconds < 30, `synced in ${seconds.toFixed(1)} s`);
    await waitFor(
      "the second success notified",
      () => webhookMessages("sync-succeeded").some((m) => m["revision"] === revisions[1]),
      { timeoutMs: 15_000 },
    );
  });

  test("drift corrected: an imperative change is reverted by self-heal and notified", async () => {
    await clients().core.patchNamespacedConfigMap({
      name: "settings",
      namespace: dest,
      body: [{ op: "replace", path: "/data/level", value: "99" }],
    });
    const [message] = await waitFor(
      "drift-corrected notified",
      () => {
        const m = webhookMessages("drift-corrected");
        return m.length > 0 && m;
      },
      { timeoutMs: 30_000 },
    );
    assert.equal(message?.["revision"], revisions[1]);
    assert.match(String(message?.["detail"]), /drift corrected/);
    const live = await clients().core.readNamespacedConfigMap({ name: "settings", namespace: dest });
    assert.equal(live.data?.["level"], "2");
  });

  test("sync failed: one notification per transition though the sync is retried", async () => {
    const bad = `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: -1\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers: [{name: web, image: nginx}]\n`;
    revisions.push(await ws.commitAndPush({ "app/web.yaml": bad }, "broken deployment"));
    await fx.refresh(APP);
    // The first attempt and its retry both record a SyncFailed Event; only the first is news.
    await waitFor(
      "two SyncFailed Events and the repeat suppressed",
      async () => {
        const events = await clients().core.listNamespacedEvent({
          namespace: fx.appNs,
          fieldSelector: `involvedObject.name=${APP},reason=SyncFailed`,
        });
        return (
          // Identical repeats fold into one Event with a count.
          events.items.reduce((n, e) => n + (e.count ?? 1), 0) >= 2 &&
          fx.controller.notifier.stats.suppressed >= 1 &&
          webhookMessages("sync-failed").length >= 1
        );
      },
      { timeoutMs: 45_000 },
    );
    const failed = webhookMessages("sync-failed");
    assert.equal(failed.length, 1, JSON.stringify(failed));
    assert.equal(failed[0]?.["revision"], revisions[2]);
    assert.equal(failed[0]?.["commitMessage"], "broken deployment");
    assert.match(String(failed[0]?.["detail"]), /web/);
  });

  test("config changes apply without a restart: a new template, and an invalid key is logged by name", async () => {
    await setConfig({
      ...baseConfig(),
      "template.sync-succeeded": "deployed {{app}} ({{project}}) at {{revision}} by {{author}}",
      trigers: "oops",
    });
    revisions.push(
      await ws.commitAndPush(
        { "app/web.yaml": null, "app/settings.yaml": configMap("settings", { level: "3" }) },
        "level 3, without the broken deployment",
      ),
    );
    await fx.refresh(APP);
    const message = await waitFor(
      "the new template used",
      () => webhookMessages("sync-succeeded").find((m) => m["revision"] === revisions[3]),
      { timeoutMs: 30_000 },
    );
    assert.equal(
      message["text"],
      `deployed ${APP} (default) at ${revisions[3]} by Tether Demo <demo@tether.dev>`,
    );
    assert.ok(
      fx.lines.some((l) =>
        l.includes(`ConfigMap ${systemNs}/tether-notifications, key "trigers": is not a known key`),
      ),
      fx.lines.join("\n"),
    );
  });

  test("secrets canary: no planted Secret value in controller logs, Events, metrics or notification payloads", async () => {
    // Something worth logging happened: retries of the flaky target (its URL carries the canary).
    assert.ok(
      fx.lines.some((l) => /notification to flaky failed \(HTTP 500\)/.test(l)),
      fx.lines.join("\n"),
    );
    const forms = CANARIES.flatMap((c) => [c, b64(c)]);
    const allEvents = async () => [
      ...(await clients().core.listNamespacedEvent({ namespace: fx.appNs })).items,
      ...(await clients().core.listNamespacedEvent({ namespace: dest })).items,
    ];
    // Events are written by a queue, a moment after the status: wait until the sync's is there.
    const events = await waitFor(
      "the SyncSucceeded Event",
      async () => {
        const all = await allEvents();
        return all.some((e) => e.reason === "SyncSucceeded") && all;
      },
      { timeoutMs: 15_000 },
    );
    const places: [string, string][] = [
      ["controller logs", fx.lines.join("\n")],
      ["Kubernetes Events", JSON.stringify(events)],
      ["metrics", await registry.metrics()],
      [
        "notification payloads",
        [...rec.received, ...flaky.received, ...hang.received].map((r) => r.body).join("\n"),
      ],
    ];
    assert.ok(places[3]?.[1].includes("sync-succeeded"), "payloads were captured");
    for (const [where, text] of places)
      for (const value of forms) assert.ok(!text.includes(value), `${value} appears in ${where}`);
  });
});
