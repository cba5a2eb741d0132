// Passwords of local accounts: the admin's in Secret tether-admin (admin.ts, unchanged from earlier
// versions), every other account's in Secret tether-accounts under `<name>.passwordHash` and
// `<name>.passwordMtime`. Whether an account may log in at all is accounts.ts's question; this
// module only checks and sets passwords, always at the cost of one scrypt run so the response time
// does not tell which accounts have a password.
import type { BootstrapOptions, SecretStore } from "./admin.js";
import {
  changeAdminPassword,
  checkLocalLogin,
  DUMMY_PASSWORD_HASH,
  LOCAL_ADMIN_USER,
  storeErrorStatus,
} from "./admin.js";
import { ACCOUNTS_SECRET, passwordHashKey, passwordMtimeKey } from "./accounts.js";
import { hashPassword, parsePasswordHash, verifyPassword } from "./password.js";

/** True when `password` is the account's. An account without a (valid) hash never matches. */
export async function checkAccountPassword(
  store: SecretStore,
  name: string,
  password: string,
): Promise<boolean> {
  if (name === LOCAL_ADMIN_USER) return (await checkLocalLogin(store, name, password)).ok;
  const stored = (await store.read(ACCOUNTS_SECRET))?.data[passwordHashKey(name)];
  const usable = stored !== undefined && parsePasswordHash(stored) !== undefined;
  const ok = await verifyPassword(password, usable ? stored : DUMMY_PASSWORD_HASH);
  return ok && usable;
}

/** Whether the account has a password set (for listings; no secret is returned). */
export function hasPassword(
  adminData: Readonly<Record<string, string>> | undefined,
  accountsData: Readonly<Record<string, string>> | undefined,
  name: string,
): boolean {
  const hash = name === LOCAL_ADMIN_USER ? adminData?.passwordHash : accountsData?.[passwordHashKey(name)];
  return hash !== undefined && parsePasswordHash(hash) !== undefined;
}

/**
 * Sets an account's password (the caller has checked who may). Returns the change time: sessions
 * of the account issued before it are invalid on every replica once they see the Secret change.
 */
export async function setAccountPassword(
  store: SecretStore,
  name: string,
  newPassword: string,
  options: BootstrapOptions,
): Promise<{ passwordMtime: string }> {
  if (name === LOCAL_ADMIN_USER) return changeAdminPassword(store, newPassword, options);
  const passwordHash = await hashPassword(newPassword, {
    ...(options.random ? { random: options.random } : {}),
    ...(options.scrypt ? { params: options.scrypt } : {}),
  });
  // Other accounts' entries share the Secret: a conflict is someone else's write, so re-read.
  for (let attempt = 0; attempt < 5; attempt++) {
    const existing = await store.read(ACCOUNTS_SECRET);
    const passwordMtime = new Date(options.now()).toISOString();
    const data = {
      ...(existing?.data ?? {}),
      [passwordHashKey(name)]: passwordHash,
      [passwordMtimeKey(name)]: passwordMtime,
    };
    try {
      if (existing) await store.update(ACCOUNTS_SECRET, data, existing.resourceVersion);
      else await store.create(ACCOUNTS_SECRET, data);
      return { passwordMtime };
    } catch (error) {
      if (storeErrorStatus(error) !== 409) throw error;
    }
  }
  throw new Error(`gave up after 5 conflicting writes to Secret ${ACCOUNTS_SECRET}`);
}
