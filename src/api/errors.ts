// The one error the API's handlers throw: an HTTP status plus the ErrorBody it becomes. Kubernetes
// failures are translated once here, keeping the apiserver's own message (it names the field).
import { kubeErrorMessage, errorStatus } from "../kube/client.js";
import type { ErrorBody } from "./types.js";

export type ApiErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 422 | 429 | 500 | 502;

const CODES: Record<ApiErrorStatus, string> = {
  400: "bad_request",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  409: "conflict",
  413: "too_large",
  422: "invalid",
  429: "too_many_requests",
  500: "internal",
  502: "cluster_error",
};

export class HttpError extends Error {
  override readonly name = "HttpError";
  constructor(
    readonly status: ApiErrorStatus,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
  body(): ErrorBody {
    return {
      error: {
        code: CODES[this.status],
        message: this.message,
        ...(this.field ? { field: this.field } : {}),
      },
    };
  }
}

/** An apiserver failure as the API's answer: 404/409/422 keep their meaning, the rest is 502. */
export function fromKube(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  const status = errorStatus(error);
  const message = kubeErrorMessage(error);
  if (status === 404 || status === 409 || status === 422 || status === 400 || status === 403) {
    return new HttpError(status, message, status === 422 ? fieldOf(message) : undefined);
  }
  return new HttpError(502, message);
}

/** The first field path the apiserver's invalid-object message names (`spec.source.repoURL: Required value`). */
export function fieldOf(message: string): string | undefined {
  return /(?:^|[\s:[])((?:metadata|spec)(?:\.[A-Za-z0-9_[\]]+)+)/.exec(message)?.[1];
}
