// PUT /api/v1/applications/:ns/:name against a store that behaves like the apiserver's optimistic
// concurrency: the controller's status writes bump the resourceVersion between the route's read and
// its replace. Without a resourceVersion from the client the route reads again and retries; with
// one, the conflict is the client's answer.
import assert from "node:assert/strict";
import { test } from "node:test";
import { OpenAPIHono } from "@hono/zod-openapi";
import { HttpError } from "../../src/api/errors.js";
import { registerApplicationRoutes } from "../../src/api/routes.js";
import type { ApplicationStore } from "../../src/api/store.js";
import type { Application } from "../../src/model/application.js";

const spec = (revision: string) => ({
  source: { repoURL: "https://git.example/r.git", path: "cfg", targetRevision: revision },
  destination: { server: "https://kubernetes.default.svc", namespace: "web" },
});

/** One stored app; `racingWrites` status writes land after each of the route's reads. */
function conflictingStore(racingWrites: number) {
  let version = 1;
  let racesLeft = racingWrites;
  let stored: Application = {
    apiVersion: "tether.dev/v1alpha1",
    kind: "Application",
    metadata: { name: "made", namespace: "apps", resourceVersion: "1" },
    spec: spec("main"),
  };
  const replaces: string[] = [];
  const store = {
    namespace: "apps",
    get: () => {
      const read = structuredClone(stored);
      if (racesLeft > 0) {
        racesLeft--;
        version++; // the controller's status write, after this read
        stored = { ...stored, metadata: { ...stored.metadata, resourceVersion: String(version) } };
      }
      return Promise.resolve(read);
    },
    // As ApplicationStore.replace: the client's resourceVersion, else that of the object read.
    replace: (app: Application, current: Application) => {
      const expected = app.metadata.resourceVersion ?? current.metadata.resourceVersion ?? "";
      replaces.push(expected);
      if (expected !== stored.metadata.resourceVersion) {
        throw new HttpError(
          409,
          "the object has been modified; please apply your changes to the latest version",
        );
      }
      version++;
      stored = { ...current, ...app, metadata: { ...app.metadata, resourceVersion: String(version) } };
      return Promise.resolve(structuredClone(stored));
    },
  };
  return { store: store as unknown as ApplicationStore, replaces, stored: () => stored };
}

function api(store: ApplicationStore): OpenAPIHono {
  const app = new OpenAPIHono();
  app.onError((error, c) =>
    error instanceof HttpError ? c.json(error.body(), error.status) : c.json({ error: String(error) }, 500),
  );
  registerApplicationRoutes(app, {
    clients: {} as never,
    resources: {} as never,
    store,
    localServers: ["https://kubernetes.default.svc"],
    knownClusters: () => Promise.resolve([]),
    liveOf: () => Promise.reject(new Error("no live reads expected: the app has no resources")),
  });
  return app;
}

const put = (app: OpenAPIHono, metadata: Record<string, unknown>) =>
  app.request("/api/v1/applications/apps/made", {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ metadata: { name: "made", ...metadata }, spec: spec("HEAD") }),
  });

test("PUT without a resourceVersion survives the controller's status writes between read and replace", async () => {
  const fake = conflictingStore(2);
  const response = await put(api(fake.store), { labels: { team: "y" } });
  assert.equal(response.status, 200, await response.clone().text());
  assert.deepEqual(fake.replaces, ["1", "2", "3"], "two conflicts, each followed by a fresh read");
  assert.equal(fake.stored().spec.source?.targetRevision, "HEAD");
  assert.deepEqual(fake.stored().metadata.labels, { team: "y" });
});

test("PUT without a resourceVersion gives up after five conflicts in a row with 409", async () => {
  const fake = conflictingStore(100);
  const response = await put(api(fake.store), {});
  assert.equal(response.status, 409);
  assert.equal(fake.replaces.length, 5);
});

test("PUT with the client's stale resourceVersion is refused at once with 409", async () => {
  const fake = conflictingStore(0);
  const response = await put(api(fake.store), { resourceVersion: "0" });
  assert.equal(response.status, 409);
  assert.deepEqual(fake.replaces, ["0"], "no retry: the client asked for that version");
});
