// Authentication and authorization of the API, wired in ONE place from the building blocks in
// ./auth. `createApiAuth` converges the cluster state it needs and returns the `auth` option of
// createApi/startApiServer: a middleware for every /api/v1/* route plus the session routes.
//
// All state is in the cluster (system namespace), so 2+ replicas behave as one and a restart logs
// nobody out. Read through a SecretStore, or kept current by a watch (no request per check):
//   Secret tether-admin          the admin's passwordHash/passwordMtime (admin.ts)       watched
//   Secret tether-initial-admin  the generated first admin password (admin.ts; the old name
//                                tether-initial-admin-password is still read)
//   Secret tether-server-keys    sessionKey, csrfKey: 32 random bytes each (base64), created once
//   Secret tether-sessions       revocations and per-user cut-offs (session-records.ts)   watched
//   ConfigMap tether-accounts    local accounts: accounts.<name>, accounts.<name>.enabled  watched
//   Secret tether-accounts       <name>.passwordHash, <name>.passwordMtime                 watched
//   Secret tether-api-tokens     one key per token id → JSON ApiTokenRecord (never the secret)
//   ConfigMap tether-rbac        key policy.yaml (rbac-policy.ts); absent → defaultPolicy()
//   ConfigMap tether-oidc        key oidc.config (oidc-config.ts); absent → SSO off
//   Secret tether-oidc           the OIDC client secret (or another Secret named in oidc.config)
// The watched objects need get+watch (list not needed: the watch names the object); if the first
// read fails (e.g. forbidden) createApiAuth throws: serving without them would fail open.
//
// Routes:
//   POST|GET|DELETE /api/v1/session                          login, who am I, logout (routes/session.ts)
//   GET /api/v1/auth/config, /api/v1/auth/oidc/login|callback SSO (routes/oidc.ts)
//   POST|GET /api/v1/tokens, DELETE /api/v1/tokens/{id}      API tokens (routes/tokens.ts)
//   PUT /api/v1/account/password, GET /api/v1/accounts,
//   PUT /api/v1/accounts/{name}/password                     accounts (routes/account.ts)
//
// Every other /api/v1 route (all but the login ones: PUBLIC_ROUTES) needs a credential (401), a
// cookie session needs X-CSRF-Token on state-changing methods (403), and the handlers ask
// `authorize` (routes.ts) per application. Per request, after the signature: the session is not
// revoked, not older than its user's cut-off (password change, logout everywhere), and a local
// account's session or token still belongs to a declared, enabled account with the capability.
// Login rate limiting is per replica (ratelimit.ts says why).
import type { OpenAPIHono } from "@hono/zod-openapi";
import { getConnInfo } from "@hono/node-server/conninfo";
import type { Context, MiddlewareHandler } from "hono";
import type { KubeClients } from "../kube/client.js";
import { kubeErrorMessage, errorStatus } from "../kube/client.js";
import { startNamedObjectWatches } from "../kube/namedobject.js";
import { KubeSecretStore } from "./auth/kubesecretstore.js";
import type { RequestAuth } from "./auth/requestauth.js";
import type {
  AuthDeps,
  AuthRequest,
  Clock,
  Policy,
  RandomBytes,
  RateLimitOptions,
  SessionKeys,
} from "./auth/index.js";
import {
  ACCOUNTS_CONFIGMAP,
  accountAllows,
  ACCOUNTS_SECRET,
  ADMIN_SECRET,
  AccountState,
  authenticateRequest,
  bootstrapAdmin,
  can,
  ClusterSessionState,
  createApiToken,
  CSRF_HEADER,
  SecretApiTokenStore,
  csrfTokenFor,
  cutoffAfter,
  DEFAULT_SESSION_TTL_SECONDS,
  defaultPolicy,
  defaultRandomBytes,
  formatPolicyIssue,
  INITIAL_ADMIN_PASSWORD_SECRET,
  isLocalSubject,
  issueSession,
  LoginRateLimiter,
  serverKeys,
  parseAccountsConfigMap,
  parsePolicyConfigMap,
  readInitialPassword,
  readSessionCookie,
  sessionCookie,
  SESSIONS_SECRET,
} from "./auth/index.js";
import type { AuthRouteContext, LoginBody } from "./auth/routes/context.js";
import { registerAccountRoutes } from "./auth/routes/account.js";
import { PUBLIC_OIDC_ROUTES, registerOidcRoutes } from "./auth/routes/oidc.js";
import { registerSessionRoutes, SESSION_PATH } from "./auth/routes/session.js";
import { registerTokenRoutes } from "./auth/routes/tokens.js";
import { HttpError } from "./errors.js";

export { SESSION_PATH } from "./auth/routes/session.js";

export { API_TOKENS_SECRET, SecretApiTokenStore } from "./auth/index.js";
export { SERVER_KEYS_SECRET } from "./auth/index.js";
export const RBAC_CONFIGMAP = "tether-rbac";
export type { RequestAuth } from "./auth/requestauth.js";
/** GET routes under /api/v1 that need no credential (the SSO login and what the login page needs). */
const PUBLIC_GET_ROUTES = new Set(PUBLIC_OIDC_ROUTES);

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
  /**
   * `listener` runs whenever credentials may have stopped passing: a revocation, cut-off, password
   * change or account change made here or seen through the watches (made by another replica).
   */
  onRevoked(listener: () => void): () => void;
  /** Stops the watches (they never keep the process alive by themselves either). */
  close?(): Promise<void>;
}

export interface ApiAuthOptions {
  clients: KubeClients;
  /** Where the Secrets and the RBAC ConfigMap live (the system namespace). */
  namespace: string;
  /** Cookies with Secure and the __Host- prefix; false for plain-HTTP localhost (the default). */
  secureCookies?: boolean;
  sessionTtlSeconds?: number;
  rateLimit?: Omit<RateLimitOptions, "now">;
  /** How long the RBAC policy and the OIDC settings are cached. Default 1 s. */
  cacheMs?: number;
  /** Per request to the OIDC provider. Default 10 s. */
  oidcTimeoutMs?: number;
  now?: Clock;
  random?: RandomBytes;
  log?: (line: string) => void;
}

/**
 * Mints an API token for `owner` limited to `roles` and stores its record, without HTTP (operators'
 * tooling and tests; users have POST /api/v1/tokens). Returns the token (shown once). A declared
 * local account must be enabled and have the apiKey capability.
 */
export async function mintApiToken(
  clients: KubeClients,
  namespace: string,
  input: {
    owner: string;
    roles: string[];
    groups?: string[];
    description?: string;
    ttlSeconds?: number;
    now?: Clock;
  },
): Promise<string> {
  let data: Record<string, string> | undefined;
  try {
    data = (await clients.core.readNamespacedConfigMap({ name: ACCOUNTS_CONFIGMAP, namespace })).data;
  } catch (error) {
    if (errorStatus(error) !== 404)
      throw new Error(`reading ConfigMap ${namespace}/${ACCOUNTS_CONFIGMAP}: ${kubeErrorMessage(error)}`);
  }
  const config = parseAccountsConfigMap(data);
  const account = isLocalSubject(input.owner) && config.accounts.has(input.owner);
  if (account) {
    const allowed = accountAllows(config, input.owner, "apiKey");
    if (!allowed.ok) throw new Error(`cannot mint an API token: ${allowed.reason}`);
  }
  const { token, record } = createApiToken({ ...input, account, now: input.now ?? Date.now });
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
  const ns = options.namespace;
  const store = new KubeSecretStore(options.clients, ns);

  const bootstrap = await bootstrapAdmin(store, { now, random });
  if (bootstrap.action === "created") {
    // The name of the Secret only: the password itself is never logged (an in-cluster server's
    // log is read by more people than its Secrets).
    log(`api: created the admin password (Secret ${ns}/${INITIAL_ADMIN_PASSWORD_SECRET})`);
  }
  const keys = await serverKeys(store, random);
  const sessionKeys: SessionKeys = { current: keys.session };
  const limiter = new LoginRateLimiter({ now, ...options.rateLimit });
  const apiTokens = new SecretApiTokenStore(store);

  const revokedListeners = new Set<() => void>();
  const revoked = () => revokedListeners.forEach((listener) => listener());
  const sessions = new ClusterSessionState({ store, namespace: ns, now, sessionTtlSeconds: ttl, log });
  sessions.onRevoked(revoked);
  const accounts = new AccountState(log, revoked);
  // Without this state the server could not honour revocations or disabled accounts: it must not
  // serve at all (fail closed), and says which object it could not read.
  const watches = await startNamedObjectWatches(options.clients, ns, (m) => log(`api: ${m}`), [
    ["Secret", SESSIONS_SECRET, (data) => sessions.update(data)],
    ["ConfigMap", ACCOUNTS_CONFIGMAP, (data) => accounts.configMapChanged(data)],
    ["Secret", ACCOUNTS_SECRET, (data) => accounts.accountsSecretChanged(data)],
    ["Secret", ADMIN_SECRET, (data) => accounts.adminSecretChanged(data)],
  ]).catch((error: unknown) => {
    throw new Error(
      `the API server needs get and watch on its state in namespace ${ns}: ${kubeErrorMessage(error)}`,
    );
  });

  let lastGoodPolicy: Policy = defaultPolicy();
  const policy = cached(options.cacheMs ?? 1_000, now, async () => {
    let data: Record<string, string> | undefined;
    try {
      data = (await options.clients.core.readNamespacedConfigMap({ name: RBAC_CONFIGMAP, namespace: ns }))
        .data;
    } catch (error) {
      if (errorStatus(error) === 404) return (lastGoodPolicy = defaultPolicy());
      log(
        `api: reading ConfigMap ${RBAC_CONFIGMAP}: ${kubeErrorMessage(error)}; keeping the last good policy`,
      );
      return lastGoodPolicy;
    }
    const parsed = parsePolicyConfigMap(data);
    if (parsed.ok) return (lastGoodPolicy = parsed.policy);
    log(
      `api: ConfigMap ${RBAC_CONFIGMAP} rejected, keeping the last good policy: ${parsed.issues.map(formatPolicyIssue).join("; ")}`,
    );
    return lastGoodPolicy;
  });

  /** Sessions of `user` issued before this (ms) are invalid: logout everywhere, password change. */
  const cutoffOf = (user: string): number | undefined => {
    const shared = sessions.cutoff(user);
    const times = [
      shared === undefined ? undefined : cutoffAfter(shared),
      isLocalSubject(user) ? accounts.passwordCutoff(user) : undefined,
    ];
    const known = times.filter((t): t is number => t !== undefined);
    return known.length > 0 ? Math.max(...known) : undefined;
  };
  const deps: AuthDeps = {
    now,
    sessionKeys,
    csrfKey: keys.csrf,
    revocations: sessions,
    apiTokens,
    secureCookies: secure,
    sessionsIssuedAfter: (s) => cutoffOf(s.sub),
  };

  const startSession = (c: Context, user: string, groups?: readonly string[]): Promise<LoginBody> => {
    // Never dated before the user's cut-off (see account-state.ts), or the new session is refused.
    const cutoff = cutoffOf(user);
    const clock = cutoff === undefined ? now : () => Math.max(now(), cutoff);
    const { token, payload } = issueSession(user, sessionKeys.current, {
      now: clock,
      random,
      ttlSeconds: ttl,
      ...(groups ? { groups } : {}),
    });
    c.header("Set-Cookie", sessionCookie(token, { secure, maxAgeSeconds: ttl }), { append: true });
    c.header("Cache-Control", "no-store");
    return Promise.resolve({
      user,
      token,
      csrfToken: csrfTokenFor(payload.sid, keys.csrf),
      expiresAt: new Date(payload.exp * 1000).toISOString(),
    });
  };
  const readConfigMap = async (name: string): Promise<Record<string, string> | undefined> => {
    try {
      return (await options.clients.core.readNamespacedConfigMap({ name, namespace: ns })).data ?? {};
    } catch (error) {
      if (errorStatus(error) === 404) return undefined;
      throw new Error(`reading ConfigMap ${ns}/${name}: ${kubeErrorMessage(error)}`);
    }
  };
  const routeContext: AuthRouteContext = {
    namespace: ns,
    now,
    random,
    secure,
    store,
    apiTokens,
    limiter,
    revocations: sessions,
    sessions,
    accounts,
    sessionKeys,
    csrfKey: keys.csrf,
    policy,
    readConfigMap,
    startSession,
    passwordChanged: (user, mtime) => accounts.passwordChanged(user, mtime),
    credentialsRevoked: () => revoked(),
    clientIp,
    log,
  };

  type Checked = { ok: true; auth: RequestAuth } | { ok: false; status: 401 | 403 };
  const authenticate = async (request: AuthRequest): Promise<Checked> => {
    const result = await authenticateRequest(request, deps);
    if (!result.ok) return { ok: false, status: result.status };
    // A local account's credential holds only while the account does (checked from the watched
    // ConfigMap, so disabling or removing it ends sessions and tokens at once).
    const user = result.subject.user;
    if (isLocalSubject(user)) {
      if (result.via === "api-token") {
        const record = await apiTokens.get(result.tokenId);
        const declared = accounts.accounts().accounts.has(user);
        // Undeclared owners without the account mark are token-only identities (see apitokens.ts).
        if (
          (declared || record?.account || accounts.hasPassword(user)) &&
          !accounts.allows(user, "apiKey").ok
        ) {
          return { ok: false, status: 401 };
        }
      } else if (!accounts.allows(user, "login").ok) return { ok: false, status: 401 };
    }
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
    registerSessionRoutes(app, routeContext);
    registerOidcRoutes(app, routeContext, options.cacheMs ?? 1_000, options.oidcTimeoutMs);
    registerTokenRoutes(app, routeContext);
    registerAccountRoutes(app, routeContext);
  };

  return {
    middleware,
    routes,
    initialAdminPassword: () => readInitialPassword(store),
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
    close() {
      for (const watch of watches) watch.stop();
      return Promise.resolve();
    },
  };
}
