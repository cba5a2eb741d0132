// Constant-time comparison helpers shared by every auth module. `timingSafeEqual` throws on
// length mismatch and would leak the expected length through an early return, so secrets of
// arbitrary length are compared as SHA-256 digests (always 32 bytes); fixed-size MACs compare
// directly after a length check that depends only on public format.
import { createHash, randomBytes as nodeRandomBytes, timingSafeEqual } from "node:crypto";

/** Injected randomness: tests pass a deterministic source, production uses node:crypto. */
export type RandomBytes = (size: number) => Buffer;
/** Injected clock in milliseconds since the epoch (like `Date.now`). */
export type Clock = () => number;

export const defaultRandomBytes: RandomBytes = (size) => nodeRandomBytes(size);

/** Equal strings, compared without leaking content or length through timing. */
export function safeEqualStrings(a: string, b: string): boolean {
  const da = createHash("sha256").update(a, "utf8").digest();
  const db = createHash("sha256").update(b, "utf8").digest();
  return timingSafeEqual(da, db);
}

/** Equal buffers of a length both sides agree on in advance (digests, MACs). */
export function safeEqualBuffers(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  return timingSafeEqual(a, b);
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** Strict base64url decode: undefined for any character outside the alphabet or non-canonical input. */
export function decodeBase64Url(text: string): Buffer | undefined {
  if (!BASE64URL.test(text) || text.length % 4 === 1) return undefined;
  const bytes = Buffer.from(text, "base64url");
  // Node ignores trailing garbage bits; re-encoding catches non-canonical encodings of the same bytes.
  return bytes.toString("base64url") === text ? bytes : undefined;
}

/** Strict standard base64 (with padding) decode, as stored in password hashes. */
export function decodeBase64(text: string): Buffer | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) return undefined;
  const bytes = Buffer.from(text, "base64");
  return bytes.toString("base64") === text ? bytes : undefined;
}
