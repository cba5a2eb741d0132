// What the auth route modules share, built once by createApiAuth (authn.ts). The route modules
// are the HTTP edge of ./auth: they parse, call the building blocks and map outcomes to statuses.
import type { Context } from "hono";
import type { RequestAuth } from "../requestauth.js";
import { HttpError } from "../../errors.js";
import type { AccountState } from "../account-state.js";
import type { SecretStore } from "../admin.js";
import type { SecretApiTokenStore } from "../apitoken-store.js";
import type { Clock, RandomBytes } from "../constanttime.js";
import type { LoginRateLimiter } from "../ratelimit.js";
import type { Policy } from "../rbac.js";
import type { ClusterSessionState } from "../session-state.js";
import type { RevocationStore, SessionKeys } from "../sessions.js";

export interface AuthRouteContext {
  namespace: string;
  now: Clock;
  random: RandomBytes;
  secure: boolean;
  store: SecretStore;
  apiTokens: SecretApiTokenStore;
  limiter: LoginRateLimiter;
  revocations: RevocationStore;
  /** Revocations and cut-offs in Secret tether-sessions, shared by every replica. */
  sessions: ClusterSessionState;
  /** The local accounts as the watches see them. */
  accounts: AccountState;
  sessionKeys: SessionKeys;
  csrfKey: Buffer;
  policy(): Promise<Policy>;
  /** Reads a ConfigMap's data in the system namespace (undefined when absent). */
  readConfigMap(name: string): Promise<Record<string, string> | undefined>;
  /** Issues a session (cookie set on `c`) and returns the login body. */
  startSession(c: Context, user: string, groups?: readonly string[]): Promise<LoginBody>;
  /** Tells the server `user`'s password changed at `mtime` (ms): older sessions stop here at once
   * (other replicas when their watch of the Secret brings the change). */
  passwordChanged(user: string, mtime: number): void;
  /** Tells the server credentials were revoked (an API token): open event streams re-check theirs. */
  credentialsRevoked(): void;
  clientIp(c: Context): string;
  log(line: string): void;
}

export interface LoginBody {
  user: string;
  token: string;
  csrfToken: string;
  expiresAt: string;
}

/** The caller's credentials as the middleware found them; 401 if there are none. */
export function requireAuth(c: Context): RequestAuth {
  const auth = c.get("tetherAuth");
  if (!auth) throw new HttpError(401, "authentication required");
  return auth;
}

/** A 429 with Retry-After in whole seconds. */
export function tooManyAttempts(c: Context, retryAfterMs: number, what: string): Response {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  return c.json(new HttpError(429, `too many failed ${what}; retry in ${seconds} s`).body(), 429, {
    "Retry-After": String(seconds),
  });
}
