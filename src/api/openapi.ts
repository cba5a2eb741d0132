// The OpenAPI document: every route registered with its request/response schemas from ./types.
import type { OpenAPIHono } from "@hono/zod-openapi";
import { z } from "@hono/zod-openapi";
import {
  ActionResponseSchema,
  ApplicationDetailSchema,
  ApplicationEventSchema,
  ApplicationListSchema,
  ApplicationWriteSchema,
  DiffResponseSchema,
  ErrorBodySchema,
  EventViewSchema,
  HistoryEntrySchema,
  ResourceTreeSchema,
  RollbackRequestSchema,
  SyncRequestSchema,
  WebhookResponseSchema,
} from "./types.js";

type Method = "get" | "post" | "put" | "delete";
const json = (schema: z.ZodType, description = "OK") => ({ description, content: { "application/json": { schema } } }); // prettier-ignore
const errors = Object.fromEntries(
  [400, 401, 403, 404, 409, 413, 422, 429].map((s) => [String(s), json(ErrorBodySchema, "Error")]),
);
const appParams = z.object({ namespace: z.string(), name: z.string() });

export function documentRoutes(app: OpenAPIHono): void {
  const add = (method: Method, path: string, summary: string, extra: Record<string, unknown>) =>
    app.openAPIRegistry.registerPath({ method, path, summary, ...extra, responses: { ...errors, ...(extra["responses"] as object) } }); // prettier-ignore
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
  add("post", "/api/v1/applications", "Create an application", { request: body(ApplicationWriteSchema), responses: { 201: json(ApplicationDetailSchema) } }); // prettier-ignore
  add("get", A, "Get an application", { request: { params: appParams }, responses: { 200: json(ApplicationDetailSchema) } }); // prettier-ignore
  add("put", A, "Update an application", { request: { params: appParams, ...body(ApplicationWriteSchema) }, responses: { 200: json(ApplicationDetailSchema) } }); // prettier-ignore
  add("delete", A, "Delete an application", { request: { params: appParams, query: z.object({ cascade: z.enum(["true", "false"]).optional() }) }, responses: { 202: { description: "Deletion requested" } } }); // prettier-ignore
  add("post", `${A}/refresh`, "Refresh (re-read Git)", { request: { params: appParams, query: z.object({ type: z.enum(["normal", "hard"]).optional() }) }, responses: { 202: json(ActionResponseSchema) } }); // prettier-ignore
  add("post", `${A}/sync`, "Sync, or preview with dryRun", { request: { params: appParams, ...body(SyncRequestSchema) }, responses: { 200: json(DiffResponseSchema, "dryRun: the diff"), 202: json(ActionResponseSchema) } }); // prettier-ignore
  add("post", `${A}/rollback`, "Roll back to a history entry, or cancel", { request: { params: appParams, ...body(RollbackRequestSchema) }, responses: { 202: json(ActionResponseSchema) } }); // prettier-ignore
  add("get", `${A}/history`, "Deployment history", { request: { params: appParams }, responses: { 200: json(z.object({ items: z.array(HistoryEntrySchema) })) } }); // prettier-ignore
  add("get", `${A}/resource-tree`, "Resources with their live children and health", { request: { params: appParams }, responses: { 200: json(ResourceTreeSchema) } }); // prettier-ignore
  add("get", `${A}/diff`, "Per-resource differences", { request: { params: appParams }, responses: { 200: json(DiffResponseSchema) } }); // prettier-ignore
  add("get", `${A}/events`, "Kubernetes Events of the application", { request: { params: appParams }, responses: { 200: json(z.object({ items: z.array(EventViewSchema) })) } }); // prettier-ignore
  add("get", `${A}/logs`, "Logs of a Pod in the application's tree", { request: { params: appParams, query: z.object({ pod: z.string(), container: z.string().optional(), tailLines: z.string().optional() }) }, responses: { 200: { description: "Log text", content: { "text/plain": { schema: z.string() } } } } }); // prettier-ignore
  add("get", "/api/v1/stream", "Server-sent events: `application` (ApplicationEvent), `heartbeat`", { responses: { 200: { description: "text/event-stream of ApplicationEvent", content: { "text/event-stream": { schema: ApplicationEventSchema } } } } }); // prettier-ignore
  const session = z.object({
    user: z.string(),
    token: z.string(),
    csrfToken: z.string(),
    expiresAt: z.string(),
  });
  add("post", "/api/v1/session", "Log in (local admin); sets the session cookie. Rate-limited: 429 + Retry-After", { request: body(z.object({ username: z.string(), password: z.string() })), responses: { 200: json(session) } }); // prettier-ignore
  add("get", "/api/v1/session", "The caller (and the CSRF token of a session)", { responses: { 200: json(z.object({ user: z.string(), groups: z.array(z.string()), via: z.string(), csrfToken: z.string().optional(), expiresAt: z.string().optional() })) } }); // prettier-ignore
  add("delete", "/api/v1/session", "Log out: revokes the session and clears the cookie", { responses: { 200: json(z.object({ loggedOut: z.string() })) } }); // prettier-ignore
  add("post", "/api/webhook", "Git forge push webhook (GitHub, GitLab, Gitea/Forgejo, Bitbucket)", { responses: { 200: json(WebhookResponseSchema) } }); // prettier-ignore
  add("get", "/metrics", "Prometheus metrics", { responses: { 200: { description: "text exposition format" } } }); // prettier-ignore
  add("get", "/healthz", "Liveness", { responses: { 200: { description: "ok" } } });
}
