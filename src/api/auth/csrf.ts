// CSRF protection for cookie-authenticated requests: a synchronizer token derived from the
// session id, HMAC(csrfKey, sid). Nothing to store, it dies with the session, and a token stolen
// from one session is useless for another. SameSite=Lax already stops most cross-site POSTs; this
// covers same-site attackers (sibling subdomains) and old browsers.
//
// Bearer-token requests are exempt: a browser never attaches an Authorization header on its own,
// so there is no ambient credential to forge with.
import { createHmac } from "node:crypto";
import { safeEqualStrings } from "./constanttime.js";

export const CSRF_HEADER = "X-CSRF-Token";
const DOMAIN = "tether-csrf.v1.";
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** The token the UI must echo in X-CSRF-Token. Use a key distinct from the session signing key. */
export function csrfTokenFor(sessionId: string, key: Buffer): string {
  if (key.length < 32) throw new Error("CSRF key shorter than 32 bytes");
  return createHmac("sha256", key)
    .update(DOMAIN + sessionId, "utf8")
    .digest("base64url");
}

export function isStateChanging(method: string): boolean {
  return !SAFE_METHODS.has(method.toUpperCase());
}

export type CsrfResult = { ok: true } | { ok: false; reason: "missing-token" | "invalid-token" };

/** Checks a cookie-authenticated request. Safe methods pass; others need the right header value. */
export function checkCsrf(
  method: string,
  sessionId: string,
  headerValue: string | undefined,
  key: Buffer,
): CsrfResult {
  if (!isStateChanging(method)) return { ok: true };
  if (!headerValue) return { ok: false, reason: "missing-token" };
  return safeEqualStrings(headerValue.trim(), csrfTokenFor(sessionId, key))
    ? { ok: true }
    : { ok: false, reason: "invalid-token" };
}
