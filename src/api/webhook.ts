// POST /api/webhook glue: read the body under the 1 MiB cap (stop reading past it), verify, parse,
// match against the current apps, and ask exactly those apps to refresh (the refresh annotation),
// coalescing bursts with RefreshCoalescer. The decisions themselves live in ./webhooks (pure).
import type { WebhookHeaders, WebhookSecrets } from "./webhooks/index.js";
import {
  MAX_WEBHOOK_BODY_BYTES,
  RefreshCoalescer,
  WebhookError,
  appsToRefresh,
  parsePushEvent,
  verifyWebhook,
} from "./webhooks/index.js";
import { mapLimit } from "../engine/concurrency.js";
import { REFRESH_ANNOTATION } from "../model/contract.js";
import type { Application } from "../model/application.js";
import type { ApplicationStore } from "./store.js";
import type { WebhookResponse } from "./types.js";

/** Reads a request body, refusing (413) as soon as it passes `limit` instead of buffering it all. */
export async function readCapped(body: ReadableStream<Uint8Array> | null, limit: number): Promise<Buffer> {
  if (!body) return Buffer.alloc(0);
  const reader = body.getReader();
  const chunks: Buffer[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      throw new WebhookError(413, `request body exceeds ${limit} bytes (1 MiB)`);
    }
    chunks.push(Buffer.from(value));
  }
  return Buffer.concat(chunks);
}

export interface RefresherOptions {
  /** Burst window; 0 refreshes during the request itself. */
  quietMs: number;
  maxDelayMs: number;
  log?: (line: string) => void;
  now?: () => number;
}

/** Holds app keys through a burst, then sets `tether.dev/refresh=normal` on each once. */
export class WebhookRefresher {
  private readonly coalescer: RefreshCoalescer;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly store: ApplicationStore,
    private readonly options: RefresherOptions,
  ) {
    this.coalescer = new RefreshCoalescer({ quietMs: options.quietMs, maxDelayMs: options.maxDelayMs });
  }

  private now(): number {
    return (this.options.now ?? (() => performance.now()))();
  }

  async add(keys: string[]): Promise<void> {
    this.coalescer.add(keys, this.now());
    if (this.options.quietMs === 0) return this.flush();
    this.arm();
  }

  private arm(): void {
    clearTimeout(this.timer);
    const next = this.coalescer.nextDueAt();
    if (next === undefined || this.closed) return;
    this.timer = setTimeout(
      () => void this.flush().finally(() => this.arm()),
      Math.max(0, next - this.now()),
    );
    this.timer.unref();
  }

  async flush(): Promise<void> {
    // A push touching a thousand apps is a thousand PATCHes: a few at a time, not one by one.
    await mapLimit(this.coalescer.due(this.now()), 8, async (key) => {
      const slash = key.indexOf("/");
      await this.store
        .annotate(key.slice(0, slash), key.slice(slash + 1), { [REFRESH_ANNOTATION]: "normal" })
        .catch((error: unknown) => this.options.log?.(`webhook: refresh of ${key} failed: ${String(error)}`));
    });
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
  }
}

export async function handleWebhook(input: {
  headers: WebhookHeaders;
  body: ReadableStream<Uint8Array> | null;
  secrets: WebhookSecrets;
  /** The current Applications (a cache: see ./appindex.ts). */
  applications: () => Promise<readonly Application[]>;
  /** Asks the controller to refresh these apps. */
  refresh: (keys: string[]) => Promise<void>;
}): Promise<WebhookResponse> {
  const body = await readCapped(input.body, MAX_WEBHOOK_BODY_BYTES);
  const verified = verifyWebhook({ headers: input.headers, body, secrets: input.secrets });
  const parsed = parsePushEvent(verified.provider, verified.eventName, body);
  if ("ignored" in parsed) return { provider: verified.provider, ignored: parsed.ignored, refreshed: [] };
  const apps = await input.applications();
  const matched = new Map<string, string>();
  for (const push of parsed.pushes) {
    for (const refresh of appsToRefresh(push, apps)) {
      if (!matched.has(refresh.key)) matched.set(refresh.key, refresh.reason);
    }
  }
  await input.refresh([...matched.keys()]);
  return {
    provider: verified.provider,
    refreshed: [...matched].map(([key, reason]) => ({ key, reason })),
  };
}
