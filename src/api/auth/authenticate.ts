// One framework-free decision per request: who is calling, and may a cookie-authenticated request
// change state? The HTTP server passes the raw header values and maps the result to 401/403; it
// never re-implements these rules.
//
//   Authorization: Bearer tether_<id>_<secret>  → API token (no CSRF: not an ambient credential)
//   Authorization: Bearer <session token>       → CLI session (no CSRF, same reason)
//   Cookie: __Host-tether_session=<token>       → browser session; unsafe methods need X-CSRF-Token
//
// An Authorization header, when present, is the only credential looked at: a request must not be
// able to pass with a bad bearer token because it also carries a good cookie (or the reverse).
import type { ApiTokenFailure, ApiTokenStore } from "./apitokens.js";
import { API_TOKEN_PREFIX, authenticateApiToken, bearerToken, subjectForApiToken } from "./apitokens.js";
import type { Clock } from "./constanttime.js";
import { checkCsrf } from "./csrf.js";
import type { Subject } from "./rbac.js";
import type { RevocationStore, SessionFailure, SessionKeys, SessionPayload } from "./sessions.js";
import { checkSession, readSessionCookie } from "./sessions.js";

export interface AuthRequest {
  method: string;
  authorization: string | undefined;
  cookie: string | undefined;
  csrfToken: string | undefined;
}

export interface AuthDeps {
  now: Clock;
  sessionKeys: SessionKeys;
  csrfKey: Buffer;
  revocations: RevocationStore;
  apiTokens: ApiTokenStore;
  /** True when cookies are Secure (`__Host-` name); false only for plain-HTTP localhost. */
  secureCookies: boolean;
  /** Groups of a session's user (e.g. from the SSO login, kept by sid); none by default. */
  sessionGroups?: (session: SessionPayload) => readonly string[] | Promise<readonly string[]>;
  /** Sessions issued before this instant (ms) are invalid, e.g. the admin's passwordMtime. */
  sessionsIssuedAfter?: (session: SessionPayload) => number | undefined;
}

export type Authenticated =
  | { ok: true; via: "api-token"; subject: Subject; tokenId: string }
  | { ok: true; via: "session-bearer" | "session-cookie"; subject: Subject; session: SessionPayload };

export type AuthFailure =
  /** 401: no credentials or invalid ones. `reason` is for logs/metrics, not for the client. */
  | {
      ok: false;
      status: 401;
      reason: "no-credentials" | "bad-authorization-header" | SessionFailure | ApiTokenFailure;
    }
  /** 403: a valid cookie session without the right CSRF token on a state-changing request. */
  | { ok: false; status: 403; reason: "missing-token" | "invalid-token" };

export type AuthResult = Authenticated | AuthFailure;

async function session(token: string, deps: AuthDeps): Promise<SessionPayload | SessionFailure> {
  const first = await checkSession(token, deps.sessionKeys, deps.revocations, { now: deps.now });
  if (!first.ok) return first.reason;
  const cutoff = deps.sessionsIssuedAfter?.(first.session);
  if (cutoff !== undefined && first.session.iat < Math.floor(cutoff / 1000)) return "expired";
  return first.session;
}

/** The groups signed into the session (SSO) plus any the server keeps for it. */
async function groupsOf(s: SessionPayload, deps: AuthDeps): Promise<readonly string[]> {
  const kept = (await deps.sessionGroups?.(s)) ?? [];
  return s.groups ? [...new Set([...s.groups, ...kept])] : kept;
}

export async function authenticateRequest(request: AuthRequest, deps: AuthDeps): Promise<AuthResult> {
  if (request.authorization !== undefined) {
    const token = bearerToken(request.authorization);
    if (!token) return { ok: false, status: 401, reason: "bad-authorization-header" };
    if (token.startsWith(API_TOKEN_PREFIX)) {
      const result = await authenticateApiToken(token, deps.apiTokens, deps.now);
      if (!result.ok) return { ok: false, status: 401, reason: result.reason };
      return {
        ok: true,
        via: "api-token",
        subject: subjectForApiToken(result.record),
        tokenId: result.record.id,
      };
    }
    const s = await session(token, deps);
    if (typeof s === "string") return { ok: false, status: 401, reason: s };
    return {
      ok: true,
      via: "session-bearer",
      subject: { user: s.sub, groups: await groupsOf(s, deps) },
      session: s,
    };
  }

  const cookieToken = readSessionCookie(request.cookie, deps.secureCookies);
  if (!cookieToken) return { ok: false, status: 401, reason: "no-credentials" };
  const s = await session(cookieToken, deps);
  if (typeof s === "string") return { ok: false, status: 401, reason: s };
  const csrf = checkCsrf(request.method, s.sid, request.csrfToken, deps.csrfKey);
  if (!csrf.ok) return { ok: false, status: 403, reason: csrf.reason };
  return {
    ok: true,
    via: "session-cookie",
    subject: { user: s.sub, groups: await groupsOf(s, deps) },
    session: s,
  };
}
