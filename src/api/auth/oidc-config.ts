// OIDC login settings, modeled on Argo CD's `oidc.config`: YAML under the key `oidc.config` of the
// ConfigMap `tether-oidc` in the system namespace, the client secret in a Secret:
//
//   name: Corp SSO                     # button text in the UI (default "SSO")
//   issuer: https://idp.example.com    # https, or http on a loopback host (development)
//   clientID: tether
//   clientSecret: $oidc.clientSecret   # key of Secret tether-oidc; or $<secret>:<key> for another
//                                      # Secret in the system namespace. Plain values are refused.
//   redirectURL: https://tether.example.com/api/v1/auth/oidc/callback
//   requestedScopes: [openid, profile, email, groups]   # default; must contain openid
//   groupsClaim: groups                # ID token claim holding the groups (default "groups")
//   usernameClaim: email               # ID token claim naming the user (default "email"; or sub)
//
// Pure: parsing and validation only. Every problem is reported at once, and a config with any
// problem disables SSO (the server logs why) rather than half-working.
import { parse } from "yaml";

export const OIDC_CONFIGMAP = "tether-oidc";
export const OIDC_CONFIG_KEY = "oidc.config";
/** The default Secret a `$key` client secret reference points into. */
export const OIDC_SECRET = "tether-oidc";
export const OIDC_CALLBACK_PATH = "/api/v1/auth/oidc/callback";
export const OIDC_LOGIN_PATH = "/api/v1/auth/oidc/login";
/** RBAC user names of SSO identities carry this prefix: an IdP user can never be the local `admin`. */
export const SSO_USER_PREFIX = "sso:";

export interface SecretRef {
  secret: string;
  key: string;
}

export interface OidcConfig {
  name: string;
  issuer: string;
  clientID: string;
  clientSecret: SecretRef;
  redirectURL: string;
  requestedScopes: string[];
  groupsClaim: string;
  usernameClaim: string;
}

/** An OidcConfig with its client secret read from the Secret. */
export interface OidcSettings extends Omit<OidcConfig, "clientSecret"> {
  clientSecret: string;
}

export type OidcConfigResult =
  | { ok: true; enabled: false }
  | { ok: true; enabled: true; config: OidcConfig }
  | { ok: false; issues: string[] };

const KEYS = [
  "name",
  "issuer",
  "clientID",
  "clientSecret",
  "redirectURL",
  "requestedScopes",
  "groupsClaim",
  "usernameClaim",
];
const DEFAULT_SCOPES = ["openid", "profile", "email", "groups"];
const SECRET_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const SECRET_KEY = /^[-._a-zA-Z0-9]{1,253}$/;
const CLAIM = /^[A-Za-z0-9_:./-]{1,128}$/;
const SCOPE = /^[\x21\x23-\x5b\x5d-\x7e]{1,128}$/;

function isLoopback(hostname: string): boolean {
  return hostname === "localhost" || hostname === "[::1]" || /^127(\.\d{1,3}){3}$/.test(hostname);
}

/** `$key` → Secret tether-oidc, `$secret:key` → that Secret; undefined for anything else. */
export function parseSecretRef(value: string): SecretRef | undefined {
  if (!value.startsWith("$")) return undefined;
  const body = value.slice(1);
  const colon = body.indexOf(":");
  const ref =
    colon < 0
      ? { secret: OIDC_SECRET, key: body }
      : { secret: body.slice(0, colon), key: body.slice(colon + 1) };
  return SECRET_NAME.test(ref.secret) && SECRET_KEY.test(ref.key) ? ref : undefined;
}

function checkUrl(value: unknown, field: string, issues: string[]): URL | undefined {
  if (typeof value !== "string" || value === "") {
    issues.push(`${field}: is required`);
    return undefined;
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    issues.push(`${field}: ${JSON.stringify(value)} is not a URL`);
    return undefined;
  }
  if (url.protocol !== "https:" && !(url.protocol === "http:" && isLoopback(url.hostname))) {
    issues.push(`${field}: must be https (plain http only on a loopback host)`);
  }
  if (url.username || url.password) issues.push(`${field}: must not carry credentials`);
  if (url.hash) issues.push(`${field}: must not have a #fragment`);
  return url;
}

/** Parses the ConfigMap data; no `oidc.config` key (or no ConfigMap) means SSO is off. */
export function parseOidcConfig(data: Record<string, string> | undefined): OidcConfigResult {
  const text = data?.[OIDC_CONFIG_KEY];
  if (text === undefined || text.trim() === "") return { ok: true, enabled: false };
  let raw: unknown;
  try {
    raw = parse(text, { maxAliasCount: 10 });
  } catch (error) {
    return {
      ok: false,
      issues: [`${OIDC_CONFIG_KEY}: invalid YAML: ${(error as Error).message.split("\n")[0]}`],
    };
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    return { ok: false, issues: [`${OIDC_CONFIG_KEY}: must be a mapping`] };
  }
  const v = raw as Record<string, unknown>;
  const issues: string[] = [];
  for (const key of Object.keys(v)) {
    if (!KEYS.includes(key)) issues.push(`${key}: unknown field (allowed: ${KEYS.join(", ")})`);
  }
  const str = (key: string, fallback?: string, pattern?: RegExp): string => {
    const value = v[key] ?? fallback;
    if (typeof value !== "string" || value === "") {
      issues.push(`${key}: ${v[key] === undefined ? "is required" : "must be a non-empty string"}`);
      return "";
    }
    if (pattern && !pattern.test(value)) issues.push(`${key}: invalid value ${JSON.stringify(value)}`);
    return value;
  };
  const name = str("name", "SSO");
  if (name.length > 64) issues.push("name: at most 64 characters");
  const issuer = checkUrl(v["issuer"], "issuer", issues);
  const clientID = str("clientID");
  const secretText = str("clientSecret");
  const clientSecret = parseSecretRef(secretText);
  if (secretText && !clientSecret) {
    // Never echo the value: it may be the secret itself, pasted into a ConfigMap.
    issues.push(
      "clientSecret: must reference a Secret as $<key> (Secret tether-oidc) or $<secret>:<key>; a plain value is refused",
    );
  }
  const redirect = checkUrl(v["redirectURL"], "redirectURL", issues);
  if (redirect && !redirect.pathname.endsWith(OIDC_CALLBACK_PATH)) {
    issues.push(`redirectURL: the path must end with ${OIDC_CALLBACK_PATH}`);
  }
  if (redirect?.search) issues.push("redirectURL: must not have a query");
  let scopes = DEFAULT_SCOPES;
  if (v["requestedScopes"] !== undefined) {
    const list = v["requestedScopes"];
    if (!Array.isArray(list) || !list.every((s) => typeof s === "string" && SCOPE.test(s))) {
      issues.push("requestedScopes: must be a list of scope names");
    } else if (!list.includes("openid")) {
      issues.push("requestedScopes: must contain openid");
    } else scopes = list as string[];
  }
  const groupsClaim = str("groupsClaim", "groups", CLAIM);
  const usernameClaim = str("usernameClaim", "email", CLAIM);
  if (issues.length > 0 || !issuer || !redirect || !clientSecret) return { ok: false, issues };
  return {
    ok: true,
    enabled: true,
    config: {
      name,
      issuer: issuer.href.replace(/\/$/, ""),
      clientID,
      clientSecret,
      redirectURL: redirect.href,
      requestedScopes: [...new Set(scopes)],
      groupsClaim,
      usernameClaim,
    },
  };
}
