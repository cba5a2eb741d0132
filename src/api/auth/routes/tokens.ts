// API token routes:
//   POST   /api/v1/tokens        create; the response carries the token, the only time it is shown
//   GET    /api/v1/tokens        list (never the secret nor its hash)
//   DELETE /api/v1/tokens/{id}   revoke; refused on the very next request (every check reads the Secret)
//
// A declared local account (ConfigMap tether-accounts) needs the apiKey capability; a name that is
// no account (a robot an admin creates tokens for) needs none. Everyone manages their own tokens; a subject holding the `admin` role manages everyone's and may
// create a token for another user. A token gets at most the creator's roles (all of them by
// default) and acts as its owner restricted to those roles. Tokens are created from a login
// session, not by another API token, so a leaked token cannot mint itself successors.
import type { OpenAPIHono } from "@hono/zod-openapi";
import { HttpError } from "../../errors.js";
import type { ApiTokenView, CreatedApiToken } from "../../types.js";
import { CreateApiTokenRequestSchema } from "../../types.js";
import { parseBody, parseJson } from "../../validate.js";
import type { ApiTokenRecord } from "../apitokens.js";
import { createApiToken, revokeApiToken } from "../apitokens.js";
import { ACCOUNTS_CONFIGMAP, isLocalSubject } from "../accounts.js";
import { rolesOf } from "../rbac.js";
import type { AuthRouteContext } from "./context.js";
import { requireAuth } from "./context.js";

export const TOKENS_PATH = "/api/v1/tokens";
export const MAX_ACTIVE_TOKENS_PER_OWNER = 50;
const ADMIN_ROLE = "admin";

export function tokenView(record: ApiTokenRecord): ApiTokenView {
  const iso = (ms: number) => new Date(ms).toISOString();
  return {
    id: record.id,
    owner: record.owner,
    groups: record.groups,
    roles: record.roles,
    description: record.description,
    createdAt: iso(record.createdAt),
    ...(record.expiresAt !== undefined ? { expiresAt: iso(record.expiresAt) } : {}),
    ...(record.revokedAt !== undefined ? { revokedAt: iso(record.revokedAt) } : {}),
  };
}

export function registerTokenRoutes(app: OpenAPIHono, ctx: AuthRouteContext): void {
  const isAdmin = async (subject: Parameters<typeof rolesOf>[1]) =>
    rolesOf(await ctx.policy(), subject).includes(ADMIN_ROLE);

  app.post(TOKENS_PATH, async (c) => {
    const auth = requireAuth(c);
    if (auth.via === "api-token")
      throw new HttpError(403, "an API token cannot create API tokens: log in to create one");
    const request = parseBody(CreateApiTokenRequestSchema, parseJson(await c.req.text()));
    const policy = await ctx.policy();
    const mine = rolesOf(policy, auth.subject);
    const forOther = request.owner !== undefined && request.owner !== auth.subject.user;
    if (forOther && !mine.includes(ADMIN_ROLE)) {
      throw new HttpError(403, `${auth.subject.user} may not create tokens for other users`, "owner");
    }
    const roles = request.roles ?? mine;
    for (const [i, role] of roles.entries()) {
      if (!policy.roles.has(role))
        throw new HttpError(422, `roles[${i}]: unknown role ${JSON.stringify(role)}`, `roles.${i}`);
      // An admin may hand any role to a robot account; nobody may hand on a role they lack.
      if (!mine.includes(role) && !(forOther && mine.includes(ADMIN_ROLE))) {
        throw new HttpError(
          403,
          `${auth.subject.user} does not hold role ${JSON.stringify(role)}`,
          `roles.${i}`,
        );
      }
    }
    if (roles.length === 0) throw new HttpError(422, "roles: a token needs at least one role", "roles");
    const owner = forOther ? (request.owner as string) : auth.subject.user;
    // A declared local account gets tokens only with the apiKey capability (and while enabled);
    // its tokens carry the mark that ends them when the account goes (apitokens.ts).
    const account = isLocalSubject(owner) && ctx.accounts.accounts().accounts.has(owner);
    if (account) {
      const allowed = ctx.accounts.allows(owner, "apiKey");
      if (!allowed.ok)
        throw new HttpError(
          403,
          `no API token for ${owner}: ${allowed.reason} (ConfigMap ${ACCOUNTS_CONFIGMAP})`,
          "owner",
        );
    }
    const { token, record } = createApiToken({
      owner,
      account,
      groups: forOther ? [] : [...auth.subject.groups],
      roles: [...new Set(roles)],
      ...(request.description !== undefined ? { description: request.description } : {}),
      ...(request.ttlSeconds !== undefined ? { ttlSeconds: request.ttlSeconds } : {}),
      now: ctx.now,
      random: ctx.random,
    });
    const now = ctx.now();
    let full = false;
    await ctx.apiTokens.modify((records) => {
      const active = records.filter(
        (r) =>
          r.owner === owner && r.revokedAt === undefined && (r.expiresAt === undefined || r.expiresAt > now),
      );
      full = active.length >= MAX_ACTIVE_TOKENS_PER_OWNER;
      return full ? undefined : record;
    });
    if (full)
      throw new HttpError(
        409,
        `${owner} already has ${MAX_ACTIVE_TOKENS_PER_OWNER} active tokens: revoke some first`,
      );
    c.header("Cache-Control", "no-store");
    return c.json({ ...tokenView(record), token } satisfies CreatedApiToken, 201);
  });

  app.get(TOKENS_PATH, async (c) => {
    const auth = requireAuth(c);
    const all = await isAdmin(auth.subject);
    const owner = c.req.query("owner");
    const items = (await ctx.apiTokens.list()).filter((r) =>
      all ? owner === undefined || r.owner === owner : r.owner === auth.subject.user,
    );
    return c.json({ items: items.map(tokenView) });
  });

  app.delete(`${TOKENS_PATH}/:id`, async (c) => {
    const auth = requireAuth(c);
    const id = c.req.param("id");
    const all = await isAdmin(auth.subject);
    let seen: ApiTokenRecord | undefined;
    const written = await ctx.apiTokens.modify((records) => {
      seen = records.find((r) => r.id === id && (all || r.owner === auth.subject.user));
      return seen && seen.revokedAt === undefined ? revokeApiToken(seen, ctx.now) : undefined;
    });
    if (written) ctx.credentialsRevoked();
    // Someone else's token is as absent as a token that never existed.
    const result = written ?? seen;
    if (!result) throw new HttpError(404, `API token ${id} not found`);
    return c.json(tokenView(result));
  });
}
