// SOPS secrets end to end on the real control plane: a Secret encrypted by the real sops is synced
// by the controller (the cluster gets the value: that is the point), and the planted value shows
// nowhere else — not in the Application status, its Events, the controller log, or any API answer.
// Then the bad inputs: missing key Secret, wrong key, tampered file — a ComparisonError naming the
// file, nothing applied, nothing pruned.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { ApiServer } from "../../src/api/server.js";
import { startApiServer } from "../../src/api/server.js";
import type { GitWorkspace } from "../../src/localcluster/gitrepo.js";
import type { ControllerFixture } from "../helpers/app.js";
import { condition, configMap, IN_CLUSTER, startControllerFixture } from "../helpers/app.js";
import { clients } from "../helpers/environment.js";
import { type AgeKey, type SopsTool, sopsTool } from "../helpers/sops.js";

const CANARY = "sops-canary-9b27e4d1";
const b64 = (s: string) => Buffer.from(s).toString("base64");
const secretManifest = (value: string) =>
  `apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  labels: {app: shop}\ntype: Opaque\ndata:\n  password: ${b64(value)}\nstringData:\n  dsn: postgres://shop:${value}@db/shop\n`;

describe("controller: SOPS-encrypted Secrets", () => {
  let fx: ControllerFixture;
  let api: ApiServer;
  let tool: SopsTool;
  let key: AgeKey;
  let other: AgeKey;
  let url: string;
  let ws: GitWorkspace;
  let ns: string;
  const encrypt = (plain: string, to: AgeKey) =>
    tool.encrypt("db.yaml", plain, [to.recipient], ["--encrypted-regex", "^(data|stringData)$"]);

  before(async () => {
    tool = await sopsTool();
    [key, other] = [await tool.newKey(), await tool.newKey()];
    fx = await startControllerFixture("ctl-sops");
    ns = await fx.namespace("ctl-sops-dest");
    // The key Secret lives beside the Applications, as Flux keeps it beside the Kustomization.
    await clients().core.createNamespacedSecret({
      namespace: fx.appNs,
      body: { metadata: { name: "sops-age" }, data: { "identity.agekey": b64(key.file) } },
    });
    ({ url, ws } = await fx.repository("sops", {
      "app/db.yaml": await encrypt(secretManifest(CANARY), key),
      "app/settings.yaml": configMap("settings", { level: "1" }),
    }));
    api = await startApiServer({
      clients: clients(),
      namespace: fx.appNs,
      systemNamespace: fx.systemNamespace,
      heartbeatMs: 200,
      auth: false,
    });
  });
  after(async () => {
    await api?.close();
    await fx?.stop();
    await tool?.close();
  });

  const spec = (secretName: string) => ({
    source: { repoURL: url, targetRevision: "main", path: "app" },
    destination: { server: IN_CLUSTER, namespace: ns },
    syncPolicy: { automated: { prune: true, selfHeal: true } },
    decryption: { provider: "sops" as const, secretRef: { name: secretName } },
  });
  const readSecret = () => clients().core.readNamespacedSecret({ name: "db", namespace: ns });

  /** Every place a value must never reach: status, Events, controller log, API answers. */
  const assertNoLeak = async (appName: string) => {
    const places: Record<string, string> = {
      status: JSON.stringify(await fx.readApp(appName)),
      events: JSON.stringify(await clients().core.listNamespacedEvent({ namespace: fx.appNs })),
      log: fx.lines.join("\n"),
    };
    const base = `/api/v1/applications/${fx.appNs}/${appName}`;
    for (const route of [
      "/api/v1/applications",
      base,
      `${base}/diff`,
      `${base}/resource-tree`,
      `${base}/history`,
      `${base}/events`,
    ]) {
      const response = await fetch(`${api.url}${route}`);
      assert.equal(response.status, 200, route);
      places[`GET ${route}`] = await response.text();
    }
    places["POST sync dryRun"] = await (
      await fetch(`${api.url}${base}/sync`, {
        method: "POST",
        body: JSON.stringify({ dryRun: true }),
        headers: { "content-type": "application/json" },
      })
    ).text();
    for (const [where, text] of Object.entries(places)) {
      for (const value of [CANARY, b64(CANARY), key.identity, other.identity]) {
        assert.ok(!text.includes(value), `${where} leaks a secret (${value.slice(0, 6)}…)`);
      }
    }
  };

  test("synced decrypted to the cluster; the value is nowhere in status, Events, log or API", async () => {
    await fx.createApp("secrets", spec("sops-age"));
    const app = await fx.waitApp(
      "secrets",
      "Synced and Healthy",
      (a) => a.status?.sync?.status === "Synced" && a.status.health?.status === "Healthy",
    );
    assert.deepEqual(app.status?.resources?.map((r) => `${r.kind}/${r.name}`).sort(), [
      "ConfigMap/settings",
      "Secret/db",
    ]);
    const live = await readSecret();
    assert.equal(live.data?.["password"], b64(CANARY), "the cluster holds the decrypted value");
    assert.equal(live.data?.["dsn"], b64(`postgres://shop:${CANARY}@db/shop`));
    assert.equal(live.metadata?.labels?.["app"], "shop");
    assert.equal(JSON.stringify(live).includes("ENC["), false, "no ciphertext applied");
    await assertNoLeak("secrets");
  });

  test("bad input: missing key Secret → ComparisonError naming it, nothing applied", async () => {
    await fx.createApp("nokeys", {
      ...spec("missing-keys"),
      destination: { server: IN_CLUSTER, namespace: await fx.namespace("ctl-sops-none") },
    });
    const app = await fx.waitApp(
      "nokeys",
      "ComparisonError",
      (a) => condition(a, "ComparisonError")?.reason === "DecryptionFailed",
    );
    assert.match(
      condition(app, "ComparisonError")?.message ?? "",
      new RegExp(`Secret ${fx.appNs}/missing-keys not found`),
    );
    assert.deepEqual(app.status?.resources ?? [], [], "nothing applied");
    await fx.deleteApp("nokeys");
  });

  test("bad input: wrong key, then a tampered file → ComparisonError naming the file; nothing changed or pruned", async () => {
    const before = await readSecret();
    const wrongKey = await ws.commitAndPush(
      { "app/db.yaml": await encrypt(secretManifest(`${CANARY}-v2`), other) },
      "encrypted to another key",
    );
    await fx.annotate("secrets", { "tether.dev/refresh": "normal" });
    const wrong = await fx.waitApp("secrets", "wrong key reported", (a) =>
      /none of the 1 age identities/.test(condition(a, "ComparisonError")?.message ?? ""),
    );
    assert.match(
      condition(wrong, "ComparisonError")?.message ?? "",
      /^render: app\/db\.yaml: cannot decrypt SOPS file/,
    );
    assert.notEqual(wrong.status?.sync?.revision, wrongKey, "the last good revision is kept");

    const good = await encrypt(secretManifest(`${CANARY}-v3`), key);
    await ws.commitAndPush({ "app/db.yaml": good.replace("app: shop", "app: evil") }, "tampered");
    await fx.annotate("secrets", { "tether.dev/refresh": "normal" });
    const tampered = await fx.waitApp("secrets", "MAC mismatch reported", (a) =>
      /MAC mismatch/.test(condition(a, "ComparisonError")?.message ?? ""),
    );
    assert.match(condition(tampered, "ComparisonError")?.message ?? "", /app\/db\.yaml/);

    const after = await readSecret();
    assert.equal(after.metadata?.uid, before.metadata?.uid, "not pruned or recreated");
    assert.equal(after.data?.["password"], b64(CANARY), "not changed");
    assert.equal(after.metadata?.labels?.["app"], "shop");
    await clients().core.readNamespacedConfigMap({ name: "settings", namespace: ns }); // still there
    await assertNoLeak("secrets");
  });
});
