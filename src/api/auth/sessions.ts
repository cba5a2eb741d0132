// Signed session tokens for browser (cookie) and CLI logins.
//
//   token = base64url(JSON {sub, iat, exp, sid[, groups]}) "." base64url(HMAC-SHA256(key, DOMAIN + payload))
//
// `groups` is only present for SSO logins: the groups claim of the ID token at login, signed into
// the session so every replica (and a restarted server) grants the same RBAC groups.
//
// Stateless to verify (no store round-trip for the signature), with revocation by `sid` through an
// injected store for logout. Keys rotate: sign with `current`, accept `current` and `previous`
// until the previous key has outlived the longest session TTL. Times in the payload are seconds.
import { createHmac } from "node:crypto";
import type { Clock, RandomBytes } from "./constanttime.js";
import { decodeBase64Url, defaultRandomBytes, safeEqualBuffers } from "./constanttime.js";

export interface SessionPayload {
  sub: string;
  /** Issued at, seconds since the epoch. */
  iat: number;
  /** Expires at (exclusive), seconds since the epoch. */
  exp: number;
  /** Random session id: the handle for revocation and CSRF binding. */
  sid: string;
  /** Groups from the identity provider at login (SSO sessions only). */
  groups?: string[];
}

export interface SessionKeys {
  current: Buffer;
  previous?: readonly Buffer[];
}

export const MIN_SESSION_KEY_BYTES = 32;
export const DEFAULT_SESSION_TTL_SECONDS = 24 * 60 * 60;
/** Browsers keep cookies up to ~4 KiB (name, value and attributes); stay below with room to spare. */
export const MAX_SESSION_TOKEN_LENGTH = 3800;
const MAX_TOKEN_LENGTH = MAX_SESSION_TOKEN_LENGTH;
const MAX_SUBJECT_LENGTH = 256;
export const MAX_SESSION_GROUPS = 100;
const MAX_GROUP_LENGTH = 256;
/** Tolerated clock skew between replicas for `iat` in the future. */
const CLOCK_SKEW_SECONDS = 60;
const DOMAIN = "tether-session.v1.";
const SID_PATTERN = /^[A-Za-z0-9_-]{22,64}$/;

export function generateSessionKey(random: RandomBytes = defaultRandomBytes): Buffer {
  return random(MIN_SESSION_KEY_BYTES);
}

function sign(key: Buffer, payload64: string): Buffer {
  if (key.length < MIN_SESSION_KEY_BYTES)
    throw new Error(`session key shorter than ${MIN_SESSION_KEY_BYTES} bytes`);
  return createHmac("sha256", key)
    .update(DOMAIN + payload64, "utf8")
    .digest();
}

export interface IssueOptions {
  now: Clock;
  random?: RandomBytes;
  ttlSeconds?: number;
  /** SSO groups to sign into the session (see MAX_SESSION_GROUPS). */
  groups?: readonly string[];
}

function validGroups(groups: unknown): groups is string[] {
  return (
    Array.isArray(groups) &&
    groups.length <= MAX_SESSION_GROUPS &&
    groups.every((g) => typeof g === "string" && g.length > 0 && g.length <= MAX_GROUP_LENGTH)
  );
}

/** Issues a session token. Throws when the subject or groups are out of bounds or the token too long. */
export function issueSession(
  subject: string,
  key: Buffer,
  options: IssueOptions,
): { token: string; payload: SessionPayload } {
  if (subject.length === 0 || subject.length > MAX_SUBJECT_LENGTH) throw new Error("invalid session subject");
  const ttl = options.ttlSeconds ?? DEFAULT_SESSION_TTL_SECONDS;
  if (!Number.isSafeInteger(ttl) || ttl <= 0)
    throw new Error("session TTL must be a positive whole number of seconds");
  const iat = Math.floor(options.now() / 1000);
  const payload: SessionPayload = {
    sub: subject,
    iat,
    exp: iat + ttl,
    sid: (options.random ?? defaultRandomBytes)(16).toString("base64url"),
    ...(options.groups ? { groups: [...options.groups] } : {}),
  };
  if (payload.groups && !validGroups(payload.groups)) {
    throw new Error(
      `session groups: at most ${MAX_SESSION_GROUPS}, each 1 to ${MAX_GROUP_LENGTH} characters`,
    );
  }
  const payload64 = Buffer.from(JSON.stringify(payload), "utf8").toString("base64url");
  const token = `${payload64}.${sign(key, payload64).toString("base64url")}`;
  if (token.length > MAX_TOKEN_LENGTH) {
    throw new Error(
      `session token would be ${token.length} characters, over ${MAX_TOKEN_LENGTH} (too many or too long groups)`,
    );
  }
  return { token, payload };
}

export type SessionFailure = "malformed" | "bad-signature" | "expired" | "not-yet-valid" | "revoked";
export type SessionResult = { ok: true; session: SessionPayload } | { ok: false; reason: SessionFailure };

function isPayload(value: unknown): value is SessionPayload {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const v = value as Record<string, unknown>;
  const keys = Object.keys(v).length;
  if (keys !== 4 && !(keys === 5 && "groups" in v && validGroups(v.groups))) return false;
  return (
    typeof v.sub === "string" &&
    v.sub.length > 0 &&
    v.sub.length <= MAX_SUBJECT_LENGTH &&
    Number.isSafeInteger(v.iat) &&
    Number.isSafeInteger(v.exp) &&
    (v.exp as number) > (v.iat as number) &&
    typeof v.sid === "string" &&
    SID_PATTERN.test(v.sid)
  );
}

export interface VerifyOptions {
  now: Clock;
  /** Reject sessions issued before this instant (ms), e.g. the admin's last password change. */
  issuedAfter?: number;
}

/**
 * Verifies signature (constant-time, against every accepted key) before looking at the payload,
 * then shape and time. Pure and synchronous; revocation is `checkSession`'s job.
 */
export function verifySessionToken(token: string, keys: SessionKeys, options: VerifyOptions): SessionResult {
  if (token.length > MAX_TOKEN_LENGTH) return { ok: false, reason: "malformed" };
  const parts = token.split(".");
  if (parts.length !== 2) return { ok: false, reason: "malformed" };
  const [payload64 = "", sig64 = ""] = parts;
  const signature = decodeBase64Url(sig64);
  const payloadBytes = decodeBase64Url(payload64);
  if (!signature || signature.length !== 32 || !payloadBytes || payloadBytes.length === 0) {
    return { ok: false, reason: "malformed" };
  }
  let valid = false;
  for (const key of [keys.current, ...(keys.previous ?? [])]) {
    // No early exit: the time taken does not depend on which key (if any) matched.
    if (safeEqualBuffers(sign(key, payload64), signature)) valid = true;
  }
  if (!valid) return { ok: false, reason: "bad-signature" };

  let payload: unknown;
  try {
    payload = JSON.parse(payloadBytes.toString("utf8"));
  } catch {
    return { ok: false, reason: "malformed" };
  }
  if (!isPayload(payload)) return { ok: false, reason: "malformed" };
  const nowSeconds = Math.floor(options.now() / 1000);
  if (nowSeconds >= payload.exp) return { ok: false, reason: "expired" };
  if (payload.iat > nowSeconds + CLOCK_SKEW_SECONDS) return { ok: false, reason: "not-yet-valid" };
  if (options.issuedAfter !== undefined && payload.iat < Math.floor(options.issuedAfter / 1000)) {
    return { ok: false, reason: "expired" };
  }
  return { ok: true, session: payload };
}

/** Revoked session ids. Entries only need to live until the session would have expired anyway. */
export interface RevocationStore {
  isRevoked(sid: string): boolean | Promise<boolean>;
  revoke(sid: string, expiresAtSeconds: number): void | Promise<void>;
}

/** Verifies the token, then asks the revocation store. */
export async function checkSession(
  token: string,
  keys: SessionKeys,
  revocations: RevocationStore,
  options: VerifyOptions,
): Promise<SessionResult> {
  const result = verifySessionToken(token, keys, options);
  if (!result.ok) return result;
  if (await revocations.isRevoked(result.session.sid)) return { ok: false, reason: "revoked" };
  return result;
}

/**
 * Single-process revocation list with bounded memory: expired entries are dropped on every
 * write, and past `maxEntries` the soonest-expiring go first. A multi-replica server needs a
 * shared store (e.g. a Secret or ConfigMap) behind the same interface.
 */
export class MemoryRevocationStore implements RevocationStore {
  private readonly revoked = new Map<string, number>();
  constructor(
    private readonly now: Clock,
    private readonly maxEntries = 100_000,
  ) {}

  isRevoked(sid: string): boolean {
    return this.revoked.has(sid);
  }

  revoke(sid: string, expiresAtSeconds: number): void {
    const nowSeconds = Math.floor(this.now() / 1000);
    for (const [id, exp] of this.revoked) if (exp <= nowSeconds) this.revoked.delete(id);
    if (expiresAtSeconds <= nowSeconds) return;
    this.revoked.set(sid, expiresAtSeconds);
    if (this.revoked.size > this.maxEntries) {
      const soonest = [...this.revoked]
        .sort((a, b) => a[1] - b[1])
        .slice(0, this.revoked.size - this.maxEntries);
      for (const [id] of soonest) this.revoked.delete(id);
    }
  }

  get size(): number {
    return this.revoked.size;
  }
}

// ---- cookies ---------------------------------------------------------------------------------

/** `__Host-` makes browsers refuse the cookie unless Secure, Path=/ and host-only: no subdomain
 * can plant or overwrite it. Plain-HTTP localhost development cannot use the prefix. */
export function sessionCookieName(secure: boolean): string {
  return secure ? "__Host-tether_session" : "tether_session";
}

export interface CookieOptions {
  /** False only for plain-HTTP localhost development. */
  secure: boolean;
  maxAgeSeconds?: number;
}

export function sessionCookie(token: string, options: CookieOptions): string {
  // Tokens are base64url + "."; anything else could inject cookie attributes or headers.
  if (!/^[A-Za-z0-9._-]*$/.test(token))
    throw new Error("session token has characters not allowed in a cookie");
  const attributes = [`${sessionCookieName(options.secure)}=${token}`, "Path=/", "HttpOnly", "SameSite=Lax"];
  if (options.secure) attributes.push("Secure");
  if (options.maxAgeSeconds !== undefined)
    attributes.push(`Max-Age=${Math.max(0, Math.floor(options.maxAgeSeconds))}`);
  return attributes.join("; ");
}

export function clearSessionCookie(options: { secure: boolean }): string {
  return sessionCookie("", { secure: options.secure, maxAgeSeconds: 0 });
}

/** The session token from a `Cookie` request header, or undefined. Repeated cookies are refused. */
export function readSessionCookie(cookieHeader: string | undefined, secure: boolean): string | undefined {
  if (!cookieHeader) return undefined;
  const name = sessionCookieName(secure);
  const values = cookieHeader
    .split(";")
    .map((part) => part.trim())
    .filter((part) => part.startsWith(`${name}=`))
    .map((part) => part.slice(name.length + 1));
  return values.length === 1 && values[0] ? values[0] : undefined;
}
