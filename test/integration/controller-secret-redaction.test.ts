// Issue 17, item 5: no secret material in any message. Secrets whose values the apiserver refuses
// (numbers, booleans, lists, maps, multi-line strings, a string where a boolean belongs), plain in
// Git and SOPS-encrypted, and a decrypted ConfigMap: the sync fails with a SyncError naming the
// object and field, and no canary value shows in the Application (status included), the Events of
// its namespace and the destination's, the controller's log, or any API answer.
//
// And the weak item "an app created right after a push may say 'path does not exist' for a poll
// interval": with a poll interval of ten minutes, an app for a path pushed a moment ago syncs at
// once, and so does an app whose spec moves to another new path.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { ApiServer } from "../../src/api/server.js";
import { startApiServer } from "../../src/api/server.js";
import type { Application } from "../../src/model/application.js";
import type { ControllerFixture } from "../helpers/app.js";
import { condition, configMap, IN_CLUSTER, startControllerFixture } from "../helpers/app.js";
import { clients } from "../helpers/environment.js";
import { type AgeKey, type SopsTool, sopsTool } from "../helpers/sops.js";

const canary = (what: string) => `canary-${what}-5e1d07`;
const NUMBER = 7314159265;
const MULTILINE = `${canary("line1")}\n${canary("line2")}\n`;
/** Every form a leak could take: values, their base64, each line of the multi-line one. */
const CANARIES = [
  canary("str"),
  canary("list"),
  canary("map"),
  canary("imm"),
  canary("line1"),
  canary("line2"),
  canary("cm"),
  String(NUMBER),
  Buffer.from(canary("str")).toString("base64"),
];
const b64 = (s: string) => Buffer.from(s).toString("base64");

/** Values the apiserver refuses in a Secret's stringData/data; one field per error form. */
const refusedSecret = (name: string, extra = "") => `apiVersion: v1
kind: Secret
metadata:
  name: ${name}
${extra}type: Opaque
data:
  password: ${b64(canary("str"))}
stringData:
  pin: ${NUMBER}
  flag: true
  list: ["${canary("list")}", ${NUMBER}]
  map: {k: "${canary("map")}", n: ${NUMBER}}
  cert: |
${MULTILINE.split("\n")
  .filter(Boolean)
  .map((l) => `    ${l}`)
  .join("\n")}
`;
/** A string where a boolean belongs: the apiserver quotes it (`got &{…}`). */
const immutableSecret = (name: string) =>
  `apiVersion: v1\nkind: Secret\nmetadata:\n  name: ${name}\nimmutable: "${canary("imm")}"\nstringData:\n  a: ${canary("str")}\n`;
const decryptedConfigMap = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\nimmutable: "${canary("cm")}"\ndata:\n  port: ${NUMBER}\n`;

describe("controller: no secret value in any message; a new app resolves its revision fresh", () => {
  let fx: ControllerFixture;
  let api: ApiServer;
  let tool: SopsTool;
  let key: AgeKey;
  let url: string;
  let ws: Awaited<ReturnType<ControllerFixture["repository"]>>["ws"];
  const dest: Record<string, string> = {};

  before(async () => {
    tool = await sopsTool();
    key = await tool.newKey();
    // Ten minutes: anything seen in this file before then was not waiting for a poll.
    fx = await startControllerFixture("ctl-redact", { pollIntervalMs: 600_000 });
    await clients().core.createNamespacedSecret({
      namespace: fx.appNs,
      body: { metadata: { name: "sops-age" }, data: { "identity.agekey": b64(key.file) } },
    });
    const sops = (plain: string, regex: string) =>
      tool.encrypt("s.yaml", plain, [key.recipient], ["--encrypted-regex", regex]);
    ({ url, ws } = await fx.repository("redact", {
      "plain/secret.yaml": refusedSecret("typed"),
      "plain/immutable.yaml": immutableSecret("imm"),
      "replace/secret.yaml": refusedSecret(
        "typed-put",
        `  annotations: {tether.dev/sync-options: Replace=true}\n`,
      ),
      "sops/secret.yaml": await sops(refusedSecret("typed-sops"), "^(data|stringData)$"),
      "sops/immutable.yaml": await sops(immutableSecret("imm-sops"), "^(immutable|stringData)$"),
      "sops/configmap.yaml": await sops(decryptedConfigMap, "^(data|immutable)$"),
      "first/a.yaml": configMap("first", { v: "1" }),
    }));
    api = await startApiServer({ clients: clients(), namespace: fx.appNs, heartbeatMs: 200, auth: false });
  });
  after(async () => {
    await api?.close();
    await fx?.stop();
    await tool?.close();
  });

  const createApp = async (name: string, path: string, decryption = false) => {
    dest[name] = await fx.namespace(`ctl-redact-${name}`);
    await fx.createApp(name, {
      source: { repoURL: url, targetRevision: "main", path },
      destination: { server: IN_CLUSTER, namespace: dest[name] },
      syncPolicy: { automated: { prune: true, selfHeal: true } },
      ...(decryption ? { decryption: { provider: "sops" as const, secretRef: { name: "sops-age" } } } : {}),
    });
  };

  /** Every place a value must never reach. */
  const assertNoLeak = async (appName: string) => {
    const places: Record<string, string> = {
      application: JSON.stringify(await fx.readApp(appName)),
      "events (apps)": JSON.stringify(await clients().core.listNamespacedEvent({ namespace: fx.appNs })),
      "events (destination)": JSON.stringify(
        await clients().core.listNamespacedEvent({ namespace: dest[appName] ?? "" }),
      ),
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
    for (const [where, text] of Object.entries(places)) {
      for (const value of CANARIES) assert.ok(!text.includes(value), `${where} leaks ${value}`);
      assert.doesNotMatch(text, /Value:|got &\{/, `${where} quotes a Go value dump`);
    }
  };

  const syncError = (name: string, what: RegExp) =>
    fx.waitApp(name, `SyncError ${what}`, (a) => what.test(condition(a, "SyncError")?.message ?? ""), 60_000);

  /** The sync's per-object results: where each refused object's own message is kept. */
  const objectMessages = (app: Application) =>
    (app.status?.operationState?.results ?? [])
      .map((r) => `${r.ref.kind}/${r.ref.name}: ${r.message ?? ""}`)
      .join("\n");

  test("plain Secret in Git: number, boolean, list, map, multi-line values and a string for a boolean", async () => {
    await createApp("plain", "plain");
    const app = await syncError(
      "plain",
      /Secret .*typed[\s\S]*\.stringData\.pin: expected string, got a number/,
    );
    const message = condition(app, "SyncError")?.message ?? "";
    assert.match(message, /\.stringData\.flag: expected string, got a boolean/);
    const imm = await syncError("plain", /\.immutable: expected boolean, got \(redacted\)/);
    assert.match(objectMessages(imm), /Secret\/imm: .*\.immutable: expected boolean, got \(redacted\)/);
    await assertNoLeak("plain");
  });

  test("Replace=true (create with JSON, not server-side apply): encoding/json's refusal carries no value", async () => {
    await createApp("replace", "replace");
    await syncError(
      "replace",
      /cannot be handled as a Secret: json: cannot unmarshal (number|array|object|bool) into Go struct field Secret\.stringData/,
    );
    await assertNoLeak("replace");
  });

  test("SOPS-encrypted: typed decrypted values in a Secret and a decrypted ConfigMap quote nothing", async () => {
    await createApp("sops", "sops", true);
    await syncError("sops", /Secret .*typed-sops[\s\S]*\.stringData\.pin: expected string, got a number/);
    const app = await syncError(
      "sops",
      /ConfigMap .*settings[\s\S]*\.immutable: expected boolean, got \(redacted\)/,
    );
    assert.match(objectMessages(app), /Secret\/imm-sops: .*\.immutable: expected boolean, got \(redacted\)/);
    await assertNoLeak("sops");
  });

  test("a new app for a path pushed a moment ago syncs without waiting for a poll; so does a spec moved to a new path", async () => {
    await createApp("first", "first");
    await fx.waitApp("first", "Synced", (a) => a.status?.sync?.status === "Synced");
    // The revision of main is now cached for ten minutes; the push below is not announced.
    const pushed = await ws.commitAndPush(
      { "second/b.yaml": configMap("second", { v: "1" }) },
      "second path",
    );
    await createApp("second", "second");
    const second = await fx.waitApp(
      "second",
      "Synced at the pushed commit",
      (a) => a.status?.sync?.status === "Synced" && a.status.sync.revision === pushed,
    );
    assert.equal(condition(second, "ComparisonError"), undefined);

    const third = await ws.commitAndPush({ "third/c.yaml": configMap("third", { v: "1" }) }, "third path");
    await fx.patchApp("first", { spec: { source: { repoURL: url, targetRevision: "main", path: "third" } } });
    await fx.waitApp(
      "first",
      "Synced at the new path's commit",
      (a) =>
        a.status?.sync?.status === "Synced" &&
        a.status.sync.revision === third &&
        a.status.sync.comparedTo?.path === "third",
    );
    await clients().core.readNamespacedConfigMap({ name: "third", namespace: dest["first"] ?? "" });
  });
});
