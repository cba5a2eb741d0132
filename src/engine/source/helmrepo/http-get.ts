// One bounded HTTP GET for the Helm repository source: the body is read as a stream and the read
// is aborted as soon as it passes `maxBytes` (a Content-Length over the limit is refused before any
// body is read), so a huge or endless index or archive costs at most the limit. Every failure is a
// SourceError naming the URL, with credentials redacted.
import { SourceError } from "../../errors.js";
import { errorMessage } from "../../../lib/errormessage.js";
import { redactUrl } from "../gitcli.js";

export type Fetcher = typeof fetch;

export type GetResult =
  | { readonly status: "not-modified" }
  | { readonly status: "ok"; readonly body: Buffer; readonly etag?: string; readonly lastModified?: string };

export interface GetOptions {
  readonly maxBytes: number;
  readonly timeoutMs: number;
  /** What is fetched, for messages: `index.yaml of Helm repository "…"`. */
  readonly what: string;
  readonly etag?: string;
  readonly lastModified?: string;
  readonly fetcher?: Fetcher;
}

function failureReason(status: number) {
  if (status === 401 || status === 403) return "AuthenticationFailed" as const;
  if (status === 404 || status === 410) return "RepositoryNotFound" as const;
  return "RepositoryUnreachable" as const;
}

/**
 * The URL without user and password. Repository credentials come from Secrets (a later slice of
 * issue 20), never from a URL: as for Git, a password written into repoURL is dropped, not sent —
 * and fetch() would otherwise refuse such a URL with a message that quotes it, password included.
 */
function withoutUserInfo(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = "";
    parsed.password = "";
    return parsed.toString();
  } catch {
    return url; // fetch reports the malformed URL; every message below is redacted anyway
  }
}

export async function boundedGet(rawUrl: string, options: GetOptions): Promise<GetResult> {
  const url = withoutUserInfo(rawUrl);
  const shown = redactUrl(url);
  const headers: Record<string, string> = {};
  if (options.etag) headers["if-none-match"] = options.etag;
  if (options.lastModified) headers["if-modified-since"] = options.lastModified;
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new Error(`timed out after ${options.timeoutMs} ms`)),
    options.timeoutMs,
  );
  try {
    let response: Response;
    try {
      response = await (options.fetcher ?? fetch)(url, {
        headers,
        signal: controller.signal,
        redirect: "follow",
      });
    } catch (error) {
      // undici says only "fetch failed"; the cause says why (refused, DNS, TLS).
      const cause = (error as { cause?: unknown }).cause;
      const why =
        cause === undefined ? errorMessage(error) : `${errorMessage(error)}: ${errorMessage(cause)}`;
      throw new SourceError("RepositoryUnreachable", `${options.what}: GET ${shown}: ${why}`);
    }
    if (response.status === 304) {
      await response.body?.cancel();
      return { status: "not-modified" };
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new SourceError(
        failureReason(response.status),
        `${options.what}: GET ${shown} answered ${response.status} ${response.statusText}`.trim(),
      );
    }
    const tooLarge = () =>
      new SourceError(
        "LimitExceeded",
        `${options.what}: ${shown} is larger than the limit of ${options.maxBytes} bytes; nothing was read past it`,
      );
    const declared = Number(response.headers.get("content-length") ?? NaN);
    if (Number.isFinite(declared) && declared > options.maxBytes) {
      await response.body?.cancel();
      throw tooLarge();
    }
    const chunks: Buffer[] = [];
    let size = 0;
    if (response.body) {
      const reader = response.body.getReader();
      for (;;) {
        let next: Awaited<ReturnType<typeof reader.read>>;
        try {
          next = await reader.read();
        } catch (error) {
          throw new SourceError(
            "RepositoryUnreachable",
            `${options.what}: reading ${shown}: ${redactUrl(errorMessage(error))}`,
          );
        }
        if (next.done) break;
        const chunk = next.value as Uint8Array;
        size += chunk.byteLength;
        if (size > options.maxBytes) {
          await reader.cancel().catch(() => undefined);
          throw tooLarge();
        }
        chunks.push(Buffer.from(chunk));
      }
    }
    return {
      status: "ok",
      body: Buffer.concat(chunks, size),
      etag: response.headers.get("etag") ?? undefined,
      lastModified: response.headers.get("last-modified") ?? undefined,
    };
  } finally {
    clearTimeout(timer);
  }
}
