// Authentication and authorization of the API, wired in ONE place from the building blocks in
// ./auth. `createApiAuth` converges the cluster state it needs and returns the `auth` option of
// createApi/startApiServer: a middleware for every /api/v1/* route plus the session routes.
//
// Cluster state (all in the system namespace, through a SecretStore):
//   Secret tether-admin / tether-initial-admin-password   bootstrapAdmin (admin.ts)
//   Secret tether-server-keys    sessionKey, csrfKey: 32 random bytes each (base64), created once
//   Secret tether-api-tokens     one key per token id → JSON ApiTokenRecord (never the secret)
//   ConfigMap tether-rbac        key policy.yaml (rbac-policy.ts); absent → defaultPolicy()
//   ConfigMap tether-oidc        key oidc.config (oidc-config.ts); absent → SSO off
//   Secret tether-oidc           the OIDC client secret (or another Secret named in oidc.config)
//
// Routes:
//   POST   /api/v1/session  {username, password} → {user, token, csrfToken, expiresAt} + cookie;
//                           rate-limited per username and client address (429 + Retry-After)
//   GET    /api/v1/session  who am I (+ csrfToken for a session)
//   DELETE /api/v1/session  logout: revokes the session (in memory: one replica) and clears the cookie
//   GET    /api/v1/auth/config, /api/v1/auth/oidc/login, /api/v1/auth/oidc/callback   (routes/oidc.ts)
//   POST|GET /api/v1/tokens, DELETE /api/v1/tokens/{id}                                (routes/tokens.ts)
//   PUT    /api/v1/account/password                                                   (routes/account.ts)
//
// Every other /api/v1 route (all but the login ones: PUBLIC_ROUTES) needs a credential (401), a cookie session needs X-CSRF-Token on
// state-changing methods (403), and the handlers ask `authorize` (routes.ts) per application.
// Limits: revocations live in process memory (a restart forgets them; sessions still expire), and
// local users other than admin are not supported by checkLocalLogin: give them API tokens.
import type { OpenAPIHono } from "@hono/zod-openapi";
import { getConnInfo } from "@hono/node-server/conninfo";
import type { Context, MiddlewareHandler } from "hono";
import type { KubeClients } from "../kube/client.js";
import { errorMessage, errorStatus } from "../kube/client.js";
import { KubeSecretStore } from "../kube/secretstore.js";
import type {
  Action,
  AppRef,
  AuthDeps,
  AuthRequest,
  Clock,
  Policy,
  RandomBytes,
  RateLimitOptions,
  RevocationStore,
  SecretStore,
  SessionKeys,
  SessionPayload,
  Subject,
} from "./auth/index.js";
import {
  ADMIN_SECRET,
  authenticateRequest,
  bootstrapAdmin,
  can,
  checkLocalLogin,
  clearSessionCookie,
  createApiToken,
  CSRF_HEADER,
  SecretApiTokenStore,
  csrfTokenFor,
  DEFAULT_SESSION_TTL_SECONDS,
  defaultPolicy,
  defaultRandomBytes,
  formatPolicyIssue,
  INITIAL_ADMIN_PASSWORD_SECRET,
  issueSession,
  LOCAL_ADMIN_USER,
  LoginRateLimiter,
  MemoryRevocationStore,
  MIN_SESSION_KEY_BYTES,
  parsePolicyConfigMap,
  readSessionCookie,
  sessionCookie,
  storeErrorStatus,
} from "./auth/index.js";
import type { AuthRouteContext, LoginBody } from "./auth/routes/context.js";
import { tooManyAttempts } from "./auth/routes/context.js";
import { registerAccountRoutes } from "./auth/routes/account.js";
import { PUBLIC_OIDC_ROUTES, registerOidcRoutes } from "./auth/routes/oidc.js";
import { registerTokenRoutes } from "./auth/routes/tokens.js";
import { HttpError } from "./errors.js";

export { API_TOKENS_SECRET, SecretApiTokenStore } from "./auth/index.js";
export const SERVER_KEYS_SECRET = "tether-server-keys";
export const RBAC_CONFIGMAP = "tether-rbac";
export const SESSION_PATH = "/api/v1/session";
/** GET routes under /api/v1 that need no credential (the SSO login and what the login page needs). */
const PUBLIC_GET_ROUTES = new Set(PUBLIC_OIDC_ROUTES);

/** What a handler may do for the caller; set by the middleware on every authenticated request. */
export interface RequestAuth {
  subject: Subject;
  via: "api-token" | "session-bearer" | "session-cookie";
  session?: SessionPayload;
  can(action: Action, app: AppRef): boolean;
  /**
   * The same credentials checked again now, with the RBAC policy of now: undefined once they no
   * longer pass (revoked token, logged-out session, password changed, expired). Long-lived
   * responses (the event stream) call it, so they end when the credential does.
   */
  recheck(): Promise<RequestAuth | undefined>;
}

declare module "hono" {
  interface ContextVariableMap {
    tetherAuth: RequestAuth | undefined;
  }
}

/** The `auth` option of createApi: the /api/v1 middleware and the routes it brings. */
export interface ApiAuth {
  middleware: MiddlewareHandler;
  routes(app: OpenAPIHono): void;
  /** The initial admin password while its Secret exists (Argo CD style: read, never deleted here). */
  initialAdminPassword(): Promise<string | undefined>;
  /**
   * The caller of a route outside /api/v1 that serves more to a known caller (/metrics): undefined
   * without credentials, "invalid" for credentials that do not pass.
   */
  identify(c: Context): Promise<RequestAuth | undefined | "invalid">;
  /** `listener` runs whenever this process revokes credentials (logout, token revoked, password changed). */
  onRevoked(listener: () => void): () => void;
}

export interface ApiAuthOptions {
  clients: KubeClients;
  /** Where the Secrets and the RBAC ConfigMap live (the system namespace). */
  namespace: string;
  /** Cookies with Secure and the __Host- prefix; false for plain-HTTP localhost (the default). */
  secureCookies?: boolean;
  sessionTtlSeconds?: number;
  rateLimit?: Omit<RateLimitOptions, "now">;
  /** How long the RBAC policy, the OIDC settings and the admin's passwordMtime are cached. Default 1 s. */
  cacheMs?: number;
  /** Per request to the OIDC provider. Default 10 s. */
  oidcTimeoutMs?: number;
  now?: Clock;
  random?: RandomBytes;
  log?: (line: string) => void;
}

/** Reads the session/CSRF keys, creating them once (a racing replica's 409 → use theirs). */
async function serverKeys(
  store: SecretStore,
  random: RandomBytes,
): Promise<{ session: Buffer; csrf: Buffer }> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const existing = await store.read(SERVER_KEYS_SECRET);
    const session = existing?.data.sessionKey;
    const csrf = existing?.data.csrfKey;
    if (session && csrf) {
      const keys = { session: Buffer.from(session, "base64"), csrf: Buffer.from(csrf, "base64") };
      if (keys.session.length < MIN_SESSION_KEY_BYTES || keys.csrf.length < MIN_SESSION_KEY_BYTES) {
        throw new Error(`Secret ${SERVER_KEYS_SECRET}: sessionKey and csrfKey must be ${MIN_SESSION_KEY_BYTES}+ bytes (base64)`); // prettier-ignore
      }
      return keys;
    }
    const data = {
      ...(existing?.data ?? {}),
      sessionKey: session ?? random(32).toString("base64"),
      csrfKey: csrf ?? random(32).toString("base64"),
    };
    try {
      if (existing) await store.update(SERVER_KEYS_SECRET, data, existing.resourceVersion);
      else await store.create(SERVER_KEYS_SECRET, data);
    } catch (error) {
      if (storeErrorStatus(error) === 409) continue;
      throw error;
    }
  }
  throw new Error(`gave up after 5 conflicting writes to Secret ${SERVER_KEYS_SECRET}`);
}

/**
 * Mints an API token for `owner` limited to `roles` and stores its record, without HTTP (operators'
 * tooling and tests; users have POST /api/v1/tokens). Returns the token (shown once).
 */
export async function mintApiToken(
  clients: KubeClients,
  namespace: string,
  input: { owner: string; roles: string[]; groups?: string[]; description?: string; ttlSeconds?: number; now?: Clock }, // prettier-ignore
): Promise<string> {
  const { token, record } = createApiToken({ ...input, now: input.now ?? Date.now });
  await new SecretApiTokenStore(new KubeSecretStore(clients, namespace)).put(record);
  return token;
}

/** A value re-read at most every `ms` (and whenever the clock went backwards). */
function cached<T>(ms: number, now: Clock, read: () => Promise<T>): () => Promise<T> {
  let value: { at: number; value: T } | undefined;
  return async () => {
    const age = value ? now() - value.at : -1;
    if (value && age >= 0 && age < ms) return value.value; // a clock that went back re-reads
    value = { at: now(), value: await read() };
    return value.value;
  };
}

function clientIp(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? "unknown";
  } catch {
    return "unknown";
  }
}

function unauthorized(c: Context, status: 401 | 403, message: string): Response {
  const headers: Record<string, string> =
    status === 401 ? { "WWW-Authenticate": 'Bearer realm="tether"' } : {};
  return c.json(new HttpError(status, message).body(), status, headers);
}

export async function createApiAuth(options: ApiAuthOptions): Promise<ApiAuth> {
  const now = options.now ?? Date.now;
  const random = options.random ?? defaultRandomBytes;
  const log = options.log ?? (() => undefined);
  const secure = options.secureCookies ?? false;
  const ttl = options.sessionTtlSeconds ?? DEFAULT_SESSION_TTL_SECONDS;
  const store = new KubeSecretStore(options.clients, options.namespace);

  const bootstrap = await bootstrapAdmin(store, { now, random });
  if (bootstrap.action === "created") {
    log(`api: created the admin password (Secret ${options.namespace}/${INITIAL_ADMIN_PASSWORD_SECRET})`);
  }
  const keys = await serverKeys(store, random);
  const sessionKeys: SessionKeys = { current: keys.session };
  const revocations: RevocationStore = new MemoryRevocationStore(now);
  const limiter = new LoginRateLimiter({ now, ...options.rateLimit });
  const apiTokens = new SecretApiTokenStore(store);

  let lastGoodPolicy: Policy = defaultPolicy();
  const policy = cached(options.cacheMs ?? 1_000, now, async () => {
    let data: Record<string, string> | undefined;
    try {
      data = (await options.clients.core.readNamespacedConfigMap({ name: RBAC_CONFIGMAP, namespace: options.namespace })).data; // prettier-ignore
    } catch (error) {
      if (errorStatus(error) === 404) return (lastGoodPolicy = defaultPolicy());
      log(`api: reading ConfigMap ${RBAC_CONFIGMAP}: ${errorMessage(error)}; keeping the last good policy`);
      return lastGoodPolicy;
    }
    const parsed = parsePolicyConfigMap(data);
    if (parsed.ok) return (lastGoodPolicy = parsed.policy);
    log(`api: ConfigMap ${RBAC_CONFIGMAP} rejected, keeping the last good policy: ${parsed.issues.map(formatPolicyIssue).join("; ")}`); // prettier-ignore
    return lastGoodPolicy;
  });
  // Sessions of the admin issued before its last password change are invalid. Session times are
  // whole seconds, so the cut-off is the start of the second after the change: every session
  // issued up to the change is refused, and admin sessions issued after it are dated no earlier
  // than the cut-off (at most 1 s ahead, well inside the verifier's clock-skew allowance).
  let adminMtime: number | undefined;
  const refreshAdminMtime = cached(options.cacheMs ?? 1_000, now, async () => {
    const mtime = (await store.read(ADMIN_SECRET))?.data.passwordMtime;
    const ms = mtime ? Date.parse(mtime) : NaN;
    // Never older than a change this replica just made (a read racing the write may be stale).
    adminMtime = Number.isNaN(ms) ? adminMtime : Math.max(ms, adminMtime ?? ms);
  });
  const adminCutoff = () => (adminMtime === undefined ? undefined : (Math.floor(adminMtime / 1000) + 1) * 1000); // prettier-ignore

  const deps: AuthDeps = {
    now,
    sessionKeys,
    csrfKey: keys.csrf,
    revocations,
    apiTokens,
    secureCookies: secure,
    sessionsIssuedAfter: (s) => (s.sub === LOCAL_ADMIN_USER ? adminCutoff() : undefined),
  };

  const startSession = async (c: Context, user: string, groups?: readonly string[]): Promise<LoginBody> => {
    let clock = now;
    if (user === LOCAL_ADMIN_USER) {
      await refreshAdminMtime();
      const cutoff = adminCutoff();
      if (cutoff !== undefined) clock = () => Math.max(now(), cutoff);
    }
    const { token, payload } = issueSession(user, sessionKeys.current, {
      now: clock,
      random,
      ttlSeconds: ttl,
      ...(groups ? { groups } : {}),
    });
    c.header("Set-Cookie", sessionCookie(token, { secure, maxAgeSeconds: ttl }), { append: true });
    c.header("Cache-Control", "no-store");
    return {
      user,
      token,
      csrfToken: csrfTokenFor(payload.sid, keys.csrf),
      expiresAt: new Date(payload.exp * 1000).toISOString(),
    };
  };
  const readConfigMap = async (name: string): Promise<Record<string, string> | undefined> => {
    try {
      return (await options.clients.core.readNamespacedConfigMap({ name, namespace: options.namespace })).data ?? {}; // prettier-ignore
    } catch (error) {
      if (errorStatus(error) === 404) return undefined;
      throw new Error(`reading ConfigMap ${options.namespace}/${name}: ${errorMessage(error)}`);
    }
  };
  const routeContext: AuthRouteContext = {
    namespace: options.namespace,
    now,
    random,
    secure,
    store,
    apiTokens,
    limiter,
    revocations,
    sessionKeys,
    policy,
    readConfigMap,
    startSession,
    adminPasswordChanged: (mtime) => {
      // Sessions issued since the last change may be dated up to its cut-off (see startSession): a
      // change within that same second must cut after them too, so never before the old cut-off.
      adminMtime = Math.max(mtime, adminCutoff() ?? mtime, adminMtime ?? mtime);
      revoked();
    },
    credentialsRevoked: () => revoked(),
    clientIp,
    log,
  };

  type Checked = { ok: true; auth: RequestAuth } | { ok: false; status: 401 | 403 };
  const authenticate = async (request: AuthRequest): Promise<Checked> => {
    await refreshAdminMtime();
    const result = await authenticateRequest(request, deps);
    if (!result.ok) return { ok: false, status: result.status };
    const current = await policy();
    return {
      ok: true,
      auth: {
        subject: result.subject,
        via: result.via,
        ...(result.via !== "api-token" ? { session: result.session } : {}),
        can: (action, app) => can(current, result.subject, action, app),
        recheck: async () => {
          // A read (no CSRF token needed): the question is only whether the credential still holds.
          const again = await authenticate({ ...request, method: "GET" });
          return again.ok ? again.auth : undefined;
        },
      },
    };
  };
  const requestOf = (c: Context): AuthRequest => ({
    method: c.req.method,
    authorization: c.req.header("authorization"),
    cookie: c.req.header("cookie"),
    csrfToken: c.req.header(CSRF_HEADER),
  });
  const revokedListeners = new Set<() => void>();
  const revoked = () => revokedListeners.forEach((listener) => listener());

  const middleware: MiddlewareHandler = async (c, next) => {
    // Logging in needs no credential (it is rate-limited instead), nor do the SSO login routes.
    if (c.req.method === "POST" && c.req.path === SESSION_PATH) return next();
    if (c.req.method === "GET" && PUBLIC_GET_ROUTES.has(c.req.path)) return next();
    const result = await authenticate(requestOf(c));
    if (!result.ok) {
      return result.status === 401
        ? unauthorized(c, 401, "authentication required")
        : unauthorized(c, 403, `missing or invalid ${CSRF_HEADER} header`);
    }
    c.set("tetherAuth", result.auth);
    await next();
  };

  const routes = (app: OpenAPIHono) => {
    app.post(SESSION_PATH, async (c) => {
      let body: unknown;
      try {
        body = JSON.parse(await c.req.text());
      } catch {
        throw new HttpError(400, "body must be JSON {username, password}");
      }
      const { username, password } = (body ?? {}) as { username?: unknown; password?: unknown };
      if (typeof username !== "string" || username === "") throw new HttpError(422, "username is required", "username"); // prettier-ignore
      if (typeof password !== "string") throw new HttpError(422, "password is required", "password");
      const attempt = { username, ip: clientIp(c) };
      const decision = limiter.check(attempt);
      if (!decision.allowed) return tooManyAttempts(c, decision.retryAfterMs, "logins");
      const login = await checkLocalLogin(store, username, password);
      if (!login.ok) {
        limiter.recordFailure(attempt);
        return unauthorized(c, 401, "invalid username or password");
      }
      limiter.recordSuccess(attempt);
      return c.json(await startSession(c, login.user));
    });

    app.get(SESSION_PATH, (c) => {
      const auth = c.get("tetherAuth");
      if (!auth) throw new HttpError(401, "authentication required");
      return c.json({
        user: auth.subject.user,
        groups: [...auth.subject.groups],
        via: auth.via,
        ...(auth.session ? { csrfToken: csrfTokenFor(auth.session.sid, keys.csrf), expiresAt: new Date(auth.session.exp * 1000).toISOString() } : {}), // prettier-ignore
      });
    });

    app.delete(SESSION_PATH, async (c) => {
      const auth = c.get("tetherAuth");
      if (!auth) throw new HttpError(401, "authentication required");
      if (!auth.session) throw new HttpError(400, "an API token is not a session: revoke the token instead");
      await revocations.revoke(auth.session.sid, auth.session.exp);
      revoked();
      c.header("Set-Cookie", clearSessionCookie({ secure }));
      return c.json({ loggedOut: auth.subject.user });
    });

    registerOidcRoutes(app, routeContext, options.cacheMs ?? 1_000, options.oidcTimeoutMs);
    registerTokenRoutes(app, routeContext);
    registerAccountRoutes(app, routeContext);
  };

  return {
    middleware,
    routes,
    async initialAdminPassword() {
      return (await store.read(INITIAL_ADMIN_PASSWORD_SECRET))?.data.password;
    },
    async identify(c) {
      const request = requestOf(c);
      if (request.authorization === undefined && readSessionCookie(request.cookie, secure) === undefined)
        return undefined;
      const result = await authenticate({ ...request, method: "GET" });
      return result.ok ? result.auth : "invalid";
    },
    onRevoked(listener) {
      revokedListeners.add(listener);
      return () => revokedListeners.delete(listener);
    },
  };
}
