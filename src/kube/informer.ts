// A list+watch cache of one kind (optionally filtered by label): watch with bookmarks so a quiet
// watch can resume cheaply, re-list when the server says the resourceVersion expired (410), and
// restart with backoff after errors, so a restarted apiserver is survived without help.
import type { KubernetesObject } from "@kubernetes/client-node";
import type { KubeConfig } from "./connection.js";
import { watch } from "./watch.js";
import { errorMessage } from "../lib/errormessage.js";

export type InformerEventType = "ADDED" | "MODIFIED" | "DELETED";
export type InformerHandler = (type: InformerEventType, object: KubernetesObject) => void;

export interface InformerOptions {
  readonly config: KubeConfig;
  /** Collection path, e.g. `/apis/apps/v1/deployments` (all namespaces). */
  readonly path: string;
  readonly labelSelector?: string;
  /** e.g. `metadata.name=x`: one named object, which RBAC `resourceNames` can grant list/watch of. */
  readonly fieldSelector?: string;
  /** Lists the collection: items plus the list's resourceVersion. */
  readonly list: () => Promise<{ items: KubernetesObject[]; resourceVersion: string }>;
  readonly onEvent: InformerHandler;
  readonly onError?: (error: unknown) => void;
  /** A secondary index: `byIndex(value)` returns the cached objects for which this returns `value`. */
  readonly indexBy?: (object: KubernetesObject) => string | undefined;
  /** Cap on the restart backoff. */
  readonly maxBackoffMs?: number;
  /** Server-side lifetime of one watch request (tests shorten it to exercise resumption). */
  readonly watchTimeoutSeconds?: number;
  /** How long the first list may keep retrying transient errors. */
  readonly initialListTimeoutMs?: number;
}

/**
 * Whether a write's response may replace a cached object fed by a watch: only while the cache still
 * holds the version the write was based on (or the write's own). Otherwise the watch already brought
 * something newer (an edit right after the write), which the older response would hide until the
 * object's next watch event.
 */
export function writeResultIsCurrent(
  cached: string | undefined,
  basedOn: string | undefined,
  written: string | undefined,
): boolean {
  return cached === undefined || cached === basedOn || cached === written;
}

const keyOf = (o: KubernetesObject) => `${o.metadata?.namespace ?? ""}/${o.metadata?.name ?? ""}`;

export class Informer {
  private readonly cache = new Map<string, KubernetesObject>();
  private readonly index = new Map<string, Map<string, KubernetesObject>>();
  private resourceVersion = "";
  private stopped = false;
  private abort: AbortController | undefined;
  private backoffMs = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private synced: Promise<void> | undefined;
  /** Watch (re)connections made; tests use it to observe resumption. */
  connects = 0;
  relists = 0;

  constructor(private readonly options: InformerOptions) {}

  /** Starts listing and watching; resolves once the initial list is in the cache. */
  start(): Promise<void> {
    this.synced ??= this.initialList().then(() => this.watch());
    return this.synced;
  }

  /** The first list retries what is transient (429 right after a CRD appears, 5xx, network). */
  private async initialList(): Promise<void> {
    const deadline = Date.now() + (this.options.initialListTimeoutMs ?? 30_000);
    for (let delay = 100; ; delay = Math.min(delay * 2, 2_000)) {
      try {
        return await this.relist();
      } catch (error) {
        const status =
          (error as { code?: unknown; statusCode?: unknown } | null)?.code ??
          (error as { statusCode?: unknown } | null)?.statusCode;
        const transient = typeof status !== "number" || status === 429 || status >= 500;
        if (!transient || this.stopped || Date.now() + delay > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.abort?.abort();
  }

  get(namespace: string | undefined, name: string): KubernetesObject | undefined {
    return this.cache.get(`${namespace ?? ""}/${name}`);
  }

  list(): KubernetesObject[] {
    return [...this.cache.values()];
  }

  /** The cached objects `indexBy` maps to `value` (none without `indexBy`). */
  byIndex(value: string): KubernetesObject[] {
    return [...(this.index.get(value)?.values() ?? [])];
  }

  /** Every cache change goes through here, so the index always matches the cache. */
  private put(key: string, object: KubernetesObject | undefined): void {
    const indexBy = this.options.indexBy;
    if (indexBy) {
      const before = this.cache.get(key);
      const from = before ? indexBy(before) : undefined;
      const to = object ? indexBy(object) : undefined;
      if (from !== undefined && from !== to) {
        const bucket = this.index.get(from);
        bucket?.delete(key);
        if (bucket?.size === 0) this.index.delete(from);
      }
      if (to !== undefined && object) {
        let bucket = this.index.get(to);
        if (!bucket) this.index.set(to, (bucket = new Map<string, KubernetesObject>()));
        bucket.set(key, object);
      }
    }
    if (object) this.cache.set(key, object);
    else this.cache.delete(key);
  }

  /**
   * Hands one event to the handler. What a handler throws for one object (a malformed object stored
   * under an older, looser CRD) is reported through onError and never stops the other objects, the
   * watch, or the process.
   */
  private emit(type: InformerEventType, object: KubernetesObject): void {
    try {
      this.options.onEvent(type, object);
    } catch (error) {
      const why = errorMessage(error);
      this.options.onError?.(new Error(`handling ${type} of ${keyOf(object)}: ${why}`));
    }
  }

  private async relist(): Promise<void> {
    const { items, resourceVersion } = await this.options.list();
    this.relists += 1;
    const seen = new Set<string>();
    for (const item of items) {
      const key = keyOf(item);
      seen.add(key);
      const previous = this.cache.get(key);
      this.put(key, item);
      if (!previous) this.emit("ADDED", item);
      else if (previous.metadata?.resourceVersion !== item.metadata?.resourceVersion) {
        this.emit("MODIFIED", item);
      }
    }
    for (const [key, item] of this.cache) {
      if (seen.has(key)) continue;
      this.put(key, undefined);
      this.emit("DELETED", item);
    }
    this.resourceVersion = resourceVersion;
  }

  private handle(type: string, object: KubernetesObject & { code?: number }) {
    if (type === "ERROR") {
      // 410 Gone: our resourceVersion is too old; the next connect re-lists.
      if (object.code === 410) this.resourceVersion = "";
      return;
    }
    const rv = object.metadata?.resourceVersion;
    if (rv) this.resourceVersion = rv;
    if (type === "BOOKMARK") return;
    const key = keyOf(object);
    this.put(key, type === "DELETED" ? undefined : object);
    if (type === "ADDED" || type === "MODIFIED" || type === "DELETED") this.emit(type, object);
    this.backoffMs = 0;
  }

  private async watch(): Promise<void> {
    if (this.stopped) return;
    this.connects += 1;
    const params = {
      allowWatchBookmarks: true,
      resourceVersion: this.resourceVersion,
      labelSelector: this.options.labelSelector,
      fieldSelector: this.options.fieldSelector,
      // The server ends each watch after this long; the informer resumes from its last resourceVersion.
      timeoutSeconds: this.options.watchTimeoutSeconds ?? 300 + Math.floor(Math.random() * 60),
    };
    this.abort = await watch(
      this.options.config,
      this.options.path,
      params,
      (type, object) => this.handle(type, object),
      (error: unknown) => this.reconnect(error),
    );
    // Stopped while the watch was connecting: `stop` could not abort a watch it did not have yet.
    if (this.stopped) this.abort.abort();
  }

  private reconnect(error: unknown): void {
    if (this.stopped) return;
    const gone = (error as { statusCode?: number } | null)?.statusCode === 410;
    if (error && !gone) {
      this.options.onError?.(error);
      this.backoffMs = Math.min(Math.max(this.backoffMs * 2, 200), this.options.maxBackoffMs ?? 10_000);
    }
    if (gone) this.resourceVersion = "";
    this.retryTimer = setTimeout(
      () => {
        const next = this.resourceVersion ? Promise.resolve() : this.relist();
        next
          .then(() => this.watch())
          .catch((listError: unknown) => this.reconnect(listError ?? new Error("list failed")));
      },
      error ? this.backoffMs : 0,
    );
  }
}
