// The API's request and response shapes, as zod schemas with their inferred TypeScript types. One
// definition serves the server (validation, OpenAPI document), the CLI and the UI. Application
// spec/status fields follow src/model/application.ts; the schemas here describe the API's views.
import { z } from "@hono/zod-openapi";

const SyncStatusCode = z.enum(["Synced", "OutOfSync", "Unknown"]);
const HealthStatusCode = z.enum(["Healthy", "Progressing", "Degraded", "Missing", "Suspended", "Unknown"]);

export const HealthStatusSchema = z
  .object({ status: HealthStatusCode, message: z.string().optional() })
  .openapi("HealthStatus");

export const ErrorBodySchema = z
  .object({
    error: z.object({
      /** Stable, machine-readable: `invalid`, `not_found`, `conflict`, `too_large`, `forbidden`… */
      code: z.string(),
      message: z.string(),
      /** The request field at fault (e.g. `spec.source.repoURL`), when one is. */
      field: z.string().optional(),
    }),
  })
  .openapi("ErrorBody");
export type ErrorBody = z.infer<typeof ErrorBodySchema>;

export const ApplicationSummarySchema = z
  .object({
    name: z.string(),
    namespace: z.string(),
    project: z.string(),
    repoURL: z.string(),
    path: z.string().optional(),
    targetRevision: z.string().optional(),
    sync: SyncStatusCode,
    health: HealthStatusCode,
    /** The commit last compared (status.sync.revision). */
    revision: z.string().optional(),
    reconciledAt: z.string().optional(),
    labels: z.record(z.string(), z.string()).optional(),
    /** Where it deploys (spec.destination): the UI's cluster and namespace filters. */
    destination: z
      .object({
        server: z.string().optional(),
        name: z.string().optional(),
        namespace: z.string().optional(),
      })
      .optional(),
  })
  .openapi("ApplicationSummary");
export type ApplicationSummary = z.infer<typeof ApplicationSummarySchema>;

export const ApplicationListSchema = z
  .object({ items: z.array(ApplicationSummarySchema) })
  .openapi("ApplicationList");
export type ApplicationList = z.infer<typeof ApplicationListSchema>;

export const ResourceStatusSchema = z
  .object({
    group: z.string(),
    version: z.string().optional(),
    kind: z.string(),
    namespace: z.string().optional(),
    name: z.string(),
    status: SyncStatusCode,
    health: HealthStatusSchema.optional(),
    message: z.string().optional(),
    diff: z.array(z.string()).optional(),
    /** false: the app's project refuses this object; its sync, health and diff are withheld (message says why). */
    permitted: z.literal(false).optional(),
  })
  .openapi("ResourceStatus");

export const HistoryEntrySchema = z
  .object({
    id: z.number(),
    revision: z.string(),
    author: z.string().optional(),
    date: z.string().optional(),
    message: z.string().optional(),
    deployedAt: z.string(),
    result: z.enum(["Succeeded", "Failed"]),
    initiatedBy: z.enum(["auto", "manual"]),
  })
  .openapi("HistoryEntry");
export type HistoryEntryView = z.infer<typeof HistoryEntrySchema>;

export const ConditionSchema = z
  .object({
    type: z.string(),
    status: z.enum(["True", "False", "Unknown"]),
    reason: z.string(),
    message: z.string(),
    lastTransitionTime: z.string(),
  })
  .openapi("Condition");

/** One rendered object breaking one policy rule (status.policyViolations; docs/policy.md). */
export const PolicyViolationSchema = z
  .object({
    ref: z.object({
      group: z.string(),
      version: z.string().optional(),
      kind: z.string(),
      namespace: z.string().optional(),
      name: z.string(),
    }),
    rule: z.string(),
    message: z.string(),
    /** The project's enforcement when found: `deny` blocked the sync, `warn` and `audit` did not. */
    enforcement: z.enum(["deny", "warn", "audit"]),
  })
  .openapi("PolicyViolation");
export type PolicyViolationView = z.infer<typeof PolicyViolationSchema>;

/** Loose on purpose: the CRD schema and validateApplication are the authority on spec contents. */
const SpecSchema = z.record(z.string(), z.unknown()).openapi("ApplicationSpec");

export const ApplicationDetailSchema = ApplicationSummarySchema.extend({
  uid: z.string().optional(),
  resourceVersion: z.string().optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  spec: SpecSchema,
  conditions: z.array(ConditionSchema),
  resources: z.array(ResourceStatusSchema),
  history: z.array(HistoryEntrySchema),
  operationState: z.record(z.string(), z.unknown()).optional(),
  healthMessage: z.string().optional(),
  /** The controller replica that holds the app (status.controller.replica), when sharding is on. */
  replica: z.string().optional(),
  /** What the policy gate found in the last render, per object and rule; always sent by this server (optional for older ones). */
  policyViolations: z.array(PolicyViolationSchema).optional(),
}).openapi("ApplicationDetail");
export type ApplicationDetail = z.infer<typeof ApplicationDetailSchema>;

/** Body of create (POST) and update (PUT). Update may carry metadata.resourceVersion for optimistic concurrency. */
export const ApplicationWriteSchema = z
  .object({
    metadata: z.object({
      name: z.string().min(1),
      namespace: z.string().min(1).optional(),
      labels: z.record(z.string(), z.string()).optional(),
      annotations: z.record(z.string(), z.string()).optional(),
      resourceVersion: z.string().optional(),
    }),
    // Loose: every Application field reaches the apiserver, whose CRD schema is the authority; the
    // fields named here are the ones the API checks itself and documents.
    spec: z.looseObject({
      project: z.string().optional(),
      source: z.looseObject({
        repoURL: z.string().min(1),
        targetRevision: z.string().optional(),
        path: z.string().optional(),
        chart: z.string().optional(),
      }),
      destination: z.looseObject({
        server: z.string().optional(),
        name: z.string().optional(),
        namespace: z.string().optional(),
      }),
      syncPolicy: z.record(z.string(), z.unknown()).optional(),
      ignoreDifferences: z.array(z.record(z.string(), z.unknown())).optional(),
      dependsOn: z.array(z.object({ name: z.string().min(1), namespace: z.string().optional() })).optional(),
      decryption: z
        .object({ provider: z.string(), secretRef: z.object({ name: z.string().min(1) }) })
        .optional(),
    }),
  })
  .openapi("ApplicationWrite");
export type ApplicationWrite = z.infer<typeof ApplicationWriteSchema>;

export const ResourceSelectorSchema = z
  .object({
    group: z.string(),
    kind: z.string().min(1),
    namespace: z.string().optional(),
    name: z.string().min(1),
  })
  .openapi("ResourceSelector");

export const SyncRequestSchema = z
  .object({
    prune: z.boolean().optional(),
    dryRun: z.boolean().optional(),
    resources: z.array(ResourceSelectorSchema).optional(),
  })
  .openapi("SyncRequest");
export type SyncRequest = z.infer<typeof SyncRequestSchema>;

export const RollbackRequestSchema = z
  .object({ id: z.union([z.number().int().nonnegative(), z.literal("cancel")]) })
  .openapi("RollbackRequest");
export type RollbackRequest = z.infer<typeof RollbackRequestSchema>;

/** What an action request (refresh/sync/rollback) recorded on the Application. */
export const ActionResponseSchema = z
  .object({ application: z.string(), annotation: z.string(), value: z.string() })
  .openapi("ActionResponse");
export type ActionResponse = z.infer<typeof ActionResponseSchema>;

/** DELETE of an application: `Deleted` (gone, 200) or `Deleting` (a finalizer is at work, 202). */
export const DeleteResponseSchema = z
  .object({ deleted: z.string(), cascade: z.boolean(), state: z.enum(["Deleted", "Deleting"]) })
  .openapi("DeleteResponse");
export type DeleteResponse = z.infer<typeof DeleteResponseSchema>;

export const ResourceDiffSchema = z
  .object({
    group: z.string(),
    kind: z.string(),
    namespace: z.string().optional(),
    name: z.string(),
    status: SyncStatusCode,
    /** JSON pointers of the fields that differ, as the controller last computed them. */
    fields: z.array(z.string()),
    /** The live object, normalized (server-managed metadata and status removed, Secret values redacted). */
    liveYaml: z.string().optional(),
    /** What a sync would make the object (the controller's last dry-run), normalized the same way. */
    desiredYaml: z.string().optional(),
    message: z.string().optional(),
    /** false: the app's project refuses this object: named only, never read (message says why). */
    permitted: z.literal(false).optional(),
  })
  .openapi("ResourceDiff");
export type ResourceDiff = z.infer<typeof ResourceDiffSchema>;

export const DiffResponseSchema = z
  .object({ revision: z.string().optional(), resources: z.array(ResourceDiffSchema), note: z.string() })
  .openapi("DiffResponse");
export type DiffResponse = z.infer<typeof DiffResponseSchema>;

export interface ResourceNode {
  group: string;
  version: string;
  kind: string;
  namespace?: string;
  name: string;
  uid?: string;
  health: { status: z.infer<typeof HealthStatusCode>; message?: string };
  /** Sync status for resources the app manages; undefined for children found live. */
  sync?: z.infer<typeof SyncStatusCode>;
  /** false: the app's project refuses this object, so it is named only, never read (health.message says why). */
  permitted?: false;
  children: ResourceNode[];
}
export const ResourceNodeSchema: z.ZodType<ResourceNode> = z
  .lazy(() =>
    z.object({
      group: z.string(),
      version: z.string(),
      kind: z.string(),
      namespace: z.string().optional(),
      name: z.string(),
      uid: z.string().optional(),
      health: HealthStatusSchema,
      sync: SyncStatusCode.optional(),
      permitted: z.literal(false).optional(),
      children: z.array(ResourceNodeSchema),
    }),
  )
  .openapi("ResourceNode");

export const ResourceTreeSchema = z.object({ nodes: z.array(ResourceNodeSchema) }).openapi("ResourceTree");
export type ResourceTree = z.infer<typeof ResourceTreeSchema>;

export const EventViewSchema = z
  .object({
    type: z.string(),
    reason: z.string(),
    message: z.string(),
    count: z.number().optional(),
    firstTimestamp: z.string().optional(),
    lastTimestamp: z.string().optional(),
  })
  .openapi("Event");
export type EventView = z.infer<typeof EventViewSchema>;

export const WebhookResponseSchema = z
  .object({
    provider: z.string().optional(),
    ignored: z.string().optional(),
    refreshed: z.array(z.object({ key: z.string(), reason: z.string() })),
  })
  .openapi("WebhookResponse");
export type WebhookResponse = z.infer<typeof WebhookResponseSchema>;

/** One server-sent event on /api/v1/stream (`event: application`). */
export const ApplicationEventSchema = z
  .object({ type: z.enum(["ADDED", "MODIFIED", "DELETED"]), application: ApplicationSummarySchema })
  .openapi("ApplicationEvent");
export type ApplicationEvent = z.infer<typeof ApplicationEventSchema>;

// ---- authentication ------------------------------------------------------------------------------

/** GET /api/v1/auth/config (no credential needed): which logins the UI should offer. */
export const AuthConfigSchema = z
  .object({
    local: z.boolean(),
    oidc: z.object({ enabled: z.boolean(), name: z.string(), loginUrl: z.string() }),
  })
  .openapi("AuthConfig");
export type AuthConfig = z.infer<typeof AuthConfigSchema>;

export const LoginRequestSchema = z
  .object({ username: z.string(), password: z.string() })
  .openapi("LoginRequest");
export type LoginRequest = z.infer<typeof LoginRequestSchema>;

/** A new session: the bearer token for the CLI, the CSRF token for the UI (the cookie is set too). */
export const LoginResponseSchema = z
  .object({ user: z.string(), token: z.string(), csrfToken: z.string(), expiresAt: z.string() })
  .openapi("LoginResponse");
export type LoginResponse = z.infer<typeof LoginResponseSchema>;

export const SessionInfoSchema = z
  .object({
    user: z.string(),
    groups: z.array(z.string()),
    via: z.enum(["api-token", "session-bearer", "session-cookie"]),
    csrfToken: z.string().optional(),
    expiresAt: z.string().optional(),
  })
  .openapi("SessionInfo");
export type SessionInfo = z.infer<typeof SessionInfoSchema>;

export const PasswordChangeRequestSchema = z
  .object({ currentPassword: z.string(), newPassword: z.string() })
  .openapi("PasswordChangeRequest");
export type PasswordChangeRequest = z.infer<typeof PasswordChangeRequestSchema>;

/** A local account (ConfigMap tether-accounts; admin is always there unless disabled). */
export const AccountViewSchema = z
  .object({
    name: z.string(),
    enabled: z.boolean(),
    capabilities: z.array(z.enum(["login", "apiKey"])),
    passwordSet: z.boolean(),
    /** Why a bad entry in ConfigMap tether-accounts left the account disabled. */
    problem: z.string().optional(),
  })
  .openapi("Account");
export type AccountView = z.infer<typeof AccountViewSchema>;

export const AccountListSchema = z.object({ items: z.array(AccountViewSchema) }).openapi("AccountList");
export type AccountList = z.infer<typeof AccountListSchema>;

/** Another account's password set by an admin: when it changed (its older sessions end then). */
export const AccountPasswordSetSchema = z
  .object({ name: z.string(), passwordMtime: z.string() })
  .openapi("AccountPasswordSet");
export type AccountPasswordSet = z.infer<typeof AccountPasswordSetSchema>;

/** An API token as listed: never its secret nor the secret's hash. Times are ISO 8601. */
export const ApiTokenViewSchema = z
  .object({
    id: z.string(),
    owner: z.string(),
    groups: z.array(z.string()),
    roles: z.array(z.string()),
    description: z.string(),
    createdAt: z.string(),
    expiresAt: z.string().optional(),
    revokedAt: z.string().optional(),
  })
  .openapi("ApiToken");
export type ApiTokenView = z.infer<typeof ApiTokenViewSchema>;

export const ApiTokenListSchema = z.object({ items: z.array(ApiTokenViewSchema) }).openapi("ApiTokenList");
export type ApiTokenList = z.infer<typeof ApiTokenListSchema>;

export const CreateApiTokenRequestSchema = z
  .object({
    description: z.string().max(256).optional(),
    /** Subset of the caller's roles; all of them when omitted. */
    roles: z.array(z.string()).optional(),
    /** Lifetime; no expiry when omitted. */
    ttlSeconds: z
      .number()
      .int()
      .positive()
      .max(10 * 365 * 24 * 3600)
      .optional(),
    /** Admins only: create the token for another user (e.g. a CI robot). */
    owner: z.string().min(1).max(256).optional(),
  })
  .openapi("CreateApiTokenRequest");
export type CreateApiTokenRequest = z.infer<typeof CreateApiTokenRequestSchema>;

/** The token itself is returned only here, once. */
export const CreatedApiTokenSchema = ApiTokenViewSchema.extend({ token: z.string() }).openapi(
  "CreatedApiToken",
);
export type CreatedApiToken = z.infer<typeof CreatedApiTokenSchema>;

// ── Clusters (GET /api/v1/clusters) ─────────────────────────────────────────────────────────────
export const ClusterViewSchema = z
  .object({
    /** destination.name of the cluster (`in-cluster` for the one Tether runs in). */
    name: z.string(),
    /** destination.server of the cluster. */
    server: z.string(),
    /** The last connection check (/version + /readyz with the cluster's credentials). */
    status: z.enum(["Successful", "Failed", "Unknown"]),
    message: z.string().optional(),
    /** The API server's gitVersion, e.g. v1.33.1. */
    serverVersion: z.string().optional(),
    /** When the status was last checked (ISO time). */
    checkedAt: z.string().optional(),
    labels: z.record(z.string(), z.string()).optional(),
    /** `namespace/name` of the cluster Secret (absent for in-cluster). Never its credentials. */
    secret: z.string().optional(),
  })
  .openapi("ClusterView");
export type ClusterView = z.infer<typeof ClusterViewSchema>;

export const ClusterListSchema = z.object({ items: z.array(ClusterViewSchema) }).openapi("ClusterList");
export type ClusterList = z.infer<typeof ClusterListSchema>;
