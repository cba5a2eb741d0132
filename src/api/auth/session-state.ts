// Revocations and cut-offs shared by every API replica through Secret tether-sessions
// (session-records.ts has the format and the size policy). A watch keeps the parsed records in
// memory, so checking a session costs no request; a revocation written by another replica counts
// from the moment its watch event arrives, and `onRevoked` listeners hear of it then (event
// streams end). What this replica writes also counts here at once, before its own watch echo.
// Writes re-read the Secret and replace it with its resourceVersion, retrying on conflict, so two
// replicas logging out at once never lose each other's entry. A replica batches its own writes:
// every change that arrives while one write is in flight goes out together in the next, so a
// burst of logouts costs a few writes per replica, not one each (hostile testing: 45 logouts at
// once across 3 replicas exhausted 8 immediate retries and left sessions valid on other replicas).
import { setTimeout as delay } from "node:timers/promises";
import type { SecretStore } from "./admin.js";
import { storeErrorStatus } from "./admin.js";
import type { Clock } from "./constanttime.js";
import type { SessionRecords } from "./session-records.js";
import {
  emptySessionRecords,
  parseSessionRecords,
  serializeSessionRecords,
  sessionCutoff,
  SESSIONS_SECRET,
  withCutoff,
  withRevocation,
} from "./session-records.js";
import type { RevocationStore } from "./sessions.js";
import { MemoryRevocationStore } from "./sessions.js";

type Change = (records: SessionRecords) => SessionRecords;

/** Conflicts before a write gives up: with the backoff, about 10 s of contention. */
const MAX_ATTEMPTS = 30;

export interface SessionStateOptions {
  store: SecretStore;
  namespace: string;
  now: Clock;
  sessionTtlSeconds: number;
  log: (line: string) => void;
}

export class ClusterSessionState implements RevocationStore {
  private records: SessionRecords = emptySessionRecords();
  /** This replica's own writes, until the watch brings them (bounded, pruned on expiry). */
  private readonly ownRevocations: MemoryRevocationStore;
  private readonly ownCutoffs = new Map<string, number>();
  private readonly listeners = new Set<() => void>();
  private lastIssues = "";
  private pending: { change: Change; done: (error?: Error) => void }[] = [];
  private flushing = false;

  constructor(private readonly options: SessionStateOptions) {
    this.ownRevocations = new MemoryRevocationStore(options.now, 10_000);
  }

  /** Feeds the Secret's data as the watch saw it. */
  update(data: Readonly<Record<string, string>> | undefined): void {
    const { records, issues } = parseSessionRecords(data);
    const text = issues.join("; ");
    if (text && text !== this.lastIssues) this.options.log(`api: ${text}`);
    this.lastIssues = text;
    const before = this.records;
    this.records = records;
    const newRevocation = [...records.revoked.keys()].some((sid) => !before.revoked.has(sid));
    const newCutoff =
      (records.cutoffAll ?? 0) > (before.cutoffAll ?? 0) ||
      [...records.cutoffs].some(([user, at]) => at > (before.cutoffs.get(user) ?? 0));
    if (newRevocation || newCutoff) this.notify();
  }

  onRevoked(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private notify(): void {
    for (const listener of this.listeners) listener();
  }

  isRevoked(sid: string): boolean {
    return this.records.revoked.has(sid) || this.ownRevocations.isRevoked(sid);
  }

  /** Sessions of `user` issued before this instant (ms) are invalid. */
  cutoff(user: string): number | undefined {
    const shared = sessionCutoff(this.records, user);
    const own = this.ownCutoffs.get(user);
    if (own === undefined) return shared;
    return shared === undefined ? own : Math.max(own, shared);
  }

  async revoke(sid: string, expiresAtSeconds: number, user = ""): Promise<void> {
    this.ownRevocations.revoke(sid, expiresAtSeconds);
    const prune = this.pruneOptions();
    await this.write((records) =>
      withRevocation(records, sid, { exp: expiresAtSeconds, user: user || "unknown" }, prune),
    );
    this.notify();
  }

  /** Ends every session of `user` issued before `beforeMs` (logout everywhere, password change). */
  async cutOff(user: string, beforeMs: number): Promise<void> {
    this.ownCutoffs.set(user, Math.max(beforeMs, this.ownCutoffs.get(user) ?? 0));
    const prune = this.pruneOptions();
    await this.write((records) => withCutoff(records, user, beforeMs, prune));
    this.notify();
  }

  private pruneOptions() {
    return { nowMs: this.options.now(), sessionTtlSeconds: this.options.sessionTtlSeconds };
  }

  /** Queues `change` for the next batch; resolves once a write holding it succeeded. */
  private write(change: Change): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ change, done: (error) => (error === undefined ? resolve() : reject(error)) });
      if (!this.flushing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.pending.length > 0) {
        const batch = this.pending;
        this.pending = [];
        const error = await this.writeBatch(batch.map((p) => p.change)).then(
          () => undefined,
          (e: unknown) => (e instanceof Error ? e : new Error(String(e))),
        );
        for (const item of batch) item.done(error);
      }
    } finally {
      this.flushing = false;
    }
  }

  private async writeBatch(changes: readonly Change[]): Promise<void> {
    const { store } = this.options;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const existing = await store.read(SESSIONS_SECRET);
      // Garbage entries are dropped by this write (parse leaves them out); they were logged.
      let records = parseSessionRecords(existing?.data).records;
      for (const change of changes) records = change(records);
      const data = serializeSessionRecords(records);
      try {
        if (existing) await store.update(SESSIONS_SECRET, data, existing.resourceVersion);
        else await store.create(SESSIONS_SECRET, data);
        return;
      } catch (error) {
        const status = storeErrorStatus(error);
        if (status !== 409) throw error;
      }
      // Another replica wrote first: back off a random while (up to ~0.5 s) so writers spread out.
      await delay(Math.random() * Math.min(500, 10 * 2 ** attempt));
    }
    throw new Error(
      `gave up after ${MAX_ATTEMPTS} conflicting writes to Secret ${this.options.namespace}/${SESSIONS_SECRET}`,
    );
  }
}
