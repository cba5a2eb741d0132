// Input nested thousands deep, and YAML errors deep in a multi-document file, through the running
// product: a real controller rendering from real Git, and the real API server. Each bad input is
// refused with an error naming file, line and path (or the request field), never "Maximum call
// stack size exceeded"; the controller and the API keep serving everything else.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import fs from "node:fs/promises";
import http from "node:http";
import { after, before, describe, test } from "node:test";
import type { ApiServer } from "../../src/api/server.js";
import { startApiServer } from "../../src/api/server.js";
import type { ApplicationList, ErrorBody } from "../../src/api/types.js";
import type { ControllerFixture } from "../helpers/app.js";
import { condition, configMap, IN_CLUSTER, startControllerFixture } from "../helpers/app.js";
import { clients } from "../helpers/environment.js";

const DEEP = 10_000;
const SECRET = "nesting-webhook-secret";
const deepFlowSeq = (n: number) => `${"[".repeat(n)}${"]".repeat(n)}`;
const deepJsonObject = (n: number) => `${'{"a":'.repeat(n)}1${"}".repeat(n)}`;

describe("bad input: nesting depth and YAML error lines", () => {
  let fx: ControllerFixture;
  let api: ApiServer;
  let url: string;
  let ns: string;

  const call = async (method: string, path: string, body?: string, headers: Record<string, string> = {}) => {
    const response = await fetch(`${api.url}${path}`, {
      method,
      ...(body === undefined ? {} : { body, headers: { "content-type": "application/json", ...headers } }),
    });
    return { status: response.status, body: await response.json() };
  };
  const appSpec = (path: string) => ({
    source: { repoURL: url, targetRevision: "main", path },
    destination: { server: IN_CLUSTER, namespace: ns },
    syncPolicy: { automated: { prune: true } },
  });
  const renderRefused = (name: string, message: RegExp) =>
    fx.waitApp(name, `ComparisonError ${message}`, (a) => {
      const problem = condition(a, "ComparisonError");
      return problem?.reason === "InvalidManifest" && message.test(problem.message ?? "");
    });

  before(async () => {
    fx = await startControllerFixture("nesting");
    const docs = ["one", "two", "three", "four"].map((n) => configMap(n, { v: "1" }));
    ({ url } = await fx.repository("nesting", {
      "deep-yaml/deep.yaml": `${configMap("deep", { v: "1" })}  x: ${deepFlowSeq(DEEP)}\n`,
      "deep-json/deep.json": `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"j","annotations":${deepJsonObject(DEEP)}}}`,
      // A duplicate key in the third of four documents, on line 21 of the file.
      "dup/multi.yaml": [docs[0], docs[1], `${configMap("three", { v: "1" })}  v: "2"\n`, docs[3]].join(
        "---\n",
      ),
      "ok/cm.yaml": configMap("fine", { v: "1" }),
      // Helm reads values files itself (Tether does not parse them): its error must keep the line.
      "chart/Chart.yaml": "apiVersion: v2\nname: chart\nversion: 0.1.0\n",
      "chart/templates/cm.yaml": configMap("from-chart", { v: "{{ .Values.v }}" }),
      "chart/values-bad.yaml": "v: 1\nw: 2\nx: [1\ny: 3\n",
    }));
    ns = await fx.namespace("nesting-dest");
    api = await startApiServer({
      auth: false,
      clients: clients(),
      namespace: fx.appNs,
      webhookSecrets: { github: SECRET },
      desired: (ref) => fx.controller.desiredOf(ref),
    });
  });
  after(async () => {
    await api?.close();
    await fx?.stop();
  });

  test("the controller refuses deep manifests and bad lines by name; other apps sync", async () => {
    for (const name of ["deep-yaml", "deep-json", "dup", "ok"]) await fx.createApp(name, appSpec(name));
    await renderRefused(
      "deep-yaml",
      /deep-yaml\/deep\.yaml:7: nesting deeper than 200 levels at data\.x\[0\]\[0\]/,
    );
    await renderRefused(
      "deep-json",
      /deep-json\/deep\.json:1: nesting deeper than 200 levels at metadata\.annotations\.a\.a/,
    );
    await renderRefused("dup", /dup\/multi\.yaml:21: invalid YAML: duplicate key "v"/);
    await fx.createApp("values", {
      ...appSpec("chart"),
      source: {
        repoURL: url,
        targetRevision: "main",
        path: "chart",
        helm: { valueFiles: ["values-bad.yaml"] },
      },
    });
    await fx.waitApp("values", "HelmFailed naming the values file and line", (a) => {
      const problem = condition(a, "ComparisonError");
      return problem?.reason === "HelmFailed" && /values-bad\.yaml.*line 3/.test(problem.message ?? "");
    });
    const ok = await fx.waitApp("ok", "Synced", (a) => a.status?.sync?.status === "Synced");
    assert.equal(condition(ok, "ComparisonError"), undefined);
    await clients().core.readNamespacedConfigMap({ name: "fine", namespace: ns });
    for (const name of ["deep-yaml", "deep-json", "dup"]) {
      const app = await fx.readApp(name);
      assert.doesNotMatch(JSON.stringify(app.status), /call stack/i);
      assert.deepEqual(app.status?.resources ?? [], [], `${name}: nothing was applied`);
    }
    // Still reconciling after the refusals: a refresh of a healthy app is handled.
    assert.equal((await fx.refresh("ok")).status?.sync?.status, "Synced");
  });

  test("the API answers a deep body with a 400 naming the field, and keeps serving", async () => {
    const deepApp = `{"metadata":{"name":"deep","namespace":"${fx.appNs}"},"spec":{"source":{"repoURL":"${url}","path":"ok","helm":${deepJsonObject(DEEP)}}}}`;
    const created = await call("POST", "/api/v1/applications", deepApp);
    assert.equal(created.status, 400);
    const error = (created.body as ErrorBody).error;
    assert.equal(error.code, "bad_request");
    assert.match(error.message, /^request body: nesting deeper than 200 levels at spec\.source\.helm\.a\.a/);
    assert.match(error.field ?? "", /^spec\.source\.helm\.a/);

    const replaced = await call("PUT", `/api/v1/applications/${fx.appNs}/ok`, deepFlowSeq(DEEP));
    assert.equal(replaced.status, 400);
    assert.match((replaced.body as ErrorBody).error.message, /nesting deeper than 200 levels/);
    const synced = await call(
      "POST",
      `/api/v1/applications/${fx.appNs}/ok/sync`,
      `{"resources":${deepFlowSeq(DEEP)}}`,
    );
    assert.equal(synced.status, 400);

    // A signed webhook payload nested 10,000 deep: refused after the signature, by name.
    const payload = Buffer.from(`{"ref":"refs/heads/main","repository":${deepJsonObject(DEEP)}}`);
    const signature = `sha256=${createHmac("sha256", SECRET).update(payload).digest("hex")}`;
    const headers = JSON.parse(
      await fs.readFile("testdata/webhooks/github-push.headers.json", "utf8"),
    ) as Record<string, string>;
    const response = await fetch(`${api.url}/api/webhook`, {
      method: "POST",
      body: payload,
      headers: { ...headers, "X-Hub-Signature-256": signature },
    });
    assert.equal(response.status, 400);
    assert.match(JSON.stringify(await response.json()), /nesting deeper than 200 levels at repository\.a/);

    // The render error of the deep app reaches the API as text, not as a failure of the API.
    const diff = await call("GET", `/api/v1/applications/${fx.appNs}/deep-yaml/diff`);
    assert.doesNotMatch(JSON.stringify(diff.body), /call stack/i);
    assert.notEqual(diff.status, 502);

    const list = await call("GET", "/api/v1/applications");
    assert.equal(list.status, 200);
    assert.ok((list.body as ApplicationList).items.some((a) => a.name === "ok"));

    // Wide instead of deep: one byte over the body limit (1 MiB) is refused before any parsing. The
    // server answers and closes while the client may still be writing, which fetch reports as a
    // failure; node:http hands over the answer.
    const shallow = JSON.stringify({ spec: { items: new Array(1000).fill(0) } }).padEnd(1024 * 1024 + 1, " ");
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const request = http.request(
        `${api.url}/api/v1/applications`,
        { method: "POST", headers: { "content-type": "application/json" } },
        (response) => {
          response.resume();
          resolve(response.statusCode);
        },
      );
      request.on("error", reject);
      request.end(shallow);
    });
    assert.equal(status, 413);
  });
});
