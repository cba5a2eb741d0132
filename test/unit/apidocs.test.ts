// The OpenAPI document is complete and docs/api.md is generated from it:
//  - every route the server registers (with auth on: the session, SSO, token and account routes)
//    is in the document served at /api/openapi.json, and the document names no route that does
//    not exist;
//  - the served document is the one docs/api.md is built from;
//  - the committed docs/api.md is current (`npm run docs:api`).
// No cluster: the server runs on an in-memory stand-in for the few core/v1 calls auth makes.
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import path from "node:path";
import { test } from "node:test";
import type { V1Secret } from "@kubernetes/client-node";
import { createApiAuth } from "../../src/api/authn.js";
import { openApiDocument } from "../../src/api/openapi.js";
import { createApi } from "../../src/api/server.js";
import type { KubeClients } from "../../src/kube/client.js";
import { repoRoot } from "../../src/toolchain/components.js";
import { API_DOCS_FILE, renderApiDocs } from "../../scripts/apidocs.js";

/** Secrets in memory (resourceVersion CAS like the apiserver); every ConfigMap is absent. */
function memoryClients(): KubeClients {
  const secrets = new Map<string, V1Secret>();
  let version = 0;
  const notFound = () => Object.assign(new Error("not found"), { code: 404 });
  const core = {
    readNamespacedSecret: ({ name }: { name: string }) => {
      const secret = secrets.get(name);
      return secret ? Promise.resolve(structuredClone(secret)) : Promise.reject(notFound());
    },
    createNamespacedSecret: ({ body }: { body: V1Secret }) => {
      const name = body.metadata?.name ?? "";
      if (secrets.has(name)) return Promise.reject(Object.assign(new Error("exists"), { code: 409 }));
      secrets.set(name, { ...body, metadata: { ...body.metadata, resourceVersion: String(++version) } });
      return Promise.resolve(body);
    },
    replaceNamespacedSecret: ({ name, body }: { name: string; body: V1Secret }) => {
      secrets.set(name, { ...body, metadata: { ...body.metadata, resourceVersion: String(++version) } });
      return Promise.resolve(body);
    },
    readNamespacedConfigMap: () => Promise.reject(notFound()),
  };
  return { core } as unknown as KubeClients;
}

/** OpenAPI path for a Hono route pattern: `/a/:id` → `/a/{id}`. */
const openApiPath = (pattern: string) => pattern.replace(/:([A-Za-z0-9_]+)/g, "{$1}");

test("every route the server registers (auth on) is in /api/openapi.json, and nothing else is", async () => {
  const clients = memoryClients();
  const auth = await createApiAuth({ clients, namespace: "tether-system" });
  // Without the UI: its catch-all GET /* serves files, not API routes.
  const app = createApi({ clients, auth, signal: AbortSignal.abort(), uiDir: false });
  const served = (await (await app.request("/api/openapi.json")).json()) as {
    paths: Record<string, Record<string, unknown>>;
  };
  const registered = new Set(
    app.routes
      .filter((r) => r.method !== "ALL" && r.path !== "/api/openapi.json")
      .map((r) => `${r.method.toLowerCase()} ${openApiPath(r.path)}`),
  );
  const documented = new Set(
    Object.entries(served.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m} ${p}`)),
  );
  for (const route of [
    "post /api/v1/tokens",
    "get /api/v1/auth/oidc/callback",
    "put /api/v1/account/password",
  ]) {
    assert.ok(registered.has(route), `${route} is registered`);
  }
  assert.deepEqual(
    [...registered].filter((r) => !documented.has(r)).sort(),
    [],
    "registered but undocumented",
  );
  assert.deepEqual(
    [...documented].filter((r) => !registered.has(r)).sort(),
    [],
    "documented but not registered",
  );
  // docs/api.md is built from exactly the served document.
  assert.deepEqual(served, JSON.parse(JSON.stringify(openApiDocument())));
});

test("committed docs/api.md is up to date (run `npm run docs:api`)", async () => {
  const committed = await fs.readFile(path.join(repoRoot, API_DOCS_FILE), "utf8");
  assert.equal(committed, await renderApiDocs(), `${API_DOCS_FILE} is stale: run npm run docs:api`);
  for (const route of ["/api/v1/auth/config", "/api/v1/tokens/{id}", "/api/v1/account/password"]) {
    assert.ok(committed.includes(`\`${route}\``), `${route} in ${API_DOCS_FILE}`);
  }
});
