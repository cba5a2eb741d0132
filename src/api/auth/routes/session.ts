// Session routes:
//   POST   /api/v1/session  {username, password} → {user, token, csrfToken, expiresAt} + cookie.
//                           Rate-limited per username and client address (429 + Retry-After), per
//                           replica (ratelimit.ts). The account must be declared in ConfigMap
//                           tether-accounts, enabled, and have `login` (admin is declared by default).
//   GET    /api/v1/session  who am I (+ csrfToken for a session)
//   DELETE /api/v1/session  logout: revokes the session in Secret tether-sessions (every replica
//                           refuses it once its watch sees the change); `?everywhere=true` cuts off
//                           every session of the caller issued until now.
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { HttpError } from "../../errors.js";
import { checkAccountPassword } from "../account-passwords.js";
import { DUMMY_PASSWORD_HASH } from "../admin.js";
import { csrfTokenFor } from "../csrf.js";
import { verifyPassword } from "../password.js";
import { clearSessionCookie } from "../sessions.js";
import type { AuthRouteContext } from "./context.js";
import { requireAuth, tooManyAttempts } from "./context.js";

export const SESSION_PATH = "/api/v1/session";

function invalidLogin(c: Context): Response {
  return c.json(new HttpError(401, "invalid username or password").body(), 401, {
    "WWW-Authenticate": 'Bearer realm="tether"',
  });
}

export function registerSessionRoutes(app: OpenAPIHono, ctx: AuthRouteContext): void {
  app.post(SESSION_PATH, async (c) => {
    // Login CSRF: a cross-site HTML form can post text/plain that parses as JSON and would sign the
    // victim's browser into the attacker's account; application/json cannot be sent cross-site
    // without a CORS preflight, which this server never grants (hostile testing).
    const type = (c.req.header("content-type") ?? "").split(";")[0]?.trim().toLowerCase();
    if (type !== "application/json")
      throw new HttpError(
        400,
        "log in with Content-Type: application/json and a JSON body {username, password}",
      );
    let body: unknown;
    try {
      body = JSON.parse(await c.req.text());
    } catch {
      throw new HttpError(400, "body must be JSON {username, password}");
    }
    const { username, password } = (body ?? {}) as { username?: unknown; password?: unknown };
    if (typeof username !== "string" || username === "")
      throw new HttpError(422, "username is required", "username");
    if (typeof password !== "string") throw new HttpError(422, "password is required", "password");
    const attempt = { username, ip: ctx.clientIp(c) };
    const decision = ctx.limiter.check(attempt);
    if (!decision.allowed) return tooManyAttempts(c, decision.retryAfterMs, "logins");
    const allowed = ctx.accounts.allows(username, "login");
    // One scrypt run either way: the response time does not tell which accounts may log in.
    let ok = false;
    if (allowed.ok) ok = await checkAccountPassword(ctx.store, username, password);
    else await verifyPassword(password, DUMMY_PASSWORD_HASH);
    if (!ok) {
      ctx.limiter.recordFailure(attempt);
      // The reason stays in the log: the client learns nothing about which accounts exist.
      if (!allowed.ok && ctx.accounts.accounts().accounts.has(username))
        ctx.log(`api: login of ${username} refused: ${allowed.reason}`);
      return invalidLogin(c);
    }
    ctx.limiter.recordSuccess(attempt);
    return c.json(await ctx.startSession(c, username));
  });

  app.get(SESSION_PATH, (c) => {
    const auth = requireAuth(c);
    return c.json({
      user: auth.subject.user,
      groups: [...auth.subject.groups],
      via: auth.via,
      ...(auth.session
        ? {
            csrfToken: csrfTokenFor(auth.session.sid, ctx.csrfKey),
            expiresAt: new Date(auth.session.exp * 1000).toISOString(),
          }
        : {}),
    });
  });

  app.delete(SESSION_PATH, async (c) => {
    const auth = requireAuth(c);
    if (!auth.session) throw new HttpError(400, "an API token is not a session: revoke the token instead");
    if (c.req.query("everywhere") === "true") await ctx.sessions.cutOff(auth.subject.user, ctx.now());
    else await ctx.sessions.revoke(auth.session.sid, auth.session.exp, auth.subject.user);
    c.header("Set-Cookie", clearSessionCookie({ secure: ctx.secure }));
    return c.json({ loggedOut: auth.subject.user });
  });
}
