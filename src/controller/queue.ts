// A work queue keyed by application: like client-go's, a key is queued at most once, is never
// processed by two workers at once (a key added while it runs is re-queued when it finishes), and
// failures back off exponentially per key. Requeue-after is a value the handler returns.

export interface QueueResult {
  /** Reconcile again after this many ms (poll interval, waiting on health). */
  readonly requeueAfterMs?: number;
}

export type QueueHandler = (key: string) => Promise<QueueResult | void>;

export interface WorkQueueOptions {
  readonly workers: number;
  readonly handler: QueueHandler;
  readonly baseBackoffMs?: number;
  readonly maxBackoffMs?: number;
  readonly onError?: (key: string, error: unknown) => void;
}

/**
 * Node fires a timer given more than 2^31-1 ms (24.8 days) after 1 ms instead: an ImageRepository
 * `interval: 1000h` would rescan its registry in a loop. Longer delays wait this long and requeue.
 */
const MAX_TIMER_MS = 2 ** 31 - 1;

export class WorkQueue {
  private readonly ready: string[] = [];
  private readonly queued = new Set<string>();
  private readonly active = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private readonly failures = new Map<string, number>();
  private running = 0;
  private stopped = false;
  private idleWaiters: (() => void)[] = [];
  /** Handler runs so far; tests and metrics read it. */
  processed = 0;

  constructor(private readonly options: WorkQueueOptions) {}

  get depth(): number {
    return this.ready.length;
  }

  /** Queues `key` now. Cancels a later delayed add of the same key (it would be redundant). */
  add(key: string): void {
    if (this.stopped) return;
    const pending = this.timers.get(key);
    if (pending) {
      clearTimeout(pending.timer);
      this.timers.delete(key);
    }
    if (this.active.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.ready.push(key);
    this.pump();
  }

  /** Queues `key` after `delayMs`, unless an earlier add for it is already scheduled. */
  addAfter(key: string, delayMs: number): void {
    if (this.stopped) return;
    if (delayMs <= 0) return this.add(key);
    const at = Date.now() + delayMs;
    const pending = this.timers.get(key);
    if (pending && pending.at <= at) return;
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(
      () => {
        this.timers.delete(key);
        this.add(key);
      },
      Math.min(delayMs, MAX_TIMER_MS),
    );
    this.timers.set(key, { at, timer });
  }

  /** Forgets a key's failure count (after a success, or when the app is deleted). */
  forget(key: string): void {
    this.failures.delete(key);
  }

  stop(): void {
    this.stopped = true;
    for (const { timer } of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.ready.length = 0;
    this.queued.clear();
  }

  /** Resolves when nothing is queued or running (timers may still be pending). */
  idle(): Promise<void> {
    if (this.running === 0 && this.ready.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(): void {
    while (!this.stopped && this.running < this.options.workers && this.ready.length > 0) {
      const key = this.ready.shift() as string;
      this.queued.delete(key);
      this.active.add(key);
      this.running += 1;
      void this.process(key);
    }
    if (this.running === 0 && this.ready.length === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  private async process(key: string): Promise<void> {
    let retryAfter: number | undefined;
    try {
      const result = await this.options.handler(key);
      this.failures.delete(key);
      retryAfter = result?.requeueAfterMs;
    } catch (error) {
      const count = (this.failures.get(key) ?? 0) + 1;
      this.failures.set(key, count);
      const base = this.options.baseBackoffMs ?? 500;
      retryAfter = Math.min(base * 2 ** (count - 1), this.options.maxBackoffMs ?? 60_000);
      this.options.onError?.(key, error);
    } finally {
      this.processed += 1;
      this.active.delete(key);
      this.running -= 1;
    }
    if (this.dirty.delete(key)) this.add(key);
    else if (retryAfter !== undefined) this.addAfter(key, retryAfter);
    this.pump();
  }
}

/**
 * Leading-edge debounce per key: the first event after a quiet spell is scheduled at once; events
 * inside the window after it are scheduled for the window's end (the queue merges them into one).
 */
export class LeadingDebounce {
  private readonly last = new Map<string, number>();

  constructor(
    private readonly windowMs: number,
    private readonly schedule: (key: string, delayMs: number) => void,
    private readonly now: () => number = Date.now,
  ) {}

  event(key: string): void {
    const now = this.now();
    const previous = this.last.get(key);
    if (previous === undefined || now - previous >= this.windowMs) {
      this.last.set(key, now);
      this.schedule(key, 0);
    } else {
      this.schedule(key, previous + this.windowMs - now);
    }
    // Forget quiet keys so the map stays as small as the set of busy apps.
    if (this.last.size > 10_000) {
      for (const [k, t] of this.last) if (now - t >= this.windowMs) this.last.delete(k);
    }
  }
}
