// Forge webhooks → Applications to refresh. verifyWebhook (provider + signature), then
// parsePushEvent (what moved), then appsToRefresh (who follows it), with RefreshCoalescer to merge
// bursts. Pure functions; the HTTP server that feeds them lives elsewhere.
export type { AppRefresh } from "./match.js";
export { appKey, appsToRefresh, revisionMatch, watchedPaths } from "./match.js";
export type { CoalescerOptions } from "./coalesce.js";
export { pushKey, RefreshCoalescer } from "./coalesce.js";
export { isWebhookError, WebhookError } from "./errors.js";
export type { WebhookErrorStatus } from "./errors.js";
export { parsePushEvent } from "./parse.js";
export type {
  ParsedWebhook,
  PushEvent,
  VerifiedWebhook,
  WebhookHeaders,
  WebhookProvider,
  WebhookSecrets,
} from "./types.js";
export { ZERO_SHA } from "./types.js";
export type { VerifyWebhookInput } from "./verify.js";
export { MAX_WEBHOOK_BODY_BYTES, verifyWebhook } from "./verify.js";
export type { WebhookSecretsReading } from "./secretdata.js";
export { WEBHOOK_PROVIDERS, webhookSecretsFromData } from "./secretdata.js";
