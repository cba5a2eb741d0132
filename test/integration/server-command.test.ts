// `tether server` as a child process against the real apiserver, as its Pod runs it: health, admin
// login with the password from the initial admin Secret, the app list, webhooks verified with the
// secret from Secret tether-webhook (rotated without a restart), HTTPS with --tls-cert/--tls-key,
// SIGTERM with an open event stream → exit 0, usage errors → exit 2 naming the flag. The server
// never logs the admin password. Each server gets a system namespace of its own.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import fs from "node:fs/promises";
import https from "node:https";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { stringify } from "yaml";
import type { ApplicationSummary, WebhookResponse } from "../../src/api/types.js";
import { watchWebhookSecrets } from "../../src/api/webhooksecrets.js";
import { errorStatus, kubeClients, loadKubeConfig } from "../../src/kube/client.js";
import { createPki } from "../../src/localcluster/pki.js";
import { waitFor } from "../../src/lib/wait.js";
import type { Application } from "../../src/model/application.js";
import { APP_GROUP, IN_CLUSTER } from "../helpers/app.js";
import { clients, installCrds, testEnv, uniqueName } from "../helpers/environment.js";
import type { ServerProcess } from "../helpers/serverprocess.js";
import { runServerToExit, startServerProcess } from "../helpers/serverprocess.js";

const REPO_URL = "https://git.example.test/team/platform.git";
const FIRST_SECRET = "first-webhook-secret";
const ROTATED_SECRET = "rotated-webhook-secret";

async function createNamespace(prefix: string): Promise<string> {
  const name = uniqueName(prefix);
  await clients().core.createNamespace({
    body: { metadata: { name, labels: { "tether.dev/test": "true" } } },
  });
  return name;
}

async function deleteNamespace(name: string | undefined): Promise<void> {
  if (name)
    await clients()
      .core.deleteNamespace({ name })
      .catch(() => undefined);
}

/** The initial admin password: Secret tether-initial-admin, or its older name. */
async function initialAdminPassword(namespace: string): Promise<string> {
  for (const name of ["tether-initial-admin", "tether-initial-admin-password"]) {
    try {
      const secret = await clients().core.readNamespacedSecret({ name, namespace });
      const value = secret.data?.["password"];
      if (value) return Buffer.from(value, "base64").toString("utf8");
    } catch (error) {
      if (errorStatus(error) !== 404) throw error;
    }
  }
  throw new Error(`no initial admin password Secret in ${namespace}`);
}

async function pushPayload(): Promise<Buffer> {
  const payload = JSON.parse(await fs.readFile("testdata/webhooks/github-push.json", "utf8")) as {
    repository: Record<string, unknown>;
  };
  for (const key of ["html_url", "url", "git_url", "ssh_url", "clone_url", "svn_url"])
    payload.repository[key] = REPO_URL;
  return Buffer.from(JSON.stringify(payload));
}

async function githubHeaders(body: Buffer, secret: string | undefined): Promise<Record<string, string>> {
  const headers = JSON.parse(
    await fs.readFile("testdata/webhooks/github-push.headers.json", "utf8"),
  ) as Record<string, string>;
  if (secret)
    headers["X-Hub-Signature-256"] = `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
  return headers;
}

async function login(url: string, password: string): Promise<string> {
  const response = await fetch(`${url}/api/v1/session`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: "admin", password }),
  });
  assert.equal(response.status, 200, await response.clone().text());
  return ((await response.json()) as { token: string }).token;
}

function secretData(values: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, Buffer.from(v).toString("base64")]));
}

describe("tether server (a child process, as in its Pod)", () => {
  let systemNs: string;
  let appNs: string;
  let server: ServerProcess | undefined;
  let password: string;

  const deliver = async (secret: string | undefined) => {
    const body = await pushPayload();
    const response = await fetch(`${server?.url}/api/webhook`, {
      method: "POST",
      body,
      headers: await githubHeaders(body, secret),
    });
    return { status: response.status, body: (await response.json()) as WebhookResponse };
  };
  const refreshAnnotation = async () => {
    const app = (await clients().custom.getNamespacedCustomObject({
      ...APP_GROUP,
      namespace: appNs,
      name: "frontend",
    })) as Application;
    return app.metadata.annotations?.["tether.dev/refresh"];
  };

  before(async () => {
    await installCrds();
    systemNs = await createNamespace("server-system");
    appNs = await createNamespace("server-apps");
    await clients().core.createNamespacedSecret({
      namespace: systemNs,
      body: { metadata: { name: "tether-webhook" }, data: secretData({ github: FIRST_SECRET }) },
    });
    await clients().custom.createNamespacedCustomObject({
      ...APP_GROUP,
      namespace: appNs,
      body: {
        apiVersion: "tether.dev/v1alpha1",
        kind: "Application",
        metadata: { name: "frontend", namespace: appNs },
        spec: {
          source: { repoURL: REPO_URL, targetRevision: "main", path: "apps/frontend" },
          destination: { server: IN_CLUSTER, namespace: "default" },
        },
      },
    });
    server = await startServerProcess([
      "--kubeconfig",
      testEnv.kubeconfig,
      "--system-namespace",
      systemNs,
      "--namespace",
      appNs,
      "--host",
      "127.0.0.1",
      "--port",
      "0",
    ]);
    password = await initialAdminPassword(systemNs);
  });
  after(async () => {
    await server?.stop();
    await deleteNamespace(systemNs);
    await deleteNamespace(appNs);
  });

  test("answers /healthz; admin logs in with the password from the Secret and lists the apps", async () => {
    const url = server?.url ?? "";
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const health = await fetch(`${url}/healthz`);
    assert.equal(health.status, 200);
    assert.equal(await health.text(), "ok");
    assert.equal((await fetch(`${url}/api/v1/applications`)).status, 401);

    const token = await login(url, password);
    const list = await fetch(`${url}/api/v1/applications`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(list.status, 200);
    const { items } = (await list.json()) as { items: ApplicationSummary[] };
    assert.deepEqual(
      items.map((a) => `${a.namespace}/${a.name}`),
      [`${appNs}/frontend`],
    );
  });

  test("webhook: signed with Secret tether-webhook's secret refreshes the app, a bad signature is refused", async () => {
    const forged = await deliver("not-the-secret");
    assert.equal(forged.status, 401);
    assert.equal(await refreshAnnotation(), undefined);

    const signed = await deliver(FIRST_SECRET);
    assert.equal(signed.status, 200, JSON.stringify(signed.body));
    assert.deepEqual(
      signed.body.refreshed.map((r) => r.key),
      [`${appNs}/frontend`],
    );
    // The server has no controller: the refresh is asked for through the annotation (coalesced).
    await waitFor(
      "the refresh annotation on frontend",
      async () => (await refreshAnnotation()) === "normal",
      { timeoutMs: 10_000 },
    );
  });

  test("webhook: a changed Secret applies without a restart; an empty key is named, the others still work", async () => {
    await clients().core.replaceNamespacedSecret({
      name: "tether-webhook",
      namespace: systemNs,
      body: {
        metadata: { name: "tether-webhook" },
        data: secretData({ github: ROTATED_SECRET, gitlab: "" }),
      },
    });
    // The watch brings the change: wait until the rotated secret is the one verified.
    await waitFor(
      "the rotated webhook secret to be in force",
      async () => (await deliver(ROTATED_SECRET)).status === 200,
      { timeoutMs: 15_000 },
    );
    assert.equal((await deliver(FIRST_SECRET)).status, 401);
    assert.equal((await deliver(undefined)).status, 401);
    assert.match(
      server?.stderr() ?? "",
      new RegExp(
        `Secret ${systemNs}/tether-webhook: key gitlab is empty; gitlab deliveries are not verified`,
      ),
    );
    // One line per state, not one per watch event or delivery.
    assert.equal((server?.stderr() ?? "").split("key gitlab is empty").length - 1, 1);
  });

  test("SIGTERM with an open event stream: the stream ends and the process exits 0", async () => {
    const url = server?.url ?? "";
    const token = await login(url, password);
    const stream = await fetch(`${url}/api/v1/stream`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(stream.status, 200);
    const reader = stream.body?.getReader();
    assert.ok(reader);
    let text = "";
    while (!text.includes("event: ready")) {
      const chunk = await reader.read();
      assert.ok(!chunk.done, `the stream ended before its ready event: ${text}`);
      text += Buffer.from(chunk.value).toString("utf8");
    }
    const code = await server?.stop();
    assert.equal(code, 0, server?.stderr());
    // The server ended the stream (a clean end or a reset), rather than leaving it open.
    await reader.read().then(
      async function drain(chunk): Promise<void> {
        if (!chunk.done) return reader.read().then(drain);
      },
      () => undefined,
    );
    const log = server?.stderr() ?? "";
    assert.match(log, /SIGTERM: stopping/);
    assert.match(log, /\bstopped\n/);
    // Every line is timestamped, as `tether controller`'s.
    for (const line of log.trimEnd().split("\n"))
      assert.match(line, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z /);
    assert.ok(!log.includes(password), "the server logged the initial admin password");
  });
});

/** GET/POST over HTTPS trusting `ca` only. */
function httpsRequest(
  url: string,
  ca: Buffer,
  options: { method?: string; body?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const request = https.request(
      url,
      { method: options.method ?? "GET", ca, headers: options.headers },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks).toString("utf8"),
          }),
        );
        response.on("error", reject);
      },
    );
    request.on("error", reject);
    request.end(options.body);
  });
}

describe("tether server with --tls-cert/--tls-key and no Secret tether-webhook", () => {
  let systemNs: string;
  let pkiDir: string;
  let server: ServerProcess | undefined;

  before(async () => {
    await installCrds();
    systemNs = await createNamespace("server-tls");
    pkiDir = await fs.mkdtemp(path.join(os.tmpdir(), "tether-server-tls-"));
  });
  after(async () => {
    await server?.stop();
    await deleteNamespace(systemNs);
    await fs.rm(pkiDir, { recursive: true, force: true });
  });

  test("answers HTTPS with Secure __Host- cookies; webhooks are accepted unverified, said once", async () => {
    // A CA and a serving certificate for 127.0.0.1, made for this test.
    const pki = await createPki(pkiDir, "10.0.0.1");
    server = await startServerProcess([
      "--kubeconfig",
      testEnv.kubeconfig,
      "--system-namespace",
      systemNs,
      "--namespace",
      systemNs,
      "--host",
      "127.0.0.1",
      "--port",
      "0",
      "--tls-cert",
      pki.serving.cert,
      "--tls-key",
      pki.serving.key,
    ]);
    assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const ca = await fs.readFile(pki.ca.cert);

    const health = await httpsRequest(`${server.url}/healthz`, ca);
    assert.deepEqual([health.status, health.body], [200, "ok"]);
    // Plain HTTP on the same port is not served.
    await assert.rejects(fetch(`${server.url.replace("https:", "http:")}/healthz`).then((r) => r.text()));

    const password = await initialAdminPassword(systemNs);
    const login = await httpsRequest(`${server.url}/api/v1/session`, ca, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "admin", password }),
    });
    assert.equal(login.status, 200, login.body);
    const cookie = String(login.headers["set-cookie"] ?? "");
    assert.match(cookie, /^__Host-tether_session=/);
    assert.match(cookie, /; Secure/);

    const body = await pushPayload();
    const unsigned = await httpsRequest(`${server.url}/api/webhook`, ca, {
      method: "POST",
      headers: await githubHeaders(body, undefined),
      body: body.toString("utf8"),
    });
    assert.equal(unsigned.status, 200, unsigned.body);
    const log = server.stderr();
    assert.equal(log.split(`no Secret ${systemNs}/tether-webhook`).length - 1, 1, log);

    assert.equal(await server.stop(), 0, server.stderr());
    assert.ok(!server.stderr().includes(password), "the server logged the initial admin password");
  });
});

describe("tether server: mistakes in how it is called", () => {
  test("usage errors exit 2 naming the flag", async () => {
    const certAlone = await runServerToExit(["--tls-cert", "/tmp/cert.pem"]);
    assert.equal(certAlone.code, 2, certAlone.stderr);
    assert.match(certAlone.stderr, /--tls-cert: needs --tls-key/);

    const badPort = await runServerToExit(["--port", "70000"]);
    assert.equal(badPort.code, 2, badPort.stderr);
    assert.match(badPort.stderr, /--port: "70000" is not a port number/);
  });

  test("an unreadable certificate, or a key of another certificate, exits 1 naming the files", async () => {
    const missing = path.join(os.tmpdir(), `tether-no-such-cert-${process.pid}.pem`);
    const unreadable = await runServerToExit(["--tls-cert", missing, "--tls-key", missing]);
    assert.equal(unreadable.code, 1, unreadable.stderr);
    assert.match(unreadable.stderr, new RegExp(`--tls-cert: cannot read ${missing}: .*ENOENT`));

    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "tether-server-badpair-"));
    try {
      const pki = await createPki(dir, "10.0.0.1");
      const mismatched = await runServerToExit(["--tls-cert", pki.serving.cert, "--tls-key", pki.admin.key]);
      assert.equal(mismatched.code, 1, mismatched.stderr);
      assert.ok(
        mismatched.stderr.includes(
          `--tls-cert ${pki.serving.cert}, --tls-key ${pki.admin.key}: not a PEM certificate and its private key`,
        ),
        mismatched.stderr,
      );
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});

describe("webhook secrets that cannot be read", () => {
  let namespace: string | undefined;
  let dir: string | undefined;
  after(async () => {
    await deleteNamespace(namespace);
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  test("a server whose credentials may not read Secret tether-webhook fails to start, naming it", async () => {
    // A ServiceAccount bound to nothing: every Secret read is forbidden.
    namespace = await createNamespace("server-norbac");
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "tether-server-norbac-"));
    const admin = clients();
    await admin.core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: "nobody" } } });
    const minted = await admin.core.createNamespacedServiceAccountToken({
      name: "nobody",
      namespace,
      body: { spec: { audiences: [], expirationSeconds: 600 } },
    });
    const cluster = admin.config.getCurrentCluster();
    assert.ok(cluster && minted.status?.token);
    const ca = cluster.caData ?? (await fs.readFile(cluster.caFile ?? "")).toString("base64");
    const kubeconfig = path.join(dir, "nobody.kubeconfig");
    await fs.writeFile(
      kubeconfig,
      stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: "test", cluster: { server: cluster.server, "certificate-authority-data": ca } }],
        users: [{ name: "nobody", user: { token: minted.status.token } }],
        contexts: [{ name: "test", context: { cluster: "test", user: "nobody" } }],
        "current-context": "test",
      }),
      { mode: 0o600 },
    );
    const lines: string[] = [];
    await assert.rejects(
      watchWebhookSecrets({
        clients: kubeClients(loadKubeConfig(kubeconfig)),
        namespace,
        log: (l) => lines.push(l),
      }),
      new RegExp(`reading Secret ${namespace}/tether-webhook \\(the webhook secrets\\): .*forbidden`),
    );
    assert.deepEqual(lines, [], "nothing said about verification: the server does not start");
  });
});
