// Pure pieces of the API: list filters, field extraction from apiserver messages, request-body
// validation, the capped body reader and webhook refresh coalescing.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { fieldOf, HttpError } from "../../src/api/errors.js";
import type { ApplicationStore } from "../../src/api/store.js";
import { applicationFromBody } from "../../src/api/validate.js";
import { matchesFilter, summaryOf } from "../../src/api/views.js";
import { readCapped, WebhookRefresher } from "../../src/api/webhook.js";
import { waitFor } from "../../src/lib/wait.js";
import type { Application } from "../../src/model/application.js";

const app = (name: string, labels?: Record<string, string>, sync?: "Synced" | "OutOfSync"): Application => ({
  apiVersion: "tether.dev/v1alpha1",
  kind: "Application",
  metadata: { name, namespace: "apps", ...(labels ? { labels } : {}) },
  spec: { source: { repoURL: "https://git.example/r.git", path: name }, destination: { namespace: "x" } },
  ...(sync ? { status: { sync: { status: sync, revision: "abc" }, health: { status: "Healthy" } } } : {}),
});

const stream = (chunks: number[]) =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      for (const size of chunks) controller.enqueue(new Uint8Array(size));
      controller.close();
    },
  });

const rejectsWith = async (promise: Promise<unknown>, status: number) =>
  assert.rejects(promise, (error: { status?: number }) => error.status === status);

describe("api helpers", () => {
  test("summaryOf defaults: project default, Unknown sync and health before the first reconcile", () => {
    assert.deepEqual(summaryOf(app("a")), {
      name: "a",
      namespace: "apps",
      project: "default",
      repoURL: "https://git.example/r.git",
      path: "a",
      sync: "Unknown",
      health: "Unknown",
      destination: { namespace: "x" },
    });
  });

  test("matchesFilter: sync, health, project and labels (k=v and k) all must hold", () => {
    const a = app("a", { team: "web", tier: "1" }, "Synced");
    assert.ok(matchesFilter(a, { sync: "Synced", health: "Healthy", labels: ["team=web", "tier"] }));
    assert.ok(!matchesFilter(a, { labels: ["team=db"] }));
    assert.ok(!matchesFilter(a, { labels: ["missing"] }));
    assert.ok(!matchesFilter(a, { sync: "OutOfSync" }));
    assert.ok(!matchesFilter(a, { project: "other" }));
  });

  test("fieldOf finds the field an apiserver or validateApplication message names", () => {
    assert.equal(
      fieldOf('Application.tether.dev "x" is invalid: spec.source.repoURL: Required value'),
      "spec.source.repoURL",
    );
    assert.equal(
      fieldOf('spec.destination.namespace "A_B" is not a valid namespace name'),
      "spec.destination.namespace",
    );
    assert.equal(fieldOf("nothing here"), undefined);
  });

  test("applicationFromBody: shape errors and meaning errors both name the field", () => {
    const fieldFor = (body: unknown, ns?: string) => {
      try {
        applicationFromBody(body, ns, []);
        return "ok";
      } catch (error) {
        assert.ok(error instanceof HttpError);
        assert.equal(error.status, 422);
        return error.field;
      }
    };
    const spec = { source: { repoURL: "https://g/r.git" }, destination: { namespace: "ok" } };
    assert.equal(fieldFor({ metadata: { name: "a" }, spec }, "apps"), "ok");
    assert.equal(fieldFor({ metadata: { name: "a" }, spec }), "metadata.namespace");
    assert.equal(fieldFor({ metadata: {}, spec }, "apps"), "metadata.name");
    assert.equal(
      fieldFor({ metadata: { name: "a" }, spec: { ...spec, source: {} } }, "apps"),
      "spec.source.repoURL",
    );
    assert.equal(
      fieldFor(
        { metadata: { name: "a" }, spec: { ...spec, source: { repoURL: "https://g/r.git", path: "../up" } } },
        "apps",
      ),
      "spec.source.path",
    );
    assert.equal(
      fieldFor(
        { metadata: { name: "a" }, spec: { ...spec, destination: { server: "https://elsewhere" } } },
        "apps",
      ),
      "spec.destination.server",
    );
  });

  test("readCapped stops at the cap with 413 and reads bodies up to it", async () => {
    assert.equal((await readCapped(stream([10, 20]), 30)).length, 30);
    await rejectsWith(readCapped(stream([16, 16]), 30), 413);
    assert.equal((await readCapped(null, 30)).length, 0);
  });

  test("WebhookRefresher: a burst costs one refresh per app; quietMs 0 refreshes at once", async () => {
    const calls: string[] = [];
    const store = {
      annotate: (namespace: string, name: string, annotations: Record<string, string | null>) => {
        calls.push(`${namespace}/${name}:${annotations["tether.dev/refresh"]}`);
        return Promise.resolve(app(name));
      },
    } as unknown as ApplicationStore;
    const immediate = new WebhookRefresher(store, { quietMs: 0, maxDelayMs: 0 });
    await immediate.add(["apps/a"]);
    assert.deepEqual(calls, ["apps/a:normal"]);

    calls.length = 0;
    const burst = new WebhookRefresher(store, { quietMs: 20, maxDelayMs: 1_000 });
    await burst.add(["apps/a", "apps/b"]);
    await burst.add(["apps/a"]);
    await burst.add(["apps/b"]);
    await waitFor("both refreshed", () => calls.length === 2, { timeoutMs: 5_000 });
    assert.deepEqual(calls.sort(), ["apps/a:normal", "apps/b:normal"]);
    burst.close();
  });
});
