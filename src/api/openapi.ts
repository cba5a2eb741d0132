// The OpenAPI document: every route registered with its request/response schemas from ./types.
// docs/api.md is generated from it (`npm run docs:api`); unit tests check that every route the
// server registers is documented here and that docs/api.md is current.
import { OpenAPIHono, z } from "@hono/zod-openapi";
import {
  AccountListSchema,
  AccountPasswordSetSchema,
  ActionResponseSchema,
  ApiTokenListSchema,
  ApiTokenViewSchema,
  AuthConfigSchema,
  ClusterListSchema,
  CreateApiTokenRequestSchema,
  CreatedApiTokenSchema,
  LoginRequestSchema,
  LoginResponseSchema,
  PasswordChangeRequestSchema,
  SessionInfoSchema,
  ApplicationDetailSchema,
  ApplicationEventSchema,
  ApplicationListSchema,
  ApplicationWriteSchema,
  DiffResponseSchema,
  ErrorBodySchema,
  EventViewSchema,
  HistoryEntrySchema,
  DeleteResponseSchema,
  ResourceTreeSchema,
  RollbackRequestSchema,
  SyncRequestSchema,
  WebhookResponseSchema,
} from "./types.js";

type Method = "get" | "post" | "put" | "delete";
const json = (schema: z.ZodType, description = "OK") => ({
  description,
  content: { "application/json": { schema } },
});
const errors = Object.fromEntries(
  [400, 401, 403, 404, 409, 413, 422, 429].map((s) => [String(s), json(ErrorBodySchema, "Error")]),
);
const appParams = z.object({ namespace: z.string(), name: z.string() });

export function documentRoutes(app: OpenAPIHono): void {
  const add = (method: Method, path: string, summary: string, extra: Record<string, unknown>) =>
    app.openAPIRegistry.registerPath({
      method,
      path,
      summary,
      ...extra,
      responses: { ...errors, ...(extra["responses"] as object) },
    });
  const A = "/api/v1/applications/{namespace}/{name}";
  const body = (schema: z.ZodType) => ({ body: { content: { "application/json": { schema } } } });
  add("get", "/api/v1/applications", "List applications", {
    request: {
      query: z.object({
        project: z.string().optional(),
        sync: z.string().optional(),
        health: z.string().optional(),
        label: z.string().optional().openapi({ description: "key=value or key; repeatable" }),
      }),
    },
    responses: { 200: json(ApplicationListSchema) },
  });
  add(
    "post",
    "/api/v1/applications",
    "Create an application. Request annotations need the right of their action, as for an update",
    { request: body(ApplicationWriteSchema), responses: { 201: json(ApplicationDetailSchema) } },
  );
  add(
    "get",
    A,
    "Get an application. Resources its AppProject refuses keep their name but not their sync, health or diff (permitted: false)",
    { request: { params: appParams }, responses: { 200: json(ApplicationDetailSchema) } },
  );
  add(
    "put",
    A,
    "Update an application. Request annotations (tether.dev/sync, tether.dev/rollback, tether.dev/refresh) added or changed need the right of their action (sync, rollback, get); left out, a pending one is kept. Tether's own marks (tether.dev/tracking-id, tether.dev/managed, tether.dev/application-set) cannot be set or changed: 403 naming the field",
    {
      request: { params: appParams, ...body(ApplicationWriteSchema) },
      responses: { 200: json(ApplicationDetailSchema) },
    },
  );
  add(
    "delete",
    A,
    "Delete an application: 200 Deleted when it is gone, 202 Deleting while a finalizer (the cascade) holds it. cascade=false on an app already being deleted frees it; cascade=true on one being deleted without cascade is 409",
    {
      request: { params: appParams, query: z.object({ cascade: z.enum(["true", "false"]).optional() }) },
      responses: {
        200: json(DeleteResponseSchema, "Deleted: the application is gone"),
        202: json(DeleteResponseSchema, "Deleting: the cascade (or another finalizer) is still at work"),
      },
    },
  );
  add("post", `${A}/refresh`, "Refresh (re-read Git)", {
    request: { params: appParams, query: z.object({ type: z.enum(["normal", "hard"]).optional() }) },
    responses: { 202: json(ActionResponseSchema) },
  });
  add("post", `${A}/sync`, "Sync, or preview with dryRun", {
    request: { params: appParams, ...body(SyncRequestSchema) },
    responses: { 200: json(DiffResponseSchema, "dryRun: the diff"), 202: json(ActionResponseSchema) },
  });
  add("post", `${A}/rollback`, "Roll back to a history entry, or cancel", {
    request: { params: appParams, ...body(RollbackRequestSchema) },
    responses: { 202: json(ActionResponseSchema) },
  });
  add("get", `${A}/history`, "Deployment history", {
    request: { params: appParams },
    responses: { 200: json(z.object({ items: z.array(HistoryEntrySchema) })) },
  });
  add(
    "get",
    `${A}/resource-tree`,
    'Resources with their live children and health. Only objects the app\'s AppProject permits (destinations, kinds) are read; the others are listed by name with permitted: false and health.message "not permitted: …"; children only in permitted namespaces',
    { request: { params: appParams }, responses: { 200: json(ResourceTreeSchema) } },
  );
  add(
    "get",
    `${A}/diff`,
    'Per-resource differences. Objects the app\'s AppProject refuses are listed (whatever their status) with permitted: false and message "not permitted: …", never read; Secret values are masked',
    { request: { params: appParams }, responses: { 200: json(DiffResponseSchema) } },
  );
  add("get", `${A}/events`, "Kubernetes Events of the application", {
    request: { params: appParams },
    responses: { 200: json(z.object({ items: z.array(EventViewSchema) })) },
  });
  add(
    "get",
    `${A}/logs`,
    "Logs of a Pod in the application's tree (which holds only what its AppProject permits): any other pod is 403",
    {
      request: {
        params: appParams,
        query: z.object({
          pod: z.string(),
          container: z.string().optional(),
          tailLines: z.string().optional(),
        }),
      },
      responses: { 200: { description: "Log text", content: { "text/plain": { schema: z.string() } } } },
    },
  );
  add(
    "get",
    "/api/v1/clusters",
    "Clusters (in-cluster and each cluster Secret) with their connection status and server version; never credentials",
    { responses: { 200: json(ClusterListSchema) } },
  );
  add(
    "get",
    "/api/v1/stream",
    "Server-sent events: `application` (ApplicationEvent), `heartbeat`; `revoked` then the end when the credential is revoked, logged out, its password changed or expired (checked at once in this process, every 5 s otherwise)",
    {
      responses: {
        200: {
          description: "text/event-stream of ApplicationEvent",
          content: { "text/event-stream": { schema: ApplicationEventSchema } },
        },
      },
    },
  );
  add(
    "post",
    "/api/v1/session",
    "Log in with a local account (admin, or one declared in ConfigMap tether-accounts with the login capability); sets the session cookie. No credential needed. Rate-limited per replica: 429 + Retry-After",
    { request: body(LoginRequestSchema), responses: { 200: json(LoginResponseSchema) } },
  );
  add("get", "/api/v1/session", "The caller (and the CSRF token of a session)", {
    responses: { 200: json(SessionInfoSchema) },
  });
  add(
    "delete",
    "/api/v1/session",
    "Log out: revokes the session on every replica (Secret tether-sessions) and clears the cookie; ?everywhere=true ends every session of the caller issued until now",
    {
      request: { query: z.object({ everywhere: z.enum(["true", "false"]).optional() }) },
      responses: { 200: json(z.object({ loggedOut: z.string() })) },
    },
  );
  add("get", "/api/v1/auth/config", "Which logins to offer (local, SSO). No credential needed", {
    responses: { 200: json(AuthConfigSchema) },
  });
  add(
    "get",
    "/api/v1/auth/oidc/login",
    "Start an SSO login: 303 to the OIDC provider, sets the sealed login-state cookie (10 min). No credential needed",
    {
      request: {
        query: z.object({
          return: z
            .string()
            .optional()
            .openapi({ description: "path on this server to land on after login" }),
        }),
      },
      responses: {
        303: { description: "Redirect to the provider" },
        502: json(ErrorBodySchema, "Provider unreachable"),
      },
    },
  );
  add(
    "get",
    "/api/v1/auth/oidc/callback",
    "The provider's redirect back: code exchange, ID token checks (issuer, audience, nonce, expiry), then the session cookie and 303 to the starting page. No credential needed",
    {
      request: {
        query: z.object({
          code: z.string().optional(),
          state: z.string().optional(),
          error: z.string().optional(),
        }),
      },
      responses: {
        303: { description: "Logged in: session cookie set" },
        502: json(ErrorBodySchema, "Provider unreachable"),
      },
    },
  );
  add(
    "put",
    "/api/v1/account/password",
    "Change your own local account's password (current one required; rate-limited like the login). Your earlier sessions stop working on every replica; returns a new session",
    { request: body(PasswordChangeRequestSchema), responses: { 200: json(LoginResponseSchema) } },
  );
  add(
    "get",
    "/api/v1/accounts",
    "Local accounts (name, enabled, capabilities, whether a password is set): all for the admin role, else your own",
    { responses: { 200: json(AccountListSchema) } },
  );
  add(
    "put",
    "/api/v1/accounts/{name}/password",
    "Set another account's password (admin role; your own: PUT /api/v1/account/password). currentPassword is the CALLER's own (rate-limited like the login). The account's earlier sessions stop working on every replica",
    {
      request: { params: z.object({ name: z.string() }), ...body(PasswordChangeRequestSchema) },
      responses: { 200: json(AccountPasswordSetSchema) },
    },
  );
  add(
    "post",
    "/api/v1/tokens",
    "Create an API token (from a login session). The token is in this response only",
    { request: body(CreateApiTokenRequestSchema), responses: { 201: json(CreatedApiTokenSchema) } },
  );
  add(
    "get",
    "/api/v1/tokens",
    "List API tokens: your own; all (or ?owner=) for the admin role. Never the secret",
    {
      request: { query: z.object({ owner: z.string().optional() }) },
      responses: { 200: json(ApiTokenListSchema) },
    },
  );
  add(
    "delete",
    "/api/v1/tokens/{id}",
    "Revoke an API token (yours; any for the admin role). Refused from the next request on",
    { request: { params: z.object({ id: z.string() }) }, responses: { 200: json(ApiTokenViewSchema) } },
  );
  add("post", "/api/webhook", "Git forge push webhook (GitHub, GitLab, Gitea/Forgejo, Bitbucket)", {
    responses: { 200: json(WebhookResponseSchema) },
  });
  add(
    "get",
    "/metrics",
    "Prometheus metrics. No credential needed; per-app series (labels namespace and name) only for the apps the caller's credentials (bearer token or session) may get, none for an anonymous scraper unless the server runs with publicAppMetrics; bad credentials 401",
    { responses: { 200: { description: "text exposition format" } } },
  );
  add("get", "/healthz", "Liveness", { responses: { 200: { description: "ok" } } });
}

export const OPENAPI_PATH = "/api/openapi.json";
export const OPENAPI_CONFIG = {
  openapi: "3.1.0",
  info: {
    title: "Tether API",
    version: "v1",
    description: "GitOps controller API (applications, actions, webhooks, authentication).",
  },
};

/** The document served at OPENAPI_PATH, built without a server (for docs/api.md and tests). */
export function openApiDocument(): ReturnType<OpenAPIHono["getOpenAPI31Document"]> {
  const app = new OpenAPIHono();
  documentRoutes(app);
  return app.getOpenAPI31Document(OPENAPI_CONFIG);
}
