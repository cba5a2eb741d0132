// What Secret `tether-sessions` holds, parsed and written by pure functions: the revocations and
// cut-offs every API replica honours (the server keeps no session state of its own).
//
//   revoked.<sid>          {"exp": <seconds>, "user": "<subject>"}   a logged-out session, until it
//                                                                    would have expired anyway
//   cutoff.<hash of user>  {"user": "<subject>", "before": <ms>}     sessions of that user issued
//                                                                    before `before` are invalid
//                                                                    (logout everywhere, overflow)
//   cutoff-all             {"before": <ms>}                          the same for every user (last
//                                                                    resort of the size policy)
//
// Subjects (e.g. `sso:alice@example.com`) are not valid Secret keys, hence the hash in the key and
// the user in the value. Size policy (a Secret holds at most 1 MiB): expired revocations and
// cut-offs older than the session lifetime are pruned on every write; past MAX_REVOCATIONS the
// soonest-expiring revocations become cut-offs for their users (fail closed: those users sign in
// again, nobody's logout is forgotten); past MAX_CUTOFFS every cut-off folds into `cutoff-all`.
// A record that does not parse is reported and ignored — but a `revoked.<sid>` key with an
// unreadable value still revokes that sid (fail closed): the key names the session. Refusing every
// session for one bad entry would let one typo lock out all, so nothing else fails closed.
import { createHash } from "node:crypto";

export const SESSIONS_SECRET = "tether-sessions";
export const MAX_REVOCATIONS = 4_000;
export const MAX_CUTOFFS = 2_000;
const REVOKED_PREFIX = "revoked.";
const CUTOFF_PREFIX = "cutoff.";
const CUTOFF_ALL = "cutoff-all";
const SID_PATTERN = /^[A-Za-z0-9_-]{22,64}$/;

export interface Revocation {
  /** Seconds since the epoch: the session's own expiry. */
  exp: number;
  user: string;
}

export interface SessionRecords {
  revoked: Map<string, Revocation>;
  /** user → ms: sessions issued before are invalid. */
  cutoffs: Map<string, number>;
  /** ms: every session issued before is invalid. */
  cutoffAll?: number;
}

export const emptySessionRecords = (): SessionRecords => ({ revoked: new Map(), cutoffs: new Map() });

export function cutoffKey(user: string): string {
  return CUTOFF_PREFIX + createHash("sha256").update(user, "utf8").digest("hex").slice(0, 40);
}

function json(text: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(text) as unknown;
    return value && typeof value === "object" && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

const validTime = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
const validUser = (v: unknown): v is string => typeof v === "string" && v.length > 0 && v.length <= 256;

/** Parses the Secret's data; every unreadable key is an issue naming it, and is left out. */
export function parseSessionRecords(data: Readonly<Record<string, string>> | undefined): {
  records: SessionRecords;
  issues: string[];
} {
  const records = emptySessionRecords();
  const issues: string[] = [];
  const bad = (key: string, why: string) =>
    issues.push(`Secret ${SESSIONS_SECRET} key ${key}: ${why} (ignored)`);
  for (const [key, text] of Object.entries(data ?? {})) {
    const value = json(text);
    if (key === CUTOFF_ALL) {
      if (validTime(value?.before)) records.cutoffAll = value.before;
      else bad(key, 'expected {"before": <ms>}');
    } else if (key.startsWith(REVOKED_PREFIX)) {
      const sid = key.slice(REVOKED_PREFIX.length);
      if (!SID_PATTERN.test(sid)) bad(key, "not a session id");
      else if (!validTime(value?.exp) || !validUser(value.user)) {
        // The key still names the session: it stays revoked (fail closed), with no expiry to prune
        // it by; an unreadable value must not bring a logged-out session back (hostile testing).
        const expected = 'expected {"exp": <seconds>, "user": "<name>"}';
        issues.push(`Secret ${SESSIONS_SECRET} key ${key}: ${expected} (the session stays revoked)`);
        records.revoked.set(sid, { exp: Number.MAX_SAFE_INTEGER, user: "unknown" });
      } else records.revoked.set(sid, { exp: value.exp, user: value.user });
    } else if (key.startsWith(CUTOFF_PREFIX)) {
      if (!validTime(value?.before) || !validUser(value.user))
        bad(key, 'expected {"user": "<name>", "before": <ms>}');
      else if (cutoffKey(value.user) !== key)
        bad(key, `does not match the hash of user ${JSON.stringify(value.user)}`);
      else records.cutoffs.set(value.user, Math.max(value.before, records.cutoffs.get(value.user) ?? 0));
    } else bad(key, `unknown key (expected ${REVOKED_PREFIX}<sid>, ${CUTOFF_PREFIX}<hash>, ${CUTOFF_ALL})`);
  }
  return { records, issues };
}

export function serializeSessionRecords(records: SessionRecords): Record<string, string> {
  const data: Record<string, string> = {};
  for (const [sid, r] of records.revoked)
    data[REVOKED_PREFIX + sid] = JSON.stringify({ exp: r.exp, user: r.user });
  for (const [user, before] of records.cutoffs) data[cutoffKey(user)] = JSON.stringify({ user, before });
  if (records.cutoffAll !== undefined) data[CUTOFF_ALL] = JSON.stringify({ before: records.cutoffAll });
  return data;
}

/** The instant (ms) before which `user`'s sessions are invalid, if any. */
export function sessionCutoff(records: SessionRecords, user: string): number | undefined {
  const mine = records.cutoffs.get(user);
  const all = records.cutoffAll;
  if (mine === undefined) return all;
  return all === undefined ? mine : Math.max(mine, all);
}

export interface PruneOptions {
  nowMs: number;
  /** The longest session lifetime: a cut-off older than this can no longer refuse anything. */
  sessionTtlSeconds: number;
  maxRevocations?: number;
  maxCutoffs?: number;
}

/** Drops what can no longer matter and applies the size policy (see the header). Pure. */
export function pruneSessionRecords(records: SessionRecords, options: PruneOptions): SessionRecords {
  const nowSeconds = Math.floor(options.nowMs / 1000);
  const horizon = options.nowMs - options.sessionTtlSeconds * 1000;
  const revoked = new Map([...records.revoked].filter(([, r]) => r.exp > nowSeconds));
  const cutoffs = new Map([...records.cutoffs].filter(([, before]) => before > horizon));
  let cutoffAll =
    records.cutoffAll !== undefined && records.cutoffAll > horizon ? records.cutoffAll : undefined;

  const maxRevocations = options.maxRevocations ?? MAX_REVOCATIONS;
  if (revoked.size > maxRevocations) {
    // The cut-off is "now": it ends the revoked session (issued before now) and the user's others.
    const soonest = [...revoked].sort((a, b) => a[1].exp - b[1].exp || a[0].localeCompare(b[0]));
    for (const [sid, r] of soonest.slice(0, revoked.size - maxRevocations)) {
      revoked.delete(sid);
      cutoffs.set(r.user, Math.max(options.nowMs, cutoffs.get(r.user) ?? 0));
    }
  }
  if (cutoffs.size > (options.maxCutoffs ?? MAX_CUTOFFS)) {
    cutoffAll = Math.max(cutoffAll ?? 0, ...cutoffs.values());
    cutoffs.clear();
  }
  return { revoked, cutoffs, ...(cutoffAll !== undefined ? { cutoffAll } : {}) };
}

/** The records with one more revocation (already pruned: ready to write). */
export function withRevocation(
  records: SessionRecords,
  sid: string,
  revocation: Revocation,
  options: PruneOptions,
): SessionRecords {
  const revoked = new Map(records.revoked).set(sid, revocation);
  return pruneSessionRecords({ ...records, revoked }, options);
}

/** The records with `user`'s sessions issued before `beforeMs` cut off (ready to write). */
export function withCutoff(
  records: SessionRecords,
  user: string,
  beforeMs: number,
  options: PruneOptions,
): SessionRecords {
  const cutoffs = new Map(records.cutoffs).set(user, Math.max(beforeMs, records.cutoffs.get(user) ?? 0));
  return pruneSessionRecords({ ...records, cutoffs }, options);
}
