// The short-lived login state of an OIDC authorization-code + PKCE flow, kept in the browser between
// /api/v1/auth/oidc/login and the provider's redirect back to /callback: state, nonce, the PKCE code
// verifier and where to go afterwards.
//
// Sealed with AES-256-GCM under a key derived (HKDF) from the server's session key: the browser
// can neither read the verifier nor forge or alter any field, and every replica can open it (no
// server-side store). The cookie is HttpOnly, SameSite=Lax (it must ride along on the provider's
// top-level redirect back), and expires after LOGIN_STATE_TTL_SECONDS; the expiry inside the
// sealed value is what counts, checked against the injected clock.
import { createCipheriv, createDecipheriv, hkdfSync } from "node:crypto";
import type { Clock, RandomBytes } from "./constanttime.js";
import { decodeBase64Url, defaultRandomBytes } from "./constanttime.js";

export const LOGIN_STATE_TTL_SECONDS = 10 * 60;
const DOMAIN = "tether-oidc-state.v1";
const IV_BYTES = 12;
const TAG_BYTES = 16;
const MAX_COOKIE_LENGTH = 2048;

export interface LoginState {
  state: string;
  nonce: string;
  /** PKCE code_verifier. */
  verifier: string;
  /** A path on this server to land on after login. */
  returnTo: string;
  /** Milliseconds since the epoch. */
  expiresAt: number;
}

/** The cookie key for login states, derived from (and rotating with) the session signing key. */
export function loginStateKey(sessionKey: Buffer): Buffer {
  return Buffer.from(hkdfSync("sha256", sessionKey, Buffer.alloc(0), DOMAIN, 32));
}

export function sealLoginState(
  value: LoginState,
  key: Buffer,
  random: RandomBytes = defaultRandomBytes,
): string {
  const iv = random(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(Buffer.from(DOMAIN));
  const body = Buffer.concat([cipher.update(JSON.stringify(value), "utf8"), cipher.final()]);
  return Buffer.concat([iv, body, cipher.getAuthTag()]).toString("base64url");
}

export type OpenedLoginState =
  { ok: true; value: LoginState } | { ok: false; reason: "malformed" | "expired" };

function isLoginState(v: unknown): v is LoginState {
  if (typeof v !== "object" || v === null) return false;
  const o = v as Record<string, unknown>;
  return (
    typeof o.state === "string" &&
    typeof o.nonce === "string" &&
    typeof o.verifier === "string" &&
    typeof o.returnTo === "string" &&
    Number.isSafeInteger(o.expiresAt)
  );
}

export function openLoginState(text: string, key: Buffer, now: Clock): OpenedLoginState {
  const bytes = text.length <= MAX_COOKIE_LENGTH ? decodeBase64Url(text) : undefined;
  if (!bytes || bytes.length <= IV_BYTES + TAG_BYTES) return { ok: false, reason: "malformed" };
  let value: unknown;
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, bytes.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(DOMAIN));
    decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
    const plain = Buffer.concat([
      decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)),
      decipher.final(),
    ]);
    value = JSON.parse(plain.toString("utf8"));
  } catch {
    return { ok: false, reason: "malformed" }; // wrong key, altered bytes or not ours
  }
  if (!isLoginState(value)) return { ok: false, reason: "malformed" };
  if (now() >= value.expiresAt) return { ok: false, reason: "expired" };
  return { ok: true, value };
}

// ---- cookie ----------------------------------------------------------------------------------

export function loginStateCookieName(secure: boolean): string {
  return secure ? "__Host-tether_oidc" : "tether_oidc";
}

export function loginStateCookie(value: string, options: { secure: boolean; maxAgeSeconds: number }): string {
  if (!/^[A-Za-z0-9_-]*$/.test(value)) throw new Error("login state has characters not allowed in a cookie");
  const attributes = [
    `${loginStateCookieName(options.secure)}=${value}`,
    "Path=/",
    "HttpOnly",
    "SameSite=Lax",
  ];
  if (options.secure) attributes.push("Secure");
  attributes.push(`Max-Age=${Math.max(0, Math.floor(options.maxAgeSeconds))}`);
  return attributes.join("; ");
}

export function clearLoginStateCookie(options: { secure: boolean }): string {
  return loginStateCookie("", { secure: options.secure, maxAgeSeconds: 0 });
}

/** The login state cookie's value, or undefined (absent, empty or repeated). */
export function readLoginStateCookie(cookieHeader: string | undefined, secure: boolean): string | undefined {
  const name = `${loginStateCookieName(secure)}=`;
  const values = (cookieHeader ?? "")
    .split(";")
    .map((part) => part.trim())
    .filter((part) => part.startsWith(name))
    .map((part) => part.slice(name.length));
  return values.length === 1 && values[0] ? values[0] : undefined;
}

/**
 * Where to send the browser after login: a path on this server only. Absolute URLs,
 * protocol-relative `//host`, backslashes and control characters all become "/", so the login
 * route cannot be used as an open redirect.
 */
export function safeReturnPath(value: string | undefined): string {
  if (!value || value.length > 1024 || !value.startsWith("/")) return "/";
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
  if (value.startsWith("//") || /[\\\x00-\x1f\x7f]/.test(value)) return "/";
  return value;
}
