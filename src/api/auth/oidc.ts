// OIDC authorization code + PKCE login through openid-client (discovery, authorization URL, code
// exchange, ID token validation: signature, issuer, audience, nonce, expiry). This module owns the
// library; callers see OidcSettings in and an Identity or an OidcError out.
//
// Errors carry the HTTP status the callback answers with and a message safe to show: the client
// secret, the authorization code and tokens never appear in one.
import * as client from "openid-client";
import type { Clock, RandomBytes } from "./constanttime.js";
import type { OidcSettings } from "./oidc-config.js";
import { SSO_USER_PREFIX } from "./oidc-config.js";
import type { LoginState } from "./oidc-state.js";
import { LOGIN_STATE_TTL_SECONDS, safeReturnPath } from "./oidc-state.js";
import { MAX_SESSION_GROUPS } from "./sessions.js";

export type OidcErrorStatus = 400 | 401 | 404 | 502;

export class OidcError extends Error {
  override readonly name = "OidcError";
  constructor(
    readonly status: OidcErrorStatus,
    message: string,
    /** Stable, for logs and tests: not-configured, bad-state, provider-error, exchange-failed, … */
    readonly reason: string,
  ) {
    super(message);
  }
}

export interface Identity {
  /** RBAC user name: `sso:` + the username claim. */
  user: string;
  groups: string[];
}

function isLoopback(url: URL): boolean {
  return url.hostname === "localhost" || url.hostname === "[::1]" || url.hostname.startsWith("127.");
}

/** The message of a library or network failure, with anything that looks like a credential cut. */
function describe(error: unknown): string {
  const e = error as { message?: unknown; cause?: { code?: unknown; message?: unknown } };
  const cause = e.cause && typeof e.cause === "object" ? (e.cause.message ?? e.cause.code) : undefined;
  const text = `${typeof e.message === "string" ? e.message : String(error)}${typeof cause === "string" ? ` (${cause})` : ""}`;
  return text.slice(0, 300);
}

function isNetworkFailure(error: unknown): boolean {
  const e = error as { name?: unknown; message?: unknown; code?: unknown };
  return (
    e.name === "AbortError" ||
    e.name === "TimeoutError" ||
    (error instanceof TypeError && /fetch failed/i.test(String(e.message))) ||
    e.code === "OAUTH_RESPONSE_IS_NOT_CONFORM" ||
    e.code === "OAUTH_RESPONSE_IS_NOT_JSON"
  );
}

/**
 * Maps the ID token's claims to a Tether identity. Pure. The username claim must be a non-empty
 * string (an `email` with `email_verified: false` is refused); groups may be a list or one string.
 */
export function identityFromClaims(
  claims: Record<string, unknown>,
  settings: Pick<OidcSettings, "usernameClaim" | "groupsClaim">,
): Identity {
  const name = claims[settings.usernameClaim];
  if (typeof name !== "string" || name === "" || name.length > 200) {
    throw new OidcError(
      401,
      `the ID token has no usable "${settings.usernameClaim}" claim (usernameClaim)`,
      "no-username",
    );
  }
  if (settings.usernameClaim === "email" && claims["email_verified"] === false) {
    throw new OidcError(401, "the provider says this email address is not verified", "email-unverified");
  }
  const raw = claims[settings.groupsClaim];
  const list = typeof raw === "string" ? [raw] : Array.isArray(raw) ? raw : [];
  const groups = [
    ...new Set(list.filter((g): g is string => typeof g === "string" && g.length > 0 && g.length <= 256)),
  ];
  if (groups.length > MAX_SESSION_GROUPS) {
    throw new OidcError(
      401,
      `the ID token carries ${groups.length} groups; at most ${MAX_SESSION_GROUPS} fit in a session: limit the "${settings.groupsClaim}" claim at the provider`,
      "too-many-groups",
    );
  }
  return { user: `${SSO_USER_PREFIX}${name}`, groups };
}

export interface OidcClientOptions {
  now: Clock;
  random?: RandomBytes;
  /** Per request to the provider. Default 10 s. */
  timeoutMs?: number;
}

/** One provider configuration (discovery document + client), discovered once per settings value. */
export class OidcClient {
  private cached: { key: string; config: Promise<client.Configuration> } | undefined;
  constructor(private readonly options: OidcClientOptions) {}

  private configuration(settings: OidcSettings): Promise<client.Configuration> {
    const key = JSON.stringify([settings.issuer, settings.clientID, settings.clientSecret]);
    if (this.cached?.key === key) return this.cached.config;
    const issuer = new URL(settings.issuer);
    const config = client
      .discovery(
        issuer,
        settings.clientID,
        { client_secret: settings.clientSecret },
        client.ClientSecretPost(settings.clientSecret),
        {
          timeout: (this.options.timeoutMs ?? 10_000) / 1000,
          ...(issuer.protocol === "http:" && isLoopback(issuer)
            ? { execute: [client.allowInsecureRequests] }
            : {}),
        },
      )
      .catch((error: unknown) => {
        if (this.cached?.config === config) this.cached = undefined; // try again on the next login
        throw new OidcError(
          502,
          `cannot use the OIDC provider ${settings.issuer}: ${describe(error)}`,
          "discovery-failed",
        );
      });
    this.cached = { key, config };
    return config;
  }

  /** A fresh login state and the provider URL to send the browser to. */
  async begin(
    settings: OidcSettings,
    returnTo: string | undefined,
  ): Promise<{ url: URL; state: LoginState }> {
    const config = await this.configuration(settings);
    const state: LoginState = {
      state: client.randomState(),
      nonce: client.randomNonce(),
      verifier: client.randomPKCECodeVerifier(),
      returnTo: safeReturnPath(returnTo),
      expiresAt: this.options.now() + LOGIN_STATE_TTL_SECONDS * 1000,
    };
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: settings.redirectURL,
      scope: settings.requestedScopes.join(" "),
      state: state.state,
      nonce: state.nonce,
      code_challenge: await client.calculatePKCECodeChallenge(state.verifier),
      code_challenge_method: "S256",
    });
    return { url, state };
  }

  /**
   * Exchanges the code in the callback's query for tokens and validates the ID token against the
   * login state. The caller has already compared `state` (constant time); the library checks again.
   */
  async finish(settings: OidcSettings, query: URLSearchParams, login: LoginState): Promise<Identity> {
    const config = await this.configuration(settings);
    const current = new URL(settings.redirectURL);
    current.search = query.toString();
    let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
    try {
      tokens = await client.authorizationCodeGrant(config, current, {
        pkceCodeVerifier: login.verifier,
        expectedState: login.state,
        expectedNonce: login.nonce,
        idTokenExpected: true,
      });
    } catch (error) {
      if (error instanceof client.AuthorizationResponseError) {
        throw new OidcError(401, `the provider refused the login: ${error.error}`, "provider-error");
      }
      if (error instanceof client.ResponseBodyError) {
        throw new OidcError(
          401,
          `the provider refused the authorization code: ${error.error}`,
          "exchange-refused",
        );
      }
      if (isNetworkFailure(error)) {
        throw new OidcError(
          502,
          `cannot reach the OIDC provider ${settings.issuer}: ${describe(error)}`,
          "provider-unreachable",
        );
      }
      throw new OidcError(401, `the ID token was rejected: ${describe(error)}`, "id-token-invalid");
    }
    const claims = tokens.claims();
    if (!claims) throw new OidcError(401, "the provider returned no ID token", "id-token-missing");
    return identityFromClaims(claims, settings);
  }
}
