// POST /api/webhook against the real apiserver: a signed GitHub push (the testdata payload, pointed
// at a real repository URL) asks exactly the matching app to refresh — not another app of the same
// repository on a path the push did not touch. Bad signature 401, malformed 400, over 1 MiB 413.
// No controller watches this namespace, so the refresh annotations stay where the API put them.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import type { ApiServer } from "../../src/api/server.js";
import { startApiServer } from "../../src/api/server.js";
import type { ErrorBody, WebhookResponse } from "../../src/api/types.js";
import type { GitServer } from "../../src/localcluster/gitserver.js";
import { startGitServer } from "../../src/localcluster/gitserver.js";
import type { Application } from "../../src/model/application.js";
import { APP_GROUP, IN_CLUSTER } from "../helpers/app.js";
import { clients, installCrds, uniqueName } from "../helpers/environment.js";

const SECRET = "webhook-secret-for-tests";

describe("api: POST /api/webhook", () => {
  let git: GitServer;
  let gitRoot: string;
  let api: ApiServer;
  let appNs: string;
  let repoURL: string;

  const readApp = async (name: string) =>
    (await clients().custom.getNamespacedCustomObject({
      ...APP_GROUP,
      namespace: appNs,
      name,
    })) as Application;
  const deliver = async (body: Buffer | string, headers: Record<string, string>) => {
    const response = await fetch(`${api.url}/api/webhook`, { method: "POST", body, headers });
    return { status: response.status, body: await response.json() };
  };
  const githubHeaders = async (body: Buffer, secret = SECRET) => ({
    ...(JSON.parse(await fs.readFile("testdata/webhooks/github-push.headers.json", "utf8")) as Record<
      string,
      string
    >),
    "X-Hub-Signature-256": `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`,
  });
  const pushPayload = async () => {
    const payload = JSON.parse(await fs.readFile("testdata/webhooks/github-push.json", "utf8")) as {
      repository: Record<string, unknown>;
    };
    for (const key of ["html_url", "url", "git_url", "ssh_url", "clone_url", "svn_url"])
      payload.repository[key] = repoURL;
    return Buffer.from(JSON.stringify(payload));
  };

  before(async () => {
    await installCrds();
    gitRoot = await fs.mkdtemp(path.join(os.tmpdir(), "tether-api-webhook-"));
    git = await startGitServer({ root: gitRoot });
    repoURL = await git.createRepository("platform");
    appNs = uniqueName("api-webhook");
    await clients().core.createNamespace({
      body: { metadata: { name: appNs, labels: { "tether.dev/test": "true" } } },
    });
    for (const [name, appPath] of [
      ["frontend", "apps/frontend"],
      ["backend", "apps/backend"],
    ] as const) {
      await clients().custom.createNamespacedCustomObject({
        ...APP_GROUP,
        namespace: appNs,
        body: {
          apiVersion: "tether.dev/v1alpha1",
          kind: "Application",
          metadata: { name, namespace: appNs },
          spec: {
            source: { repoURL, targetRevision: "main", path: appPath },
            destination: { server: IN_CLUSTER, namespace: "default" },
          },
        },
      });
    }
    // quietMs 0: the refresh is requested within the delivery, so the test can check it right after.
    api = await startApiServer({
      auth: false,
      clients: clients(),
      namespace: appNs,
      webhookSecrets: { github: SECRET },
      webhookCoalesce: { quietMs: 0, maxDelayMs: 0 },
    });
  });
  after(async () => {
    await api?.close();
    await git?.close();
    await clients()
      .core.deleteNamespace({ name: appNs })
      .catch(() => undefined);
    await fs.rm(gitRoot, { recursive: true, force: true });
  });

  test("a signed push refreshes exactly the app whose path changed", async () => {
    const body = await pushPayload();
    const reply = await deliver(body, await githubHeaders(body));
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    const result = reply.body as WebhookResponse;
    assert.equal(result.provider, "github");
    assert.deepEqual(
      result.refreshed.map((r) => r.key),
      [`${appNs}/frontend`],
    );
    assert.match(result.refreshed[0]?.reason ?? "", /apps\/frontend/);
    assert.equal((await readApp("frontend")).metadata.annotations?.["tether.dev/refresh"], "normal");
    assert.equal((await readApp("backend")).metadata.annotations?.["tether.dev/refresh"], undefined);
  });

  test("bad signature → 401, malformed payload → 400, over 1 MiB → 413; nothing refreshed", async () => {
    const body = await pushPayload();
    const forged = await deliver(body, await githubHeaders(body, "wrong-secret"));
    assert.equal(forged.status, 401);
    assert.equal((forged.body as ErrorBody).error.code, "unauthorized");

    const malformed = Buffer.from("{ this is not json");
    const bad = await deliver(malformed, await githubHeaders(malformed));
    assert.equal(bad.status, 400);
    const unknownForge = await deliver(body, { "content-type": "application/json" });
    assert.equal(unknownForge.status, 400);

    const huge = Buffer.alloc(1024 * 1024 + 1, 0x20);
    const tooLarge = await deliver(huge, await githubHeaders(huge));
    assert.equal(tooLarge.status, 413);
    assert.equal((tooLarge.body as ErrorBody).error.code, "too_large");
    assert.equal((await readApp("backend")).metadata.annotations?.["tether.dev/refresh"], undefined);
  });

  test("a ping is acknowledged and ignored", async () => {
    const body = await fs.readFile("testdata/webhooks/github-ping.json");
    const headers = {
      ...(JSON.parse(await fs.readFile("testdata/webhooks/github-ping.headers.json", "utf8")) as Record<
        string,
        string
      >),
    };
    headers["X-Hub-Signature-256"] = `sha256=${createHmac("sha256", SECRET).update(body).digest("hex")}`;
    const reply = await deliver(body, headers);
    assert.equal(reply.status, 200);
    assert.deepEqual((reply.body as WebhookResponse).refreshed, []);
    assert.ok((reply.body as WebhookResponse).ignored);
  });

  test("in the controller's process: matched against its cache, refreshed in memory, no annotation written", async () => {
    // The controller side is a recorder here: what is under test is that the API asks it, and only
    // it (the real controller's refreshApps is exercised by npm start and the e2e loop).
    const listed = (await clients().custom.listNamespacedCustomObject({
      ...APP_GROUP,
      namespace: appNs,
    })) as { items: Application[] };
    const refreshed: string[][] = [];
    const inProcess = await startApiServer({
      auth: false,
      clients: clients(),
      namespace: appNs,
      webhookSecrets: { github: SECRET },
      controller: { applications: () => listed.items, refresh: (keys) => void refreshed.push([...keys]) },
    });
    try {
      const before = (await readApp("frontend")).metadata.resourceVersion;
      const body = await pushPayload();
      const response = await fetch(`${inProcess.url}/api/webhook`, {
        method: "POST",
        body,
        headers: await githubHeaders(body),
      });
      assert.equal(response.status, 200);
      assert.deepEqual(
        ((await response.json()) as WebhookResponse).refreshed.map((r) => r.key),
        [`${appNs}/frontend`],
      );
      assert.deepEqual(refreshed, [[`${appNs}/frontend`]], "asked the controller once, for that app");
      assert.equal(
        (await readApp("frontend")).metadata.resourceVersion,
        before,
        "the Application is not written (no annotation round trip)",
      );
    } finally {
      await inProcess.close();
    }
  });
});
