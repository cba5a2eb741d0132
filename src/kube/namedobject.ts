// One named Secret or ConfigMap kept current by a watch, so a caller reads its data with no request:
// the API server's auth state (revocations, accounts) is checked on every request and must cost
// nothing, while a change written by another replica must arrive within the watch delay.
//
// GET the object (404 → absent), then watch with `fieldSelector=metadata.name=<name>` from its
// resourceVersion: RBAC can grant get/watch on that one name (resourceNames) and nothing else of the
// namespace. Without a resourceVersion (the object was absent) the watch starts with the current
// state, so a creation between the GET and the watch is not missed. A dropped watch reconnects with
// backoff; 410 Gone re-reads first. Timers and the connection are unref'd: the watch never keeps a
// process alive by itself (a server's listening socket does that).
import type { KubernetesObject } from "@kubernetes/client-node";
import type { KubeClients } from "./client.js";
import { kubeErrorMessage, errorStatus } from "./client.js";
import { watch } from "./watch.js";

export type NamedObjectKind = "Secret" | "ConfigMap";

export interface NamedObjectOptions {
  clients: KubeClients;
  kind: NamedObjectKind;
  namespace: string;
  name: string;
  /** Called after every change the watch (or the first read) brings. */
  onChange?: (data: Readonly<Record<string, string>> | undefined) => void;
  /** Connection problems (the watch keeps retrying). */
  onError?: (message: string) => void;
  maxBackoffMs?: number;
}

/** The decoded data of the object: Secret values are base64 on the wire, strings here. */
function dataOf(kind: NamedObjectKind, object: KubernetesObject): Record<string, string> {
  const raw = (object as { data?: Record<string, string> }).data ?? {};
  if (kind === "ConfigMap") return { ...raw };
  return Object.fromEntries(
    Object.entries(raw).map(([k, v]) => [k, Buffer.from(v, "base64").toString("utf8")]),
  );
}

export class WatchedNamedObject {
  private current: Readonly<Record<string, string>> | undefined;
  private resourceVersion = "";
  private stopped = false;
  private abort: AbortController | undefined;
  private retry: NodeJS.Timeout | undefined;
  private backoffMs = 0;
  private readonly label: string;

  constructor(private readonly options: NamedObjectOptions) {
    this.label = `${options.kind} ${options.namespace}/${options.name}`;
  }

  /** Reads the object once and starts watching; rejects when that first read fails (e.g. 403). */
  async start(): Promise<void> {
    await this.read();
    this.connect();
  }

  /** The object's data now (undefined while it does not exist). */
  data(): Readonly<Record<string, string>> | undefined {
    return this.current;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retry);
    this.abort?.abort();
  }

  private set(object: KubernetesObject | undefined): void {
    const version = object?.metadata?.resourceVersion ?? "";
    if (object && version && version === this.resourceVersion && this.current) return;
    this.current = object ? dataOf(this.options.kind, object) : undefined;
    if (version) this.resourceVersion = version;
    this.options.onChange?.(this.current);
  }

  private async read(): Promise<void> {
    const { clients, namespace, name } = this.options;
    try {
      const object =
        this.options.kind === "Secret"
          ? await clients.core.readNamespacedSecret({ namespace, name })
          : await clients.core.readNamespacedConfigMap({ namespace, name });
      this.set(object);
    } catch (error) {
      if (errorStatus(error) !== 404) throw new Error(`reading ${this.label}: ${kubeErrorMessage(error)}`);
      this.resourceVersion = "";
      if (this.current !== undefined) this.set(undefined);
    }
  }

  private connect(): void {
    if (this.stopped) return;
    const { clients, namespace, name, kind } = this.options;
    const plural = kind === "Secret" ? "secrets" : "configmaps";
    const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/${plural}`;
    const query = {
      fieldSelector: `metadata.name=${name}`,
      resourceVersion: this.resourceVersion,
      allowWatchBookmarks: true,
      timeoutSeconds: 300 + Math.floor(Math.random() * 60),
    };
    watch(
      clients.config,
      path,
      query,
      (type, object) => this.event(type, object as KubernetesObject & { code?: number }),
      (error) => this.reconnect(error),
      { unref: true },
    ).then(
      (abort) => {
        this.abort = abort;
        if (this.stopped) abort.abort();
      },
      (error: unknown) => this.reconnect(error),
    );
  }

  private event(type: string, object: KubernetesObject & { code?: number }): void {
    if (type === "ERROR") {
      if (object.code === 410) this.resourceVersion = ""; // too old: the reconnect re-reads
      return;
    }
    if (type === "BOOKMARK") {
      this.resourceVersion = object.metadata?.resourceVersion ?? this.resourceVersion;
      return;
    }
    if (object.metadata?.name !== this.options.name) return;
    this.backoffMs = 0;
    if (type === "DELETED") {
      this.resourceVersion = object.metadata.resourceVersion ?? this.resourceVersion;
      this.current = undefined;
      this.options.onChange?.(undefined);
    } else this.set(object);
  }

  private reconnect(error: unknown): void {
    if (this.stopped) return;
    if ((error as { statusCode?: unknown } | null)?.statusCode === 410) this.resourceVersion = "";
    else if (error) {
      this.options.onError?.(`watch of ${this.label}: ${kubeErrorMessage(error)}; retrying`);
      this.backoffMs = Math.min(Math.max(this.backoffMs * 2, 200), this.options.maxBackoffMs ?? 10_000);
    }
    this.retry = setTimeout(() => {
      // Without a resourceVersion (410, or absent) re-read so the state is current before watching.
      const next = this.resourceVersion ? Promise.resolve() : this.read();
      next.then(
        () => this.connect(),
        (readError: unknown) => this.reconnect(readError),
      );
    }, this.backoffMs);
    this.retry.unref();
  }
}

/**
 * Starts one watch per object and waits for each first read. If any first read fails (e.g. the
 * ServiceAccount may not read the object) all are stopped and its error, naming the object, is
 * thrown: callers rely on every one of them.
 */
export async function startNamedObjectWatches(
  clients: KubeClients,
  namespace: string,
  onError: (message: string) => void,
  objects: [NamedObjectKind, string, (data: Readonly<Record<string, string>> | undefined) => void][],
): Promise<WatchedNamedObject[]> {
  const watches = objects.map(
    ([kind, name, onChange]) => new WatchedNamedObject({ clients, kind, namespace, name, onChange, onError }),
  );
  try {
    await Promise.all(watches.map((w) => w.start()));
  } catch (error) {
    for (const w of watches) w.stop();
    throw error;
  }
  return watches;
}
