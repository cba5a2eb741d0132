// PUT /api/v1/account/password {currentPassword, newPassword}: the local admin changes its password.
//
// The current password is required even with a valid session (a borrowed browser must not be
// enough), checked under the same rate limiter as the login, so this route is no side door for
// guessing. On success every session issued before the change stops working at once on this
// replica (others within the admin-mtime cache period), the initial password Secret is deleted,
// and the caller gets a fresh session (cookie + body, as a login).
import type { OpenAPIHono } from "@hono/zod-openapi";
import { HttpError } from "../../errors.js";
import { PasswordChangeRequestSchema } from "../../types.js";
import { parseBody, parseJson } from "../../validate.js";
import { changeAdminPassword, checkLocalLogin, LOCAL_ADMIN_USER } from "../admin.js";
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from "../password.js";
import type { AuthRouteContext } from "./context.js";
import { requireAuth, tooManyAttempts } from "./context.js";

export const PASSWORD_PATH = "/api/v1/account/password";

export function registerAccountRoutes(app: OpenAPIHono, ctx: AuthRouteContext): void {
  app.put(PASSWORD_PATH, async (c) => {
    const auth = requireAuth(c);
    if (auth.subject.user !== LOCAL_ADMIN_USER) {
      throw new HttpError(403, `${auth.subject.user} has no local password (only ${LOCAL_ADMIN_USER} does)`);
    }
    const request = parseBody(PasswordChangeRequestSchema, parseJson(await c.req.text()));
    const fresh = request.newPassword;
    if (fresh.length < MIN_PASSWORD_LENGTH || fresh.length > MAX_PASSWORD_LENGTH) {
      throw new HttpError(422, `newPassword: must be ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters`, "newPassword"); // prettier-ignore
    }
    if (fresh.trim() !== fresh) throw new HttpError(422, "newPassword: must not start or end with whitespace", "newPassword"); // prettier-ignore
    const attempt = { username: LOCAL_ADMIN_USER, ip: ctx.clientIp(c) };
    const decision = ctx.limiter.check(attempt);
    if (!decision.allowed) return tooManyAttempts(c, decision.retryAfterMs, "password checks");
    const login = await checkLocalLogin(ctx.store, LOCAL_ADMIN_USER, request.currentPassword);
    if (!login.ok) {
      ctx.limiter.recordFailure(attempt);
      throw new HttpError(403, "currentPassword is wrong", "currentPassword");
    }
    ctx.limiter.recordSuccess(attempt);
    if (request.currentPassword === fresh) throw new HttpError(422, "newPassword: must differ from the current one", "newPassword"); // prettier-ignore
    let passwordMtime: string;
    try {
      ({ passwordMtime } = await changeAdminPassword(ctx.store, fresh, { now: ctx.now, random: ctx.random }));
    } catch (error) {
      if ((error as { statusCode?: unknown }).statusCode === 409) throw new HttpError(409, "the password was changed concurrently: try again"); // prettier-ignore
      throw error;
    }
    ctx.adminPasswordChanged(Date.parse(passwordMtime));
    ctx.log(`api: the ${LOCAL_ADMIN_USER} password was changed; earlier sessions are invalid`);
    c.header("Cache-Control", "no-store");
    return c.json(await ctx.startSession(c, LOCAL_ADMIN_USER));
  });
}
