// Local accounts, declared in ConfigMap `tether-accounts` in Argo CD's argocd-cm shape:
//
//   accounts.alice: "login, apiKey"     capabilities: login (password sessions), apiKey (API tokens)
//   accounts.alice.enabled: "false"     disabled: no login, and its sessions and tokens stop at once
//
// Passwords (scrypt, password.ts) live in Secret `tether-accounts` as `<name>.passwordHash` and
// `<name>.passwordMtime`; the admin keeps Secret `tether-admin` (admin.ts) for compatibility with
// earlier installs. `admin` is always declared (capabilities login and apiKey) unless the ConfigMap
// says otherwise: `accounts.admin: "login"` narrows it, `accounts.admin.enabled: "false"` disables
// it (once another account holds the admin role).
//
// An account's RBAC subject is its name (bindings' `users:`); SSO users are `sso:<name>` and never
// collide, since account names cannot contain ':'. Parsing is pure and never throws: a bad entry
// is an issue naming the ConfigMap and key, and only that account is left disabled (fail closed).
import { LOCAL_ADMIN_USER } from "./admin.js";
import { SSO_USER_PREFIX } from "./oidc-config.js";

export const ACCOUNTS_CONFIGMAP = "tether-accounts";
export const ACCOUNTS_SECRET = "tether-accounts";
export const CAPABILITIES = ["login", "apiKey"] as const;
export type Capability = (typeof CAPABILITIES)[number];
/** Lowercase letters, digits, '-' and '_', starting and ending with a letter or digit. */
export const ACCOUNT_NAME = /^[a-z0-9]([a-z0-9_-]{0,61}[a-z0-9])?$/;
const PREFIX = "accounts.";
const ENABLED_SUFFIX = ".enabled";

export interface Account {
  name: string;
  capabilities: ReadonlySet<Capability>;
  enabled: boolean;
  /** Why the account is disabled by a bad entry (unset when it is fine or disabled on purpose). */
  problem?: string;
}

export interface AccountsConfig {
  accounts: ReadonlyMap<string, Account>;
  /** One line per bad key, naming the ConfigMap and the key. */
  issues: string[];
}

function parseCapabilities(text: string): { capabilities: Set<Capability>; unknown: string[] } {
  const capabilities = new Set<Capability>();
  const unknown: string[] = [];
  for (const item of text.split(",").map((s) => s.trim())) {
    if (item === "") continue;
    if ((CAPABILITIES as readonly string[]).includes(item)) capabilities.add(item as Capability);
    else unknown.push(item);
  }
  return { capabilities, unknown };
}

export function parseAccountsConfigMap(data: Readonly<Record<string, string>> | undefined): AccountsConfig {
  const issues: string[] = [];
  const where = (key: string) => `ConfigMap ${ACCOUNTS_CONFIGMAP} key ${key}`;
  const declared = new Map<string, { capabilities: Set<Capability>; problem?: string }>();
  const enabled = new Map<string, { value: boolean; problem?: string }>();
  for (const [key, value] of Object.entries(data ?? {})) {
    if (!key.startsWith(PREFIX)) {
      issues.push(`${where(key)}: unknown key (expected accounts.<name> or accounts.<name>.enabled)`);
      continue;
    }
    const isEnabled = key.endsWith(ENABLED_SUFFIX);
    const name = key.slice(PREFIX.length, isEnabled ? -ENABLED_SUFFIX.length : undefined);
    if (!ACCOUNT_NAME.test(name)) {
      issues.push(
        `${where(key)}: "${name}" is not a valid account name (lowercase letters, digits, '-', '_'; at most 63)`,
      );
      continue;
    }
    if (isEnabled) {
      const text = value.trim();
      if (text === "true" || text === "false") enabled.set(name, { value: text === "true" });
      else {
        const problem = `${where(key)}: must be "true" or "false", not ${JSON.stringify(value)}; the account is disabled`;
        issues.push(problem);
        enabled.set(name, { value: false, problem });
      }
      continue;
    }
    const parsed = parseCapabilities(value);
    if (parsed.unknown.length > 0) {
      const problem = `${where(key)}: unknown capabilities ${parsed.unknown.map((u) => JSON.stringify(u)).join(", ")} (known: ${CAPABILITIES.join(", ")}); the account is disabled`;
      issues.push(problem);
      declared.set(name, { capabilities: parsed.capabilities, problem });
    } else declared.set(name, { capabilities: parsed.capabilities });
  }
  if (!declared.has(LOCAL_ADMIN_USER))
    declared.set(LOCAL_ADMIN_USER, { capabilities: new Set(CAPABILITIES) });
  for (const name of enabled.keys()) {
    if (!declared.has(name))
      issues.push(
        `${where(`${PREFIX}${name}${ENABLED_SUFFIX}`)}: no account ${name} is declared (add accounts.${name})`,
      );
  }
  const accounts = new Map<string, Account>();
  for (const [name, { capabilities, problem: capsProblem }] of [...declared].sort((a, b) =>
    a[0].localeCompare(b[0]),
  )) {
    const flag = enabled.get(name);
    const problem = capsProblem ?? flag?.problem;
    accounts.set(name, {
      name,
      capabilities,
      enabled: problem === undefined && (flag?.value ?? true),
      ...(problem !== undefined ? { problem } : {}),
    });
  }
  return { accounts, issues };
}

/** Whether a subject names a local account (SSO subjects are prefixed and never do). */
export function isLocalSubject(user: string): boolean {
  return !user.startsWith(SSO_USER_PREFIX);
}

/** The account if it is declared, enabled and has `capability`; else why not. */
export function accountAllows(
  config: AccountsConfig,
  user: string,
  capability: Capability,
): { ok: true; account: Account } | { ok: false; reason: string } {
  const account = config.accounts.get(user);
  if (!account)
    return { ok: false, reason: `account ${user} is not declared in ConfigMap ${ACCOUNTS_CONFIGMAP}` };
  if (!account.enabled) return { ok: false, reason: account.problem ?? `account ${user} is disabled` };
  if (!account.capabilities.has(capability))
    return { ok: false, reason: `account ${user} lacks the ${capability} capability` };
  return { ok: true, account };
}

/** Secret tether-accounts keys of one account. */
export const passwordHashKey = (name: string) => `${name}.passwordHash`;
export const passwordMtimeKey = (name: string) => `${name}.passwordMtime`;

/** ms of the account's last password change from a Secret's data (undefined if none or unreadable). */
export function passwordMtimeOf(
  data: Readonly<Record<string, string>> | undefined,
  key: string,
): number | undefined {
  const text = data?.[key];
  const ms = text ? Date.parse(text) : NaN;
  return Number.isNaN(ms) ? undefined : ms;
}
