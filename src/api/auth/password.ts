// Password hashing for the local admin (and any future local users). scrypt with a per-password
// random salt; the cost parameters travel inside the stored string so they can be raised later
// without invalidating existing hashes:
//
//   scrypt$<N>$<r>$<p>$<salt base64>$<hash base64>
//
// Stored strings come from a Secret a cluster admin can edit, so they are parsed strictly and
// parameters are bounded: a hand-edited `N=2^30` must not turn every login into a 1 GiB allocation.
import { scrypt as scryptCallback } from "node:crypto";
import type { RandomBytes } from "./constanttime.js";
import { decodeBase64, defaultRandomBytes, safeEqualBuffers } from "./constanttime.js";

export interface ScryptParams {
  /** CPU/memory cost, a power of two. */
  N: number;
  r: number;
  p: number;
}

/** OWASP's scrypt baseline (N=2^17, r=8, p=1) costs ~128 MiB per login; 2^15 keeps a burst of
 * concurrent logins affordable for a controller pod while staying well above brute-force range. */
export const DEFAULT_SCRYPT_PARAMS: ScryptParams = { N: 2 ** 15, r: 8, p: 1 };
const SALT_BYTES = 16;
const HASH_BYTES = 32;
const LIMITS = {
  minLogN: 10,
  maxLogN: 20,
  maxR: 32,
  maxP: 16,
  minSalt: 8,
  maxSalt: 64,
  minHash: 16,
  maxHash: 64,
  maxMemoryBytes: 256 * 1024 * 1024,
};
/** Shortest new password a user may set (the generated initial one is 32 characters). */
export const MIN_PASSWORD_LENGTH = 12;
/** Longer inputs are refused rather than hashed: nobody types 1 KiB, attackers send 1 MiB. */
export const MAX_PASSWORD_LENGTH = 1024;

export interface ParsedPasswordHash {
  params: ScryptParams;
  salt: Buffer;
  hash: Buffer;
}

function scrypt(password: string, salt: Buffer, keyLength: number, params: ScryptParams): Promise<Buffer> {
  // Node's default maxmem (32 MiB) is exactly 128*N*r for the default params; leave headroom.
  const maxmem = 256 * params.N * params.r + 1024 * 1024;
  return new Promise((resolve, reject) => {
    scryptCallback(
      password.normalize("NFC"),
      salt,
      keyLength,
      { N: params.N, r: params.r, p: params.p, maxmem },
      (error, key) => (error ? reject(error) : resolve(key)),
    );
  });
}

function validParams(params: ScryptParams): boolean {
  const { N, r, p } = params;
  const logN = Math.log2(N);
  return (
    Number.isInteger(logN) &&
    logN >= LIMITS.minLogN &&
    logN <= LIMITS.maxLogN &&
    Number.isInteger(r) &&
    r >= 1 &&
    r <= LIMITS.maxR &&
    Number.isInteger(p) &&
    p >= 1 &&
    p <= LIMITS.maxP &&
    // scrypt needs ~128*N*r bytes: a hand-edited Secret must not make each login allocate GiBs.
    128 * N * r <= LIMITS.maxMemoryBytes
  );
}

/** Parses a stored hash; undefined for anything malformed or out of bounds (never throws). */
export function parsePasswordHash(stored: string): ParsedPasswordHash | undefined {
  const parts = stored.split("$");
  if (parts.length !== 6 || parts[0] !== "scrypt") return undefined;
  const [, n, r, p, salt64, hash64] = parts;
  const decimal = /^[1-9][0-9]{0,9}$/;
  if (!n || !r || !p || !decimal.test(n) || !decimal.test(r) || !decimal.test(p)) return undefined;
  const params = { N: Number(n), r: Number(r), p: Number(p) };
  if (!validParams(params)) return undefined;
  const salt = decodeBase64(salt64 ?? "");
  const hash = decodeBase64(hash64 ?? "");
  if (!salt || salt.length < LIMITS.minSalt || salt.length > LIMITS.maxSalt) return undefined;
  if (!hash || hash.length < LIMITS.minHash || hash.length > LIMITS.maxHash) return undefined;
  return { params, salt, hash };
}

export interface HashOptions {
  params?: ScryptParams;
  random?: RandomBytes;
}

/** Hashes a password into the self-describing stored form. Throws on empty or over-long input. */
export async function hashPassword(password: string, options: HashOptions = {}): Promise<string> {
  if (password.length === 0) throw new Error("password must not be empty");
  if (password.length > MAX_PASSWORD_LENGTH) throw new Error(`password longer than ${MAX_PASSWORD_LENGTH}`);
  const params = options.params ?? DEFAULT_SCRYPT_PARAMS;
  if (!validParams(params)) throw new Error(`scrypt parameters out of bounds: ${JSON.stringify(params)}`);
  const salt = (options.random ?? defaultRandomBytes)(SALT_BYTES);
  const hash = await scrypt(password, salt, HASH_BYTES, params);
  return ["scrypt", params.N, params.r, params.p, salt.toString("base64"), hash.toString("base64")].join("$");
}

/**
 * True only if `password` matches `stored`. A malformed stored string, an empty or over-long
 * password all give false. The final comparison is constant-time; the scrypt work itself is the
 * same for right and wrong passwords.
 */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parsePasswordHash(stored);
  if (!parsed || password.length === 0 || password.length > MAX_PASSWORD_LENGTH) return false;
  const candidate = await scrypt(password, parsed.salt, parsed.hash.length, parsed.params);
  return safeEqualBuffers(candidate, parsed.hash);
}

/** True when a stored hash uses weaker parameters than `target`, so the caller may rehash on login. */
export function needsRehash(stored: string, target: ScryptParams = DEFAULT_SCRYPT_PARAMS): boolean {
  const parsed = parsePasswordHash(stored);
  if (!parsed) return true;
  const { N, r, p } = parsed.params;
  return N < target.N || r < target.r || p < target.p;
}

/** A random URL-safe password: 24 random bytes → 32 base64url characters (192 bits). */
export function generatePassword(random: RandomBytes = defaultRandomBytes): string {
  return random(24).toString("base64url");
}
