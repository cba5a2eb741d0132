// Which recorded Events fold into one, as client-go's EventCorrelator decides: an Event repeating
// the same reason and message on the same object adds to its count instead of creating another
// object, and once one reason on one object has produced many different messages in a short time
// (a message carrying a revision, a counter, a timestamp), they fold into one "combined" Event too.
// A flapping app then writes a handful of Event objects an hour, not thousands, to etcd.

/** client-go's aggregator: at this many distinct messages for one reason in the window... */
export const AGGREGATE_MAX_MESSAGES = 10;
/** ...within this window, the reason's Events are combined (client-go: 10 minutes). */
export const AGGREGATE_WINDOW_MS = 10 * 60_000;
/** Keys remembered (least recently used dropped first; client-go: 4,096). */
export const CORRELATOR_CACHE_SIZE = 4_096;
export const COMBINED_PREFIX = "(combined from similar events): ";

export interface EventIdentity {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string | undefined;
  readonly type: string;
  readonly reason: string;
}

export interface Correlated {
  /** Events with the same key are one Event object with a count. */
  readonly key: string;
  /** The message to write (prefixed once the reason's messages are combined). */
  readonly message: string;
}

/** A small least-recently-used map: get and set both refresh a key. */
export class LruMap<V> {
  private readonly map = new Map<string, V>();
  constructor(private readonly capacity: number) {}

  get(key: string): V | undefined {
    const value = this.map.get(key);
    if (value === undefined) return undefined;
    this.map.delete(key);
    this.map.set(key, value);
    return value;
  }

  set(key: string, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size <= this.capacity) return;
    const oldest = this.map.keys().next();
    if (!oldest.done) this.map.delete(oldest.value);
  }

  delete(key: string): void {
    this.map.delete(key);
  }

  get size(): number {
    return this.map.size;
  }
}

interface AggregateRecord {
  readonly messages: Set<string>;
  lastMs: number;
}

/** Decides each Event's fold key; holds the aggregator's per-reason message sets. */
export class EventCorrelator {
  private readonly aggregates: LruMap<AggregateRecord>;

  constructor(capacity = CORRELATOR_CACHE_SIZE) {
    this.aggregates = new LruMap(capacity);
  }

  correlate(event: EventIdentity, message: string, nowMs: number): Correlated {
    const reasonKey = JSON.stringify([
      event.namespace,
      event.name,
      event.uid ?? "",
      event.type,
      event.reason,
    ]);
    let record = this.aggregates.get(reasonKey);
    // A quiet reason starts over, as client-go's record does past its interval.
    if (!record || nowMs - record.lastMs > AGGREGATE_WINDOW_MS)
      record = { messages: new Set(), lastMs: nowMs };
    record.lastMs = nowMs;
    if (record.messages.size < AGGREGATE_MAX_MESSAGES) record.messages.add(message);
    this.aggregates.set(reasonKey, record);
    if (record.messages.size >= AGGREGATE_MAX_MESSAGES && !record.messages.has(message))
      return { key: `${reasonKey}#combined`, message: `${COMBINED_PREFIX}${message}` };
    return { key: `${reasonKey}#${message}`, message };
  }
}
