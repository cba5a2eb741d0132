// The API server: createApi builds the Hono app (routes, OpenAPI document, metrics, webhook, SSE);
// startApiServer listens on it with @hono/node-server.
//
// Authentication goes in ONE place: the `auth` option (authn.ts: createApiAuth) brings a middleware
// run before every /api/v1/* route (the data and action routes) and the /api/v1/session routes; the
// handlers authorize per application through `authorize` (routes.ts). /api/webhook authenticates by forge signature instead; /healthz,
// /metrics and /api/openapi.json stay open, but /metrics names an app only to a caller whose
// credentials may `get` it (publicAppMetrics: to anyone). Every other
// GET path serves the built web UI (static.ts): its files, or index.html for its routes.
import type { AddressInfo } from "node:net";
import https from "node:https";
import { serve } from "@hono/node-server";
import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import { matchedRoutes } from "hono/route";
import type { DesiredSource } from "./routes.js";
import type { Registry } from "prom-client";
import type { KubeClients } from "../kube/client.js";
import { ResourceClient } from "../kube/resources.js";
import type { ApiAuth } from "./authn.js";
import { appRef } from "./auth/rbac.js";
import { HttpError } from "./errors.js";
import { createApiMetrics, withoutHiddenApps } from "./metrics.js";
import { documentRoutes, OPENAPI_CONFIG, OPENAPI_PATH } from "./openapi.js";
import { ClusterSource, registerClusterRoutes } from "./clusters.js";
import { LiveScopeSource } from "./live.js";
import { registerApplicationRoutes } from "./routes.js";
import { type InProcessController, webhookTargets } from "./appindex.js";
import { ApplicationStore } from "./store.js";
import { serveUi } from "./static.js";
import { applicationStream } from "./stream.js";
import { handleWebhook, WebhookRefresher } from "./webhook.js";
import type { WebhookSecrets } from "./webhooks/index.js";
import { isWebhookError } from "./webhooks/index.js";
import { errorMessage } from "../lib/errormessage.js";

/** JSON bodies of the application routes; the webhook has its own streaming cap (same size). */
const MAX_BODY_BYTES = 1024 * 1024;

export interface ApiOptions {
  clients: KubeClients;
  /** The Applications namespace served; every namespace when unset. */
  namespace?: string;
  /**
   * Tether's system namespace, where cluster Secrets and AppProjects live (tether-system by
   * default): an app's live objects are read only as far as its AppProject there permits.
   */
  systemNamespace?: string;
  /** A function when the secrets can change while serving (Secret tether-webhook, watched). */
  webhookSecrets?: WebhookSecrets | (() => WebhookSecrets);
  /** Webhook burst coalescing; quietMs 0 refreshes within the request. Default 500 ms / 5 s. */
  webhookCoalesce?: { quietMs: number; maxDelayMs: number };
  /**
   * Authentication and authorization (createApiAuth in authn.ts). `false` serves /api/v1 to anyone
   * with every right: only for tests of non-auth behaviour, never for a listening product.
   */
  auth: ApiAuth | false;
  /**
   * Per-app series (app name, project, sync, health) on /metrics for callers without credentials.
   * Off by default: with auth on, only a caller with credentials gets them, for the apps it may
   * `get`. Turn on where /metrics is reachable by the operators' scraper only (Argo CD's and
   * Flux's controllers serve theirs so, on a port of their own).
   */
  publicAppMetrics?: boolean;
  /** The metrics registry (pass one to also register controller metrics on it); a fresh one by default. */
  registry?: Registry;
  /** API servers besides kubernetes.default.svc that mean "this cluster" (validateApplication). */
  localServers?: readonly string[];
  /** Aborting ends every open event stream and the webhook timer. */
  signal?: AbortSignal;
  heartbeatMs?: number;
  /**
   * How often an open event stream checks its credential again (default 5 s); a revocation in this
   * process is seen at once, this bounds the delay for one on another replica or an expiry.
   */
  streamRecheckMs?: number;
  /** Monotonic milliseconds for webhook coalescing. */
  now?: () => number;
  log?: (line: string) => void;
  /** The built web UI to serve at every non-API path (dist/ui by default); false serves none. */
  uiDir?: string | false;
  /**
   * The desired side of a resource's diff, from a controller in the same process (its last dry-run);
   * without it the diff shows the differing fields and the live object only.
   */
  desired?: DesiredSource;
  /**
   * The controller of this process: webhooks match against its cache and refresh through its queue.
   * Without it the API watches Applications itself and refreshes through the refresh annotation.
   */
  controller?: InProcessController;
}

/**
 * The route pattern (not the URL: label cardinality stays bounded) of the handler that answered:
 * the first matching non-middleware route, since routes run in registration order and the UI's
 * catch-all (registered last) also matches every API path.
 */
function routeOf(routes: readonly { method: string; path: string }[]): string {
  return routes.find((r) => r.method !== "ALL")?.path ?? "unmatched";
}

export function createApi(options: ApiOptions): OpenAPIHono {
  const { clients } = options;
  const resources = new ResourceClient(clients);
  const store = new ApplicationStore(clients, options.namespace);
  const metrics = createApiMetrics(() => store.list(), options.registry);
  const refresher = new WebhookRefresher(store, {
    ...(options.webhookCoalesce ?? { quietMs: 500, maxDelayMs: 5_000 }),
    ...(options.log ? { log: options.log } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
  const closing = new Promise<void>((resolve) => {
    if (options.signal?.aborted) resolve();
    options.signal?.addEventListener("abort", () => resolve(), { once: true });
  });
  const { stop: stopWebhookTargets, ...webhook } = webhookTargets({
    clients,
    resources,
    namespace: options.namespace,
    controller: options.controller,
    annotate: (keys) => refresher.add(keys),
  });
  void closing.then(() => {
    refresher.close();
    stopWebhookTargets();
  });

  const app = new OpenAPIHono({
    // zod-openapi's own validation is not used (handlers validate), but keep its errors in our shape.
    defaultHook: (result, c) =>
      result.success ? undefined : c.json(new HttpError(422, "invalid request").body(), 422),
  });

  app.use("*", async (c, next) => {
    const end = metrics.requestDuration.startTimer();
    await next();
    end({ route: routeOf(matchedRoutes(c as Context)), method: c.req.method, status: String(c.res.status) });
  });
  app.onError((error, c) => {
    const http =
      error instanceof HttpError
        ? error
        : isWebhookError(error)
          ? new HttpError(error.status, error.message)
          : new HttpError(500, errorMessage(error));
    if (http.status >= 500) options.log?.(`api: ${c.req.method} ${c.req.path}: ${http.message}`);
    return c.json(http.body(), http.status);
  });
  app.notFound((c) => c.json(new HttpError(404, `no route ${c.req.method} ${c.req.path}`).body(), 404));

  app.get("/healthz", (c) => c.text("ok"));
  // Per-app series name apps: shown to a caller with credentials only for the apps they may `get`
  // (RBAC, as the list), to an anonymous scraper only with publicAppMetrics; the rest is for all.
  app.get("/metrics", async (c) => {
    let text = await metrics.registry.metrics();
    if (options.auth && !options.publicAppMetrics) {
      const auth = await options.auth.identify(c);
      if (auth === "invalid")
        return c.json(new HttpError(401, "authentication required").body(), 401, {
          "WWW-Authenticate": 'Bearer realm="tether"',
        });
      const visible = new Set<string>();
      if (auth)
        for (const a of await store.list())
          if (auth.can("get", appRef(a))) visible.add(`${a.metadata.namespace ?? ""}/${a.metadata.name}`);
      text = withoutHiddenApps(text, (namespace, name) => visible.has(`${namespace}/${name}`));
    }
    return c.body(text, 200, { "content-type": metrics.registry.contentType });
  });
  app.post("/api/webhook", async (c) =>
    c.json(
      await handleWebhook({
        headers: c.req.header(),
        body: c.req.raw.body,
        secrets:
          typeof options.webhookSecrets === "function"
            ? options.webhookSecrets()
            : (options.webhookSecrets ?? {}),
        ...webhook,
      }),
    ),
  );

  const tooLarge = (c: Context) =>
    c.json(new HttpError(413, `request body exceeds ${MAX_BODY_BYTES} bytes`).body(), 413);
  app.use("/api/v1/*", bodyLimit({ maxSize: MAX_BODY_BYTES, onError: tooLarge }));
  if (options.auth) {
    app.use("/api/v1/*", options.auth.middleware);
    options.auth.routes(app);
  }

  const apiAuth = options.auth;
  app.get("/api/v1/stream", (c) => {
    const caller = c.get("tetherAuth");
    return applicationStream(c, {
      clients,
      resources,
      ...(options.namespace ? { namespace: options.namespace } : {}),
      heartbeatMs: options.heartbeatMs ?? 15_000,
      closing,
      // Only what the caller may `get`, exactly as the list (no auth: everything), by the rights of
      // the stream's last credential check: it ends when the credential is revoked (stream.ts).
      visible: (application, auth) => (apiAuth ? (auth?.can("get", appRef(application)) ?? false) : true),
      ...(apiAuth && caller
        ? {
            auth: {
              current: caller,
              onRevoked: (listener) => apiAuth.onRevoked(listener),
              recheckMs: options.streamRecheckMs ?? 5_000,
            },
          }
        : {}),
    });
  });
  const systemNamespace = options.systemNamespace ?? "tether-system";
  const clusters = new ClusterSource(clients, systemNamespace, {
    localServers: options.localServers ?? [],
    resources,
  });
  // Live reads for an app are limited to what its project permits (live.ts, scope.ts).
  const live = new LiveScopeSource({
    clients,
    systemNamespace,
    localServers: options.localServers ?? [],
    clusterOf: (a) => clusters.clientsFor(a.spec?.destination),
  });
  registerApplicationRoutes(app, {
    clients,
    resources,
    store,
    localServers: options.localServers ?? [],
    desired: options.desired,
    knownClusters: () => clusters.known(),
    liveOf: (a) => live.of(a),
  });
  registerClusterRoutes(app, clusters);

  documentRoutes(app);
  app.doc31(OPENAPI_PATH, OPENAPI_CONFIG);
  // Last: the UI answers only what no API route did.
  if (options.uiDir !== false) serveUi(app, options.uiDir);
  return app;
}

export interface ApiServer {
  readonly url: string;
  close(): Promise<void>;
}

/** PEM certificate (chain) and private key: the server answers HTTPS only. */
export interface TlsKeyPair {
  cert: string | Buffer;
  key: string | Buffer;
}

export async function startApiServer(
  options: ApiOptions & { port?: number; host?: string; tls?: TlsKeyPair },
): Promise<ApiServer> {
  const abort = new AbortController();
  options.signal?.addEventListener("abort", () => abort.abort(), { once: true });
  const app = createApi({ ...options, signal: abort.signal });
  const host = options.host ?? "127.0.0.1";
  const { tls } = options;
  // node:https instead of node:http when a key pair is given; everything else is the same server.
  const secure = tls
    ? { createServer: https.createServer, serverOptions: { cert: tls.cert, key: tls.key } }
    : {};
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: options.port ?? 0, hostname: host, ...secure }, () =>
      resolve(s),
    );
    s.once("error", (error: NodeJS.ErrnoException) => {
      reject(
        error.code === "EADDRINUSE"
          ? new Error(`API server: port ${options.port ?? 0} on ${host} is already in use`, { cause: error })
          : error,
      );
    });
  }).catch((error: unknown) => {
    // Also a key pair node:tls refuses (thrown while creating the server): stop what createApi started.
    abort.abort();
    throw error;
  });
  const { port } = server.address() as AddressInfo;
  const url = `${tls ? "https" : "http"}://${host.includes(":") ? `[${host}]` : host}:${port}`;
  return {
    url,
    async close() {
      abort.abort();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Event streams are long-lived: end them now rather than waiting for clients.
        if ("closeAllConnections" in server) server.closeAllConnections();
      });
    },
  };
}
