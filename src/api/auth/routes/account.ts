// Account routes:
//   PUT /api/v1/account/password         {currentPassword, newPassword}: the caller's own password
//   PUT /api/v1/accounts/{name}/password {currentPassword, newPassword}: another account's, by a
//                                        caller holding the admin role; currentPassword is the
//                                        CALLER's (proof of presence, as for their own change)
//   GET /api/v1/accounts                 all accounts for the admin role, else the caller's own
//
// The current password is required even with a valid session (a borrowed browser must not be
// enough), checked under the same rate limiter as the login, so these routes are no side door for
// guessing. On success every session of the changed account issued before the change stops: here
// at once, on other replicas when their watch of the password Secret sees it. Changing one's own
// password returns a fresh session (cookie + body, as a login); the initial admin password Secret is
// deleted when the admin's password changes.
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { RequestAuth } from "../requestauth.js";
import { HttpError } from "../../errors.js";
import type { AccountList, AccountPasswordSet } from "../../types.js";
import { PasswordChangeRequestSchema } from "../../types.js";
import { parseBody, parseJson } from "../../validate.js";
import { checkAccountPassword, setAccountPassword } from "../account-passwords.js";
import { ACCOUNT_NAME, ACCOUNTS_CONFIGMAP, isLocalSubject } from "../accounts.js";
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from "../password.js";
import { rolesOf } from "../rbac.js";
import type { AuthRouteContext } from "./context.js";
import { requireAuth, tooManyAttempts } from "./context.js";

export const PASSWORD_PATH = "/api/v1/account/password";
export const ACCOUNTS_PATH = "/api/v1/accounts";
const ADMIN_ROLE = "admin";

function checkNewPassword(fresh: string, current: string): void {
  if (fresh.length < MIN_PASSWORD_LENGTH || fresh.length > MAX_PASSWORD_LENGTH) {
    throw new HttpError(
      422,
      `newPassword: must be ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters`,
      "newPassword",
    );
  }
  if (fresh.trim() !== fresh)
    throw new HttpError(422, "newPassword: must not start or end with whitespace", "newPassword");
  if (current === fresh)
    throw new HttpError(422, "newPassword: must differ from the current one", "newPassword");
}

export function registerAccountRoutes(app: OpenAPIHono, ctx: AuthRouteContext): void {
  /** The caller's own local password, checked under the login rate limiter; a 403/429 otherwise. */
  const confirmCaller = async (
    c: Context,
    auth: RequestAuth,
    password: string,
  ): Promise<Response | undefined> => {
    const user = auth.subject.user;
    if (!isLocalSubject(user)) throw new HttpError(403, `${user} has no local password (an SSO user)`);
    const attempt = { username: user, ip: ctx.clientIp(c) };
    const decision = ctx.limiter.check(attempt);
    if (!decision.allowed) return tooManyAttempts(c, decision.retryAfterMs, "password checks");
    if (!(await checkAccountPassword(ctx.store, user, password))) {
      ctx.limiter.recordFailure(attempt);
      throw new HttpError(403, "currentPassword is wrong", "currentPassword");
    }
    ctx.limiter.recordSuccess(attempt);
    return undefined;
  };
  const change = async (name: string, password: string): Promise<string> => {
    let passwordMtime: string;
    try {
      ({ passwordMtime } = await setAccountPassword(ctx.store, name, password, {
        now: ctx.now,
        random: ctx.random,
      }));
    } catch (error) {
      if ((error as { statusCode?: unknown }).statusCode === 409)
        throw new HttpError(409, "the password was changed concurrently: try again");
      throw error;
    }
    ctx.passwordChanged(name, Date.parse(passwordMtime));
    ctx.log(`api: the password of account ${name} was changed; its earlier sessions are invalid`);
    return passwordMtime;
  };
  const isAdmin = async (auth: RequestAuth) => rolesOf(await ctx.policy(), auth.subject).includes(ADMIN_ROLE);

  app.put(PASSWORD_PATH, async (c) => {
    const auth = requireAuth(c);
    const user = auth.subject.user;
    if (!isLocalSubject(user)) throw new HttpError(403, `${user} has no local password (an SSO user)`);
    if (!ctx.accounts.accounts().accounts.has(user))
      throw new HttpError(403, `${user} is not a local account (ConfigMap ${ACCOUNTS_CONFIGMAP})`);
    const request = parseBody(PasswordChangeRequestSchema, parseJson(await c.req.text()));
    checkNewPassword(request.newPassword, request.currentPassword);
    const refused = await confirmCaller(c, auth, request.currentPassword);
    if (refused) return refused;
    await change(user, request.newPassword);
    c.header("Cache-Control", "no-store");
    return c.json(await ctx.startSession(c, user));
  });

  app.put(`${ACCOUNTS_PATH}/:name/password`, async (c) => {
    const auth = requireAuth(c);
    const name = c.req.param("name");
    if (name === auth.subject.user)
      throw new HttpError(422, `to change your own password use PUT ${PASSWORD_PATH}`, "name");
    if (!(await isAdmin(auth)))
      throw new HttpError(
        403,
        `${auth.subject.user} may not set other accounts' passwords (needs the ${ADMIN_ROLE} role)`,
      );
    if (!ACCOUNT_NAME.test(name) || !ctx.accounts.accounts().accounts.has(name)) {
      throw new HttpError(404, `account ${name} is not declared in ConfigMap ${ACCOUNTS_CONFIGMAP}`, "name");
    }
    const request = parseBody(PasswordChangeRequestSchema, parseJson(await c.req.text()));
    checkNewPassword(request.newPassword, request.currentPassword);
    const refused = await confirmCaller(c, auth, request.currentPassword);
    if (refused) return refused;
    const body: AccountPasswordSet = { name, passwordMtime: await change(name, request.newPassword) };
    c.header("Cache-Control", "no-store");
    return c.json(body);
  });

  app.get(ACCOUNTS_PATH, async (c) => {
    const auth = requireAuth(c);
    const all = await isAdmin(auth);
    const items = [...ctx.accounts.accounts().accounts.values()]
      .filter((a) => all || a.name === auth.subject.user)
      .map((a) => ({
        name: a.name,
        enabled: a.enabled,
        capabilities: [...a.capabilities].sort(),
        passwordSet: ctx.accounts.hasPassword(a.name),
        ...(a.problem ? { problem: a.problem } : {}),
      }));
    const body: AccountList = { items };
    return c.json(body);
  });
}
