// SSO routes (no credential needed; the middleware lets them through):
//   GET /api/v1/auth/config           which logins the UI offers (AuthConfig)
//   GET /api/v1/auth/oidc/login       → 303 to the provider; sets the sealed login-state cookie
//   GET /api/v1/auth/oidc/callback    code exchange + ID token checks → Tether session cookie, 303 to
//                                     the page the login started from
// The settings are read from ConfigMap tether-oidc (+ the Secret holding the client secret) at most
// once per `cacheMs`, so an operator's change applies without a restart.
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { HttpError } from "../../errors.js";
import type { AuthConfig } from "../../types.js";
import { safeEqualStrings } from "../constanttime.js";
import type { OidcSettings } from "../oidc-config.js";
import { OIDC_CALLBACK_PATH, OIDC_CONFIGMAP, OIDC_LOGIN_PATH, parseOidcConfig } from "../oidc-config.js";
import { OidcClient, OidcError } from "../oidc.js";
import {
  clearLoginStateCookie,
  LOGIN_STATE_TTL_SECONDS,
  loginStateCookie,
  loginStateKey,
  openLoginState,
  readLoginStateCookie,
  sealLoginState,
} from "../oidc-state.js";
import type { AuthRouteContext } from "./context.js";

export const AUTH_CONFIG_PATH = "/api/v1/auth/config";
/** Routes under /api/v1 that need no credential. */
export const PUBLIC_OIDC_ROUTES: readonly string[] = [AUTH_CONFIG_PATH, OIDC_LOGIN_PATH, OIDC_CALLBACK_PATH];

type Loaded = { enabled: false; problem?: string } | { enabled: true; settings: OidcSettings };

export function registerOidcRoutes(
  app: OpenAPIHono,
  ctx: AuthRouteContext,
  cacheMs: number,
  timeoutMs?: number,
): void {
  const oidc = new OidcClient({ now: ctx.now, random: ctx.random, ...(timeoutMs ? { timeoutMs } : {}) });
  const stateKey = loginStateKey(ctx.sessionKeys.current);
  let cached: { at: number; value: Loaded } | undefined;
  let lastProblem: string | undefined;

  const load = async (): Promise<Loaded> => {
    const age = cached ? ctx.now() - cached.at : -1;
    if (cached && age >= 0 && age < cacheMs) return cached.value; // a clock that went back re-reads
    const value = await read();
    if (!value.enabled && value.problem && value.problem !== lastProblem)
      ctx.log(`api: SSO disabled: ${value.problem}`);
    lastProblem = value.enabled ? undefined : value.problem;
    cached = { at: ctx.now(), value };
    return value;
  };
  const read = async (): Promise<Loaded> => {
    const parsed = parseOidcConfig(await ctx.readConfigMap(OIDC_CONFIGMAP));
    if (!parsed.ok)
      return { enabled: false, problem: `ConfigMap ${OIDC_CONFIGMAP}: ${parsed.issues.join("; ")}` };
    if (!parsed.enabled) return { enabled: false };
    const { clientSecret: ref, ...rest } = parsed.config;
    const secret = (await ctx.store.read(ref.secret))?.data[ref.key];
    if (!secret)
      return {
        enabled: false,
        problem: `clientSecret: Secret ${ctx.namespace}/${ref.secret} has no key ${ref.key}`,
      };
    return { enabled: true, settings: { ...rest, clientSecret: secret } };
  };
  const settings = async (): Promise<OidcSettings> => {
    const loaded = await load();
    if (!loaded.enabled)
      throw new OidcError(
        404,
        "SSO login is not configured (ConfigMap tether-oidc, key oidc.config)",
        "not-configured",
      );
    return loaded.settings;
  };
  const fail = (c: Context, error: unknown): Response => {
    if (!(error instanceof OidcError)) throw error;
    ctx.log(`api: SSO login failed (${error.reason}): ${error.message}`);
    c.header("Set-Cookie", clearLoginStateCookie({ secure: ctx.secure }));
    c.header("Cache-Control", "no-store");
    return c.json(new HttpError(error.status, error.message).body(), error.status);
  };

  app.get(AUTH_CONFIG_PATH, async (c) => {
    const loaded = await load();
    const body: AuthConfig = {
      local: true,
      oidc: {
        enabled: loaded.enabled,
        name: loaded.enabled ? loaded.settings.name : "",
        loginUrl: OIDC_LOGIN_PATH,
      },
    };
    return c.json(body);
  });

  app.get(OIDC_LOGIN_PATH, async (c) => {
    try {
      const { url, state } = await oidc.begin(await settings(), c.req.query("return"));
      c.header(
        "Set-Cookie",
        loginStateCookie(sealLoginState(state, stateKey, ctx.random), {
          secure: ctx.secure,
          maxAgeSeconds: LOGIN_STATE_TTL_SECONDS,
        }),
      );
      c.header("Cache-Control", "no-store");
      return c.redirect(url.href, 303);
    } catch (error) {
      return fail(c, error);
    }
  });

  app.get(OIDC_CALLBACK_PATH, async (c) => {
    try {
      const config = await settings();
      const sealed = readLoginStateCookie(c.req.header("cookie"), ctx.secure);
      if (!sealed)
        throw new OidcError(
          400,
          `no login in progress (the login cookie is missing): start again at ${OIDC_LOGIN_PATH}`,
          "no-login-state",
        );
      const opened = openLoginState(sealed, stateKey, ctx.now);
      if (!opened.ok) {
        throw opened.reason === "expired"
          ? new OidcError(
              400,
              `the login took longer than ${LOGIN_STATE_TTL_SECONDS / 60} minutes: start again at ${OIDC_LOGIN_PATH}`,
              "login-state-expired",
            )
          : new OidcError(
              400,
              `the login cookie is invalid: start again at ${OIDC_LOGIN_PATH}`,
              "login-state-invalid",
            );
      }
      const query = new URL(c.req.url).searchParams;
      if (!safeEqualStrings(query.get("state") ?? "", opened.value.state)) {
        throw new OidcError(
          400,
          "the state parameter does not match this browser's login: start again",
          "bad-state",
        );
      }
      const identity = await oidc.finish(config, query, opened.value);
      try {
        await ctx.startSession(c, identity.user, identity.groups);
      } catch (error) {
        // issueSession's bounds (e.g. many long group names overflow a cookie): the IdP's doing.
        throw new OidcError(
          401,
          `cannot start a session for ${identity.user}: ${(error as Error).message}`,
          "session-too-large",
        );
      }
      // The login state is single-use: the session cookie replaces it.
      c.header("Set-Cookie", clearLoginStateCookie({ secure: ctx.secure }), { append: true });
      c.header("Cache-Control", "no-store");
      ctx.log(`api: SSO login of ${identity.user} (${identity.groups.length} groups)`);
      return c.redirect(opened.value.returnTo, 303);
    } catch (error) {
      return fail(c, error);
    }
  });
}
