// Raw JSON requests to the apiserver. client-node's generic object API serializes known kinds
// through its typed models, which silently drops any field the model does not know (newer API
// fields) or spells differently (`x-kubernetes-preserve-unknown-fields`). A GitOps tool must send
// manifests and read live objects exactly, so the generic paths go through here instead.
import type { KubeConfig } from "./connection.js";
import http from "node:http";
import https from "node:https";
import { isSecretRequest, redactMessage, redactStatusBody, sensitiveValues } from "../lib/redact.js";

export class KubeApiError extends Error {
  override readonly name = "KubeApiError";
  constructor(
    readonly statusCode: number,
    message: string,
    readonly body: string,
  ) {
    super(message);
  }
  /** Same shape as client-node's errors, so `errorStatus()` reads both. */
  get code(): number {
    return this.statusCode;
  }
}

export interface RawRequest {
  readonly method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  readonly path: string;
  readonly query?: Record<string, string | number | boolean | undefined>;
  readonly body?: unknown;
  readonly contentType?: string;
  readonly timeoutMs?: number;
  /** The answer is text (`/readyz`), returned as is. */
  readonly text?: boolean;
  /**
   * The body is SOPS-decrypted content: errors lose every value, as for a Secret (which is
   * recognized without this, by its path or its body).
   */
  readonly sensitive?: boolean;
}

/**
 * How an error about this request is told: the apiserver's message, or for a Secret or decrypted
 * content the message and body without any value (src/lib/redact.ts). Every error of every request
 * passes here, so no caller can forget it.
 */
function apiError(req: RawRequest, status: number, text: string): KubeApiError {
  let message = text.slice(0, 2000);
  try {
    message = (JSON.parse(text) as { message?: string }).message ?? message;
  } catch {
    // not a Status object: keep the text
  }
  if (!req.sensitive && !isSecretRequest(req.path, req.body)) {
    return new KubeApiError(status, `${req.method} ${req.path}: ${status} ${message}`, text);
  }
  const values = sensitiveValues(req.body, req.sensitive);
  return new KubeApiError(
    status,
    `${req.method} ${req.path}: ${status} ${redactMessage(message, values)}`,
    redactStatusBody(text, values),
  );
}

export class RawClient {
  private readonly server: URL;

  constructor(private readonly config: KubeConfig) {
    const cluster = config.getCurrentCluster();
    if (!cluster) throw new Error("the kubeconfig has no current cluster");
    this.server = new URL(cluster.server);
  }

  async request<T = unknown>(req: RawRequest): Promise<T> {
    const url = new URL(this.server.pathname.replace(/\/$/, "") + req.path, this.server);
    for (const [key, value] of Object.entries(req.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const payload = req.body === undefined ? undefined : Buffer.from(JSON.stringify(req.body));
    const options: https.RequestOptions = {
      method: req.method,
      headers: {
        accept: req.text ? "text/plain, application/json" : "application/json",
        ...(payload
          ? { "content-type": req.contentType ?? "application/json", "content-length": payload.length }
          : {}),
      },
    };
    await this.config.applyToHTTPSOptions(options);
    const transport = url.protocol === "https:" ? https : http;
    return new Promise<T>((resolve, reject) => {
      const request = transport.request(url, options, (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("error", reject);
        response.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          const status = response.statusCode ?? 0;
          if (status >= 200 && status < 300) {
            if (req.text) return resolve(text as T);
            try {
              resolve((text ? JSON.parse(text) : undefined) as T);
            } catch {
              // Not the parser's message: it quotes the text it choked on (a Secret's data).
              reject(new Error(`${req.method} ${req.path}: the answer is not JSON`));
            }
            return;
          }
          reject(apiError(req, status, text));
        });
      });
      request.setTimeout(req.timeoutMs ?? 60_000, () =>
        request.destroy(new Error(`${req.method} ${req.path} timed out`)),
      );
      request.on("error", reject);
      request.end(payload);
    });
  }
}
