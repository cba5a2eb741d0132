// Live application summaries from the API's event stream (GET /api/v1/stream, server-sent events).
// The stream opens with the current apps as ADDED events and a `ready` event; every later event is
// a change. Each (re)connection rebuilds the set from that opening list, so nothing is missed
// across a reconnect. Changes are published in small batches so 1,000 apps updating at once cost a
// handful of renders, not 1,000.
import { useSyncExternalStore } from "react";
import type { ApplicationEvent, ApplicationSummary } from "../api/types";

export type StreamState = "connecting" | "live" | "reconnecting";

export const appKey = (a: { namespace: string; name: string }) => `${a.namespace}/${a.name}`;

const PUBLISH_DELAY_MS = 15;
const RETRY_MS = [500, 1_000, 2_000, 5_000];

class ApplicationStream {
  private apps = new Map<string, ApplicationSummary>();
  private opening: Map<string, ApplicationSummary> | undefined;
  private listeners = new Set<() => void>();
  private source: EventSource | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private retry: ReturnType<typeof setTimeout> | undefined;
  private failures = 0;
  private snapshot: {
    state: StreamState;
    apps: readonly ApplicationSummary[];
    byKey: ReadonlyMap<string, ApplicationSummary>;
  } = {
    state: "connecting",
    apps: [],
    byKey: new Map(),
  };
  private state: StreamState = "connecting";
  /** Called when the stream is refused (401): the session ended. */
  onRefused: (() => void) | undefined;

  subscribe = (listener: () => void) => {
    this.listeners.add(listener);
    if (this.listeners.size === 1) this.open();
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.close();
    };
  };

  get = () => this.snapshot;

  private open() {
    if (this.source) return;
    const source = new EventSource("/api/v1/stream", { withCredentials: true });
    this.source = source;
    this.opening = new Map();
    source.addEventListener("application", (e) => {
      const event = JSON.parse((e as MessageEvent<string>).data) as ApplicationEvent;
      const target = this.opening ?? this.apps;
      const key = appKey(event.application);
      if (event.type === "DELETED") target.delete(key);
      else target.set(key, event.application);
      if (!this.opening) this.schedule();
    });
    source.addEventListener("ready", () => {
      this.apps = this.opening ?? this.apps;
      this.opening = undefined;
      this.failures = 0;
      this.state = "live";
      this.publish();
    });
    source.addEventListener("error", () => {
      // The browser retries a dropped stream by itself (readyState CONNECTING); a refused one (401,
      // 5xx) is CLOSED and retried here with backoff, after asking whether the session still holds.
      this.state = "reconnecting";
      this.publish();
      if (source.readyState === EventSource.CLOSED) {
        this.close();
        this.onRefused?.();
        const delay = RETRY_MS[Math.min(this.failures++, RETRY_MS.length - 1)] ?? 5_000;
        this.retry = setTimeout(() => {
          if (this.listeners.size > 0) this.open();
        }, delay);
      } else {
        this.opening = new Map(); // the reconnect sends the full list again
      }
    });
  }

  private close() {
    this.source?.close();
    this.source = undefined;
    clearTimeout(this.retry);
  }

  /** Drop everything (logout) and reconnect if anyone is still listening. */
  reset() {
    this.close();
    this.apps = new Map();
    this.state = "connecting";
    this.publish();
    if (this.listeners.size > 0) this.open();
  }

  private schedule() {
    this.timer ??= setTimeout(() => this.publish(), PUBLISH_DELAY_MS);
  }

  private publish() {
    clearTimeout(this.timer);
    this.timer = undefined;
    const apps = [...this.apps.values()].sort(
      (a, b) => a.name.localeCompare(b.name) || a.namespace.localeCompare(b.namespace),
    );
    this.snapshot = { state: this.state, apps, byKey: new Map(this.apps) };
    for (const listener of this.listeners) listener();
  }
}

export const applicationStream = new ApplicationStream();

export function useApplications() {
  return useSyncExternalStore(applicationStream.subscribe, applicationStream.get);
}
