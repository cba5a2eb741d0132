// The benchmarks' own view of the cluster: one list+watch per collection that timestamps every
// event on arrival (performance.now()), so a wait resolves with the moment the apiserver told us,
// not with when a poll happened to look. Waiters are registered before the action they measure.
import type { KubeClients, KubeConfig } from "../../src/kube/client.js";
import { watch } from "../../src/kube/watch.js";

/** What the watch needs of an object: client-node kinds and Tether's Application both fit. */
export interface WatchedObject {
  readonly metadata?: {
    readonly namespace?: string;
    readonly name?: string;
    readonly resourceVersion?: string;
  };
}

export interface Observed<T extends WatchedObject> {
  readonly object: T;
  /** performance.now() when the event arrived. */
  readonly at: number;
}

interface Waiter<T extends WatchedObject> {
  readonly key: string;
  readonly test: (object: T) => boolean;
  readonly resolve: (value: Observed<T>) => void;
}

const keyOf = (o: WatchedObject) => `${o.metadata?.namespace ?? ""}/${o.metadata?.name ?? ""}`;
const MAX_RECONNECTS = 50;

export class ObjectWatch<T extends WatchedObject> {
  private readonly latest = new Map<string, Observed<T>>();
  private waiters: Waiter<T>[] = [];
  private resourceVersion = "";
  private abort: AbortController | undefined;
  private stopped = false;
  private reconnects = 0;
  private listeners: (() => void)[] = [];

  private constructor(
    private readonly config: KubeConfig,
    private readonly clients: KubeClients,
    /** Collection path, e.g. `/apis/apps/v1/deployments`. */
    private readonly path: string,
    private readonly fieldSelector: string | undefined,
  ) {}

  static async start<T extends WatchedObject>(
    clients: KubeClients,
    path: string,
    fieldSelector?: string,
  ): Promise<ObjectWatch<T>> {
    const watch = new ObjectWatch<T>(clients.config, clients, path, fieldSelector);
    await watch.list();
    await watch.connect();
    return watch;
  }

  get(namespace: string, name: string): T | undefined {
    return this.latest.get(`${namespace}/${name}`)?.object;
  }

  /** The latest object with its arrival time. */
  observed(namespace: string, name: string): Observed<T> | undefined {
    return this.latest.get(`${namespace}/${name}`);
  }

  /** Resolves on the next event (any object), or after `timeoutMs` — for waits over many objects. */
  changed(timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const listener = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.listeners = this.listeners.filter((l) => l !== listener);
        resolve();
      }, timeoutMs);
      this.listeners.push(listener);
    });
  }

  /**
   * Resolves with the first event (from now on) for namespace/name whose object passes `test`;
   * rejects after `timeoutMs` or when `signal` aborts.
   */
  next(
    namespace: string,
    name: string,
    test: (object: T) => boolean,
    options: { timeoutMs: number; signal?: AbortSignal; what: string },
  ): Promise<Observed<T>> {
    return new Promise<Observed<T>>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        options.signal?.removeEventListener("abort", onAbort);
        this.waiters = this.waiters.filter((w) => w !== waiter);
      };
      const waiter: Waiter<T> = {
        key: `${namespace}/${name}`,
        test,
        resolve: (value) => {
          done();
          resolve(value);
        },
      };
      const onAbort = () => {
        done();
        reject(new Error(`interrupted while waiting for ${options.what}`));
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${options.what} did not happen within ${options.timeoutMs} ms`));
      }, options.timeoutMs);
      if (options.signal?.aborted) return onAbort();
      options.signal?.addEventListener("abort", onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  /** Like `next`, but an object already passing `test` resolves at once (with its arrival time). */
  until(
    namespace: string,
    name: string,
    test: (object: T) => boolean,
    options: { timeoutMs: number; signal?: AbortSignal; what: string },
  ): Promise<Observed<T>> {
    const current = this.latest.get(`${namespace}/${name}`);
    if (current && test(current.object)) return Promise.resolve(current);
    return this.next(namespace, name, test, options);
  }

  stop(): void {
    this.stopped = true;
    this.abort?.abort();
  }

  private async list(): Promise<void> {
    const list = await this.clients.raw.request<{ items: T[]; metadata?: { resourceVersion?: string } }>({
      method: "GET",
      path: this.path,
      query: { fieldSelector: this.fieldSelector },
    });
    const at = performance.now();
    for (const item of list.items) this.latest.set(keyOf(item), { object: item, at });
    this.resourceVersion = list.metadata?.resourceVersion ?? "";
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const params = {
      resourceVersion: this.resourceVersion,
      fieldSelector: this.fieldSelector,
      allowWatchBookmarks: true,
      timeoutSeconds: 1_800,
    };
    this.abort = await watch(
      this.config,
      this.path,
      params,
      (type, object) => this.handle(type, object as unknown as T),
      () => this.reconnect(),
    );
  }

  private handle(type: string, object: T): void {
    const at = performance.now();
    if (type === "ERROR") {
      this.resourceVersion = "";
      return;
    }
    if (object.metadata?.resourceVersion) this.resourceVersion = object.metadata.resourceVersion;
    if (type === "BOOKMARK") return;
    const key = keyOf(object);
    if (type === "DELETED") {
      this.latest.delete(key);
      return;
    }
    const observed = { object, at };
    this.latest.set(key, observed);
    const listeners = this.listeners;
    this.listeners = [];
    for (const listener of listeners) listener();
    for (const waiter of [...this.waiters])
      if (waiter.key === key && waiter.test(object)) waiter.resolve(observed);
  }

  /** A closed watch resumes from the last resourceVersion (re-listing after 410); bounded. */
  private reconnect(): void {
    if (this.stopped) return;
    this.reconnects += 1;
    if (this.reconnects > MAX_RECONNECTS) {
      process.stderr.write(`bench: watch on ${this.path} closed too often; giving up\n`);
      return;
    }
    const resume = this.resourceVersion ? Promise.resolve() : this.list();
    resume
      .then(() => this.connect())
      .catch((error: unknown) => process.stderr.write(`bench: watch on ${this.path}: ${String(error)}\n`));
  }
}
