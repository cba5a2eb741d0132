// Login rate limiting, per username and per client address. Defaults: 5 failures within 5 minutes
// lock the key for 30 s, each further lockout doubles (capped at 15 min). A key with no failures
// for `forgetAfterMs` is forgotten. A request is refused if EITHER its username or its address is
// locked, so spraying one password over many users from one address and hammering one user from
// many addresses are both slowed.
//
// Success resets the username's counter but not the address's: otherwise an attacker with any
// valid account could clear their address's counter between guesses at someone else's.
// IPv6 addresses are grouped by /64, the block a single host usually controls.
//
// Memory is bounded: at most `maxEntries` keys; past that, forgotten entries are swept and then
// the least recently touched are evicted. An attacker who can fill the table can evict their own
// entry, which costs them ~maxEntries distinct failing keys per eviction — the bound is chosen so
// that is slower than the lockout it escapes.
//
// The counters live in each replica's memory, not in the cluster: with N replicas behind a
// Service, an attacker spreading guesses over them gets up to N times the attempts before a
// lockout. Accepted (docs/security.md): sharing them would put a cluster write on every failed
// login, which an attacker could then use to load the apiserver; scrypt keeps each guess costly.
import { isIPv6 } from "node:net";
import type { Clock } from "./constanttime.js";

export interface RateLimitOptions {
  now: Clock;
  maxFailures?: number;
  windowMs?: number;
  baseLockoutMs?: number;
  maxLockoutMs?: number;
  forgetAfterMs?: number;
  maxEntries?: number;
}

export interface LoginAttempt {
  username: string;
  ip: string;
}

export type RateLimitDecision = { allowed: true } | { allowed: false; retryAfterMs: number };

interface Entry {
  /** Failure times inside the current window, oldest first. */
  failures: number[];
  /** Consecutive lockouts, for the exponential backoff. */
  lockouts: number;
  lockedUntil: number;
  lastFailureAt: number;
}

/** IPv6 → its /64 prefix (expanded, lowercase); IPv4 and IPv4-mapped IPv6 → the IPv4 address. */
export function clientKey(ip: string): string {
  const address = ip.trim().toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(address);
  if (mapped?.[1]) return mapped[1];
  if (!isIPv6(address)) return address.slice(0, 64);
  const [head = "", tail = ""] = address.split("::");
  const headGroups = head ? head.split(":") : [];
  const tailGroups = address.includes("::") && tail ? tail.split(":") : [];
  const groups = address.includes("::")
    ? [...headGroups, ...Array<string>(8 - headGroups.length - tailGroups.length).fill("0"), ...tailGroups]
    : headGroups;
  return `${groups
    .slice(0, 4)
    .map((g) => g.padStart(4, "0"))
    .join(":")}::/64`;
}

export class LoginRateLimiter {
  private readonly entries = new Map<string, Entry>();
  private readonly now: Clock;
  private readonly maxFailures: number;
  private readonly windowMs: number;
  private readonly baseLockoutMs: number;
  private readonly maxLockoutMs: number;
  private readonly forgetAfterMs: number;
  private readonly maxEntries: number;

  constructor(options: RateLimitOptions) {
    this.now = options.now;
    this.maxFailures = options.maxFailures ?? 5;
    this.windowMs = options.windowMs ?? 5 * 60_000;
    this.baseLockoutMs = options.baseLockoutMs ?? 30_000;
    this.maxLockoutMs = options.maxLockoutMs ?? 15 * 60_000;
    this.forgetAfterMs = options.forgetAfterMs ?? 60 * 60_000;
    this.maxEntries = options.maxEntries ?? 10_000;
  }

  private keys(attempt: LoginAttempt): string[] {
    // Usernames are case-folded and truncated so that variants share one counter and a huge
    // username cannot be used to grow memory.
    return [`user:${attempt.username.trim().toLowerCase().slice(0, 256)}`, `ip:${clientKey(attempt.ip)}`];
  }

  private live(key: string, now: number): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry && now - entry.lastFailureAt > this.forgetAfterMs && now >= entry.lockedUntil) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  /** Call before checking the password. Refused attempts must not check it (nor count again). */
  check(attempt: LoginAttempt): RateLimitDecision {
    const now = this.now();
    let retryAfterMs = 0;
    for (const key of this.keys(attempt)) {
      const entry = this.live(key, now);
      if (entry && entry.lockedUntil > now) retryAfterMs = Math.max(retryAfterMs, entry.lockedUntil - now);
    }
    return retryAfterMs > 0 ? { allowed: false, retryAfterMs } : { allowed: true };
  }

  recordFailure(attempt: LoginAttempt): void {
    const now = this.now();
    for (const key of this.keys(attempt)) {
      const entry = this.live(key, now) ?? { failures: [], lockouts: 0, lockedUntil: 0, lastFailureAt: now };
      entry.failures = entry.failures.filter((t) => now - t < this.windowMs);
      entry.failures.push(now);
      entry.lastFailureAt = now;
      if (entry.failures.length >= this.maxFailures) {
        const lockout = Math.min(this.maxLockoutMs, this.baseLockoutMs * 2 ** Math.min(entry.lockouts, 30));
        entry.lockedUntil = now + lockout;
        entry.lockouts += 1;
        entry.failures = [];
      }
      // Re-insert so Map order is least-recently-touched first.
      this.entries.delete(key);
      this.entries.set(key, entry);
    }
    this.evict(now);
  }

  recordSuccess(attempt: LoginAttempt): void {
    const [userKey] = this.keys(attempt);
    if (userKey) this.entries.delete(userKey);
  }

  private evict(now: number): void {
    if (this.entries.size <= this.maxEntries) return;
    for (const key of [...this.entries.keys()]) this.live(key, now);
    for (const key of this.entries.keys()) {
      if (this.entries.size <= this.maxEntries) break;
      this.entries.delete(key);
    }
  }

  get size(): number {
    return this.entries.size;
  }
}
