// Asynchronous delivery: a bounded queue, per-target lanes (a hanging target holds only its own
// lane), a timeout on every attempt, bounded retries with exponential backoff. `enqueue` never
// waits and never throws, so nothing a target does can slow the reconcile that caused the message.
// The sender is injected I/O (http.ts in the product, a fake in unit tests).

export interface OutgoingRequest {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** Aborted at the attempt's timeout and when the queue stops. */
  readonly signal: AbortSignal;
}

export type Sender = (request: OutgoingRequest) => Promise<{ readonly status: number }>;

export interface DeliveryItem {
  readonly target: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  readonly timeoutMs: number;
  readonly maxAttempts: number;
  /** For log lines: what the message is about (`sync-failed ns/app`); never the URL. */
  readonly what: string;
}

export type DeliveryResult = "delivered" | "retried" | "failed" | "dropped";

export interface DeliveryQueueOptions {
  readonly send: Sender;
  /** Messages queued, waiting for a retry or in flight, over all targets; more are dropped. */
  readonly limit?: number;
  /** Attempts in flight per target at once. */
  readonly perTarget?: number;
  readonly baseBackoffMs?: number;
  readonly maxBackoffMs?: number;
  readonly log?: (line: string) => void;
  readonly onResult?: (target: string, result: DeliveryResult) => void;
  /** Replaces secret values in any text before it is logged. */
  readonly redact?: (text: string) => string;
}

interface Pending {
  readonly item: DeliveryItem;
  attempt: number;
}

class AttemptError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

/** What went wrong, in words that carry no URL (fetch errors can): status, error code or name. */
function describe(error: unknown): string {
  if (error instanceof AttemptError) return error.message;
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  if (typeof cause?.code === "string") return cause.code;
  if (error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError"))
    return "timed out";
  return error instanceof Error ? error.name : "error";
}

export class DeliveryQueue {
  private readonly lanes = new Map<string, { queue: Pending[]; inFlight: number }>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly controllers = new Set<AbortController>();
  private pending = 0;
  private stopped = false;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly options: DeliveryQueueOptions) {}

  /** Messages not yet finished (queued, waiting to retry, in flight). */
  get size(): number {
    return this.pending;
  }

  /** Queues a message; false when the queue is full or stopped (the message is dropped and counted). */
  enqueue(item: DeliveryItem): boolean {
    if (this.stopped || this.pending >= (this.options.limit ?? 500)) {
      this.options.onResult?.(item.target, "dropped");
      this.log(
        `notification to ${item.target} dropped (${this.stopped ? "stopping" : "queue full"}): ${item.what}`,
      );
      return false;
    }
    this.pending += 1;
    this.push({ item, attempt: 0 });
    return true;
  }

  /** Resolves when every message has been delivered, has failed or was dropped. */
  idle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Drops what is queued and aborts what is in flight; never waits on a target. */
  stop(): void {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const controller of this.controllers) controller.abort();
    for (const lane of this.lanes.values()) lane.queue.length = 0;
    this.pending = 0;
    this.settle();
  }

  private log(line: string): void {
    this.options.log?.(this.options.redact ? this.options.redact(line) : line);
  }

  private push(p: Pending): void {
    let lane = this.lanes.get(p.item.target);
    if (!lane) {
      lane = { queue: [], inFlight: 0 };
      this.lanes.set(p.item.target, lane);
    }
    lane.queue.push(p);
    this.pump(p.item.target);
  }

  private pump(target: string): void {
    const lane = this.lanes.get(target);
    if (!lane) return;
    while (!this.stopped && lane.inFlight < (this.options.perTarget ?? 2) && lane.queue.length > 0) {
      const next = lane.queue.shift() as Pending;
      lane.inFlight += 1;
      void this.attempt(next).finally(() => {
        lane.inFlight -= 1;
        if (lane.inFlight === 0 && lane.queue.length === 0) this.lanes.delete(target);
        this.pump(target);
      });
    }
  }

  private async attempt(p: Pending): Promise<void> {
    const { item } = p;
    p.attempt += 1;
    const controller = new AbortController();
    this.controllers.add(controller);
    let timer: NodeJS.Timeout | undefined;
    // Raced against the abort, so even a sender that ignores its signal cannot hold the lane.
    const aborted = new Promise<never>((_, reject) => {
      timer = setTimeout(() => controller.abort(new AttemptError("timed out", true)), item.timeoutMs);
      controller.signal.addEventListener("abort", () => reject(controller.signal.reason as Error), {
        once: true,
      });
    });
    aborted.catch(() => undefined);
    try {
      const { status } = await Promise.race([
        this.options.send({
          url: item.url,
          headers: item.headers,
          body: item.body,
          signal: controller.signal,
        }),
        aborted,
      ]);
      if (status >= 200 && status < 300) {
        this.options.onResult?.(item.target, "delivered");
        return this.finish();
      }
      throw new AttemptError(`HTTP ${status}`, status >= 500 || status === 429);
    } catch (error) {
      if (this.stopped) return;
      const retryable = error instanceof AttemptError ? error.retryable : true;
      const why = describe(error);
      if (retryable && p.attempt < item.maxAttempts) {
        this.options.onResult?.(item.target, "retried");
        const base = this.options.baseBackoffMs ?? 1_000;
        const delay = Math.min(base * 2 ** (p.attempt - 1), this.options.maxBackoffMs ?? 60_000);
        this.log(
          `notification to ${item.target} failed (${why}), attempt ${p.attempt}/${item.maxAttempts}; retrying in ${delay} ms: ${item.what}`,
        );
        const retry = setTimeout(() => {
          this.timers.delete(retry);
          if (!this.stopped) this.push(p);
        }, delay);
        this.timers.add(retry);
        return;
      }
      this.options.onResult?.(item.target, "failed");
      this.log(
        `notification to ${item.target} failed (${why}) after ${p.attempt} attempt(s), giving up: ${item.what}`,
      );
      this.finish();
    } finally {
      clearTimeout(timer);
      this.controllers.delete(controller);
    }
  }

  private finish(): void {
    if (this.stopped) return;
    this.pending -= 1;
    this.settle();
  }

  private settle(): void {
    if (this.pending > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
