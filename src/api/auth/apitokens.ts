// Bearer API tokens for CI and scripts:  tether_<id>_<secret>
//   id      16 lowercase hex chars: public lookup key, safe to log and list.
//   secret  43 base64url chars (32 random bytes): shown once at creation, never stored.
// Only SHA-256(secret) is kept. A slow hash is unnecessary: the secret has 256 bits of entropy,
// so there is nothing to brute-force, and a fast hash keeps every API call cheap.
// The recognisable prefix lets secret scanners (GitHub push protection, gitleaks) find leaks.
import { createHash } from "node:crypto";
import type { Clock, RandomBytes } from "./constanttime.js";
import { defaultRandomBytes, safeEqualBuffers } from "./constanttime.js";
import type { Subject } from "./rbac.js";

export const API_TOKEN_PREFIX = "tether_";
const TOKEN_PATTERN = /^tether_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

export interface ApiTokenRecord {
  id: string;
  /** The user the token acts for; RBAC evaluates the owner's bindings, restricted to `roles`. */
  owner: string;
  /** The owner's groups when the token was made (SSO groups are not known at request time). */
  groups: string[];
  /** Roles the token may use (a subset of the owner's at creation; enforced by the caller). */
  roles: string[];
  description: string;
  /** Hex SHA-256 of the secret part. */
  secretHash: string;
  createdAt: number;
  /** Milliseconds since the epoch; undefined = no expiry. */
  expiresAt?: number;
  revokedAt?: number;
  /**
   * The owner was a declared local account (ConfigMap tether-accounts) when the token was made: the
   * token then stops once that account is removed, disabled or loses `apiKey`. Tokens without it
   * act for names that are no account (token-only identities an admin created, as before accounts).
   */
  account?: boolean;
}

export interface ParsedApiToken {
  id: string;
  secret: string;
}

export function parseApiToken(token: string): ParsedApiToken | undefined {
  const match = TOKEN_PATTERN.exec(token);
  if (!match?.[1] || !match[2]) return undefined;
  return { id: match[1], secret: match[2] };
}

/** The token from an `Authorization: Bearer …` header, or undefined. */
export function bearerToken(authorization: string | undefined): string | undefined {
  const match = /^Bearer ([^\s]+)$/i.exec(authorization?.trim() ?? "");
  return match?.[1];
}

function hashSecret(secret: string): Buffer {
  return createHash("sha256").update(secret, "utf8").digest();
}

export interface CreateApiTokenInput {
  owner: string;
  groups?: string[];
  roles: string[];
  description?: string;
  ttlSeconds?: number;
  /** See ApiTokenRecord.account. */
  account?: boolean;
  now: Clock;
  random?: RandomBytes;
}

/** Mints a token. Return `token` to the user once; persist only `record`. */
export function createApiToken(input: CreateApiTokenInput): { token: string; record: ApiTokenRecord } {
  const random = input.random ?? defaultRandomBytes;
  const id = random(8).toString("hex");
  const secret = random(32).toString("base64url");
  const createdAt = input.now();
  const record: ApiTokenRecord = {
    id,
    owner: input.owner,
    groups: [...(input.groups ?? [])],
    roles: [...input.roles],
    description: input.description ?? "",
    secretHash: hashSecret(secret).toString("hex"),
    createdAt,
    ...(input.ttlSeconds !== undefined ? { expiresAt: createdAt + input.ttlSeconds * 1000 } : {}),
    ...(input.account ? { account: true } : {}),
  };
  return { token: `${API_TOKEN_PREFIX}${id}_${secret}`, record };
}

export type ApiTokenFailure = "malformed" | "unknown" | "invalid" | "expired" | "revoked";
export type ApiTokenResult = { ok: true; record: ApiTokenRecord } | { ok: false; reason: ApiTokenFailure };

// Compared against when the id is unknown, so unknown and wrong tokens cost the same.
const DUMMY_HASH = Buffer.alloc(32);

/**
 * Verifies a presented token against the record stored under its id (undefined if none).
 * Pure; the caller looks the record up by `parseApiToken(token).id`. Clients should get one
 * generic 401 for every failure reason; the reason is for logs and metrics.
 */
export function verifyApiToken(
  token: string,
  record: ApiTokenRecord | undefined,
  now: Clock,
): ApiTokenResult {
  const parsed = parseApiToken(token);
  if (!parsed) return { ok: false, reason: "malformed" };
  const stored = record && record.id === parsed.id ? Buffer.from(record.secretHash, "hex") : DUMMY_HASH;
  const matches = safeEqualBuffers(hashSecret(parsed.secret), stored.length === 32 ? stored : DUMMY_HASH);
  if (!record || record.id !== parsed.id) return { ok: false, reason: "unknown" };
  if (!matches) return { ok: false, reason: "invalid" };
  if (record.revokedAt !== undefined) return { ok: false, reason: "revoked" };
  if (record.expiresAt !== undefined && now() >= record.expiresAt) return { ok: false, reason: "expired" };
  return { ok: true, record };
}

/** Token storage, e.g. one Secret per token or one Secret with a key per id. */
export interface ApiTokenStore {
  get(id: string): Promise<ApiTokenRecord | undefined>;
}

export async function authenticateApiToken(
  token: string,
  store: ApiTokenStore,
  now: Clock,
): Promise<ApiTokenResult> {
  const parsed = parseApiToken(token);
  if (!parsed) return { ok: false, reason: "malformed" };
  return verifyApiToken(token, await store.get(parsed.id), now);
}

/** How long a revoked or expired token's record stays listed (`tether token list`) before it is pruned. */
export const ENDED_TOKEN_RETENTION_MS = 7 * 24 * 3_600_000;

/**
 * Ids of records whose token ended (revoked or expired) more than `retentionMs` ago. Pruning one
 * cannot bring its token back: an unknown id is refused like a revoked one.
 */
export function endedTokenIds(
  records: readonly ApiTokenRecord[],
  nowMs: number,
  retentionMs = ENDED_TOKEN_RETENTION_MS,
): string[] {
  const endedAt = (r: ApiTokenRecord) => Math.min(r.revokedAt ?? Infinity, r.expiresAt ?? Infinity);
  return records.filter((r) => endedAt(r) + retentionMs <= nowMs).map((r) => r.id);
}

/** A revoked copy of the record, for the caller to persist. Revocation is permanent. */
export function revokeApiToken(record: ApiTokenRecord, now: Clock): ApiTokenRecord {
  return record.revokedAt !== undefined ? record : { ...record, revokedAt: now() };
}

/** What listing endpoints may show: never the hash. */
export function publicApiTokenView(record: ApiTokenRecord): Omit<ApiTokenRecord, "secretHash"> {
  const { secretHash: _secretHash, ...rest } = record;
  return rest;
}

/**
 * The RBAC subject a token acts as: its owner (with the groups snapshot), limited to the token's
 * roles. Removing the owner's binding from the policy therefore also takes the right from the
 * token; removing the owner from an IdP group does not (revoke the token for that).
 */
export function subjectForApiToken(record: ApiTokenRecord): Subject {
  return { user: record.owner, groups: record.groups, restrictToRoles: record.roles };
}
