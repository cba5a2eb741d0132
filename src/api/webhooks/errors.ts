// The one error webhook handling throws. `status` is the HTTP answer the server shell gives; the
// message names the header or payload field at fault and never contains a secret or signature.

export type WebhookErrorStatus = 400 | 401 | 413;

export class WebhookError extends Error {
  override readonly name = "WebhookError";
  constructor(
    readonly status: WebhookErrorStatus,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isWebhookError(error: unknown): error is WebhookError {
  return error instanceof WebhookError;
}
