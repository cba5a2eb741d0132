// Bursts of pushes (a merge train, a script pushing ten tags, a forge redelivering) should cost one
// refresh per Application, not one per delivery. RefreshCoalescer holds keys (usually Application
// keys from appsToRefresh, or pushKey() values) until the burst is over. Pure: the caller passes
// `now` (milliseconds from any monotonic clock) and arms its own timer from nextDueAt().
//
// A key is due `quietMs` after its last add (trailing debounce), but never later than `maxDelayMs`
// after its first add, so a steady stream of pushes cannot postpone a refresh forever.
import { tryCanonicalRepoUrl } from "../../engine/source/url.js";
import type { PushEvent } from "./types.js";

export interface CoalescerOptions {
  quietMs: number;
  maxDelayMs: number;
}

interface Pending {
  first: number;
  last: number;
}

export class RefreshCoalescer {
  private readonly pending = new Map<string, Pending>();

  constructor(private readonly options: CoalescerOptions) {
    if (!(options.quietMs >= 0) || !(options.maxDelayMs >= options.quietMs)) {
      throw new RangeError("RefreshCoalescer: need 0 <= quietMs <= maxDelayMs");
    }
  }

  get size(): number {
    return this.pending.size;
  }

  add(keys: Iterable<string>, now: number): void {
    for (const key of keys) {
      const entry = this.pending.get(key);
      if (entry) entry.last = Math.max(entry.last, now);
      else this.pending.set(key, { first: now, last: now });
    }
  }

  private dueAt(entry: Pending): number {
    return Math.min(entry.last + this.options.quietMs, entry.first + this.options.maxDelayMs);
  }

  /** Removes and returns (sorted) every key whose burst is over at `now`. */
  due(now: number): string[] {
    const ready: string[] = [];
    for (const [key, entry] of this.pending) {
      if (this.dueAt(entry) <= now) ready.push(key);
    }
    for (const key of ready) this.pending.delete(key);
    return ready.sort();
  }

  /** When the next key falls due, or undefined when nothing is pending. */
  nextDueAt(): number | undefined {
    let next: number | undefined;
    for (const entry of this.pending.values()) {
      const at = this.dueAt(entry);
      if (next === undefined || at < next) next = at;
    }
    return next;
  }
}

/** `normalized-repo@ref` of a push, to coalesce by repository and ref rather than by app. */
export function pushKey(event: PushEvent): string {
  const first = event.repoURLs[0] ?? "";
  // A URL Tether refuses keeps its raw spelling: the key only has to be stable.
  const repo = tryCanonicalRepoUrl(first)?.toLowerCase() ?? first;
  return `${repo}@${event.ref}`;
}
