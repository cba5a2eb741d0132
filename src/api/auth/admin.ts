// Local admin bootstrap, modeled on Argo CD's `argocd-initial-admin-secret`.
//
// On every start `bootstrapAdmin` converges (level-triggered, safe to run any number of times and
// from several replicas at once):
//   - Secret `tether-admin` holds `passwordHash` (scrypt, see password.ts) and `passwordMtime`.
//     It is the only credential the server checks for the admin (other accounts: accounts.ts).
//   - Secret `tether-initial-admin` holds the generated plaintext under `password`, once. The user
//     reads it (`kubectl get secret tether-initial-admin -o jsonpath=…`), logs in, changes the
//     password and DELETES that Secret, exactly like Argo CD's initial admin secret.
//     `takeInitialPassword` reads-and-deletes it for `tether login`/`npm start` flows.
//   - Earlier versions named it `tether-initial-admin-password`. We READ BOTH (the new name first)
//     rather than migrate: copying a plaintext password into a second Secret would only widen where
//     it lies, and both names disappear the same way (a password change or takeInitialPassword
//     deletes both). A bootstrap that finds only the old Secret hashes its password, as before.
//
// Order matters for crash safety and races: the plaintext Secret is created first. If we crash
// before the hash exists, the next start hashes the same plaintext instead of minting a second,
// unknown password. Two replicas racing both `create`; the apiserver lets one win, the loser sees
// 409, re-reads and converges on the winner's password. Clearing `passwordHash` from `tether-admin`
// (as an operator) resets the admin password on the next start.
//
// The plaintext is never logged here, and callers must not log it either (an in-cluster server's
// logs are read by more people than its Secrets).
//
// SecretStore is the only Kubernetes access: an adapter in src/kube maps it to core/v1 Secrets
// (string values ↔ base64 `data`), in the controller's namespace, throwing errors that carry
// `statusCode`/`code` 409 on AlreadyExists/Conflict and 404 on NotFound.
import type { Clock, RandomBytes } from "./constanttime.js";
import { defaultRandomBytes } from "./constanttime.js";
import type { ScryptParams } from "./password.js";
import { generatePassword, hashPassword, parsePasswordHash, verifyPassword } from "./password.js";

export const ADMIN_SECRET = "tether-admin";
export const INITIAL_ADMIN_PASSWORD_SECRET = "tether-initial-admin";
/** The name earlier versions used; still read (see the header). */
export const LEGACY_INITIAL_ADMIN_PASSWORD_SECRET = "tether-initial-admin-password";
export const LOCAL_ADMIN_USER = "admin";

export interface StoredSecret {
  data: Record<string, string>;
  resourceVersion: string;
}

export interface SecretStore {
  read(name: string): Promise<StoredSecret | undefined>;
  /** Throws an error with status 409 when the Secret already exists. */
  create(name: string, data: Record<string, string>): Promise<void>;
  /** Throws an error with status 409 when `resourceVersion` is stale. */
  update(name: string, data: Record<string, string>, resourceVersion: string): Promise<void>;
  /** Deletes with a resourceVersion precondition; 404/409 when someone else got there first. */
  delete?(name: string, resourceVersion: string): Promise<void>;
}

export class AdminBootstrapError extends Error {
  override readonly name = "AdminBootstrapError";
}

/** Status of an error thrown by a SecretStore (client-node uses `code`, others `statusCode`). */
export function storeErrorStatus(error: unknown): number | undefined {
  const candidate = error as { code?: unknown; statusCode?: unknown; status?: unknown } | null;
  const code = candidate?.statusCode ?? candidate?.code ?? candidate?.status;
  return typeof code === "number" ? code : undefined;
}

export interface BootstrapOptions {
  now: Clock;
  random?: RandomBytes;
  scrypt?: ScryptParams;
  /** Conflict retries before giving up; each retry re-reads both Secrets. */
  maxAttempts?: number;
}

export type BootstrapResult =
  /** The admin hash already existed; nothing was written. */
  | { action: "existing" }
  /** This call wrote the hash; the plaintext is in INITIAL_ADMIN_PASSWORD_SECRET. */
  | { action: "created"; initialPasswordSecret: string };

export async function bootstrapAdmin(
  store: SecretStore,
  options: BootstrapOptions,
): Promise<BootstrapResult> {
  const random = options.random ?? defaultRandomBytes;
  const attempts = options.maxAttempts ?? 5;
  for (let attempt = 0; attempt < attempts; attempt++) {
    const admin = await store.read(ADMIN_SECRET);
    const existingHash = admin?.data.passwordHash;
    if (existingHash) {
      // Never overwrite a hash we cannot parse: that is an operator's edit gone wrong, not a reset.
      if (!parsePasswordHash(existingHash)) {
        throw new AdminBootstrapError(
          `Secret ${ADMIN_SECRET} key passwordHash is not a valid scrypt hash; remove the key to reset the admin password`,
        );
      }
      return { action: "existing" };
    }

    const initial = await store.read(INITIAL_ADMIN_PASSWORD_SECRET);
    let password = initial?.data.password;
    // An earlier version's Secret whose hash was never written: hash that password, not a new one.
    if (!password) password = (await store.read(LEGACY_INITIAL_ADMIN_PASSWORD_SECRET))?.data.password;
    if (!password) {
      password = generatePassword(random);
      try {
        if (initial) await store.update(INITIAL_ADMIN_PASSWORD_SECRET, { password }, initial.resourceVersion);
        else await store.create(INITIAL_ADMIN_PASSWORD_SECRET, { password });
      } catch (error) {
        if (storeErrorStatus(error) === 409) continue; // another replica wrote one: use theirs
        throw error;
      }
    }

    const data = {
      ...(admin?.data ?? {}),
      passwordHash: await hashPassword(password, {
        random,
        ...(options.scrypt ? { params: options.scrypt } : {}),
      }),
      passwordMtime: new Date(options.now()).toISOString(),
    };
    try {
      if (admin) await store.update(ADMIN_SECRET, data, admin.resourceVersion);
      else await store.create(ADMIN_SECRET, data);
    } catch (error) {
      if (storeErrorStatus(error) === 409) continue; // the other replica hashed the same plaintext
      throw error;
    }
    return { action: "created", initialPasswordSecret: INITIAL_ADMIN_PASSWORD_SECRET };
  }
  throw new AdminBootstrapError(`gave up after ${attempts} conflicting writes to ${ADMIN_SECRET}`);
}

/** The initial admin password while its Secret exists (the current name first, then the old one). */
export async function readInitialPassword(store: SecretStore): Promise<string | undefined> {
  for (const name of [INITIAL_ADMIN_PASSWORD_SECRET, LEGACY_INITIAL_ADMIN_PASSWORD_SECRET]) {
    const password = (await store.read(name))?.data.password;
    if (password) return password;
  }
  return undefined;
}

/**
 * Reads and deletes the initial password Secret (read-once; both names, see the header).
 * Undefined when it is gone, another caller deleted it first, or bootstrap has not finished
 * (deleting the plaintext before its hash exists would lose the password if bootstrap then
 * crashed). Requires `store.delete`.
 */
export async function takeInitialPassword(store: SecretStore): Promise<string | undefined> {
  if (!store.delete) {
    throw new AdminBootstrapError("SecretStore.delete is required to take the initial password");
  }
  if (!(await store.read(ADMIN_SECRET))?.data.passwordHash) return undefined;
  let taken: string | undefined;
  for (const name of [INITIAL_ADMIN_PASSWORD_SECRET, LEGACY_INITIAL_ADMIN_PASSWORD_SECRET]) {
    const secret = await store.read(name);
    const password = secret?.data.password;
    if (!secret || !password) continue;
    try {
      await store.delete(name, secret.resourceVersion);
    } catch (error) {
      const status = storeErrorStatus(error);
      if (status === 404 || status === 409) continue;
      throw error;
    }
    taken ??= password;
  }
  return taken;
}

// A fixed well-formed hash verified when the username is wrong or no admin exists, so the
// response time does not reveal which usernames exist. Its password is unguessable and unused.
export const DUMMY_PASSWORD_HASH =
  "scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";

export type LocalLoginResult =
  | { ok: true; user: string; passwordMtime: string | undefined }
  | { ok: false; reason: "invalid-credentials" };

/**
 * Checks a local login. Every failure has the same reason and costs one scrypt run, whether the
 * user is unknown, the admin Secret is missing or the password is wrong.
 */
export async function checkLocalLogin(
  store: SecretStore,
  username: string,
  password: string,
): Promise<LocalLoginResult> {
  const admin = await store.read(ADMIN_SECRET);
  const stored = admin?.data.passwordHash;
  const userMatches =
    username === LOCAL_ADMIN_USER && stored !== undefined && parsePasswordHash(stored) !== undefined;
  const ok = await verifyPassword(password, userMatches && stored ? stored : DUMMY_PASSWORD_HASH);
  if (!ok || !userMatches) return { ok: false, reason: "invalid-credentials" };
  return { ok: true, user: LOCAL_ADMIN_USER, passwordMtime: admin?.data.passwordMtime };
}

/**
 * Sets a new admin password (the caller has already checked the current one) and deletes the
 * initial password Secret if it is still there. Sessions issued before the returned mtime should
 * be rejected (see `issuedAfter` in sessions.ts).
 */
export async function changeAdminPassword(
  store: SecretStore,
  newPassword: string,
  options: BootstrapOptions,
): Promise<{ passwordMtime: string }> {
  const admin = await store.read(ADMIN_SECRET);
  if (!admin) throw new AdminBootstrapError(`Secret ${ADMIN_SECRET} does not exist`);
  const passwordMtime = new Date(options.now()).toISOString();
  const passwordHash = await hashPassword(newPassword, {
    ...(options.random ? { random: options.random } : {}),
    ...(options.scrypt ? { params: options.scrypt } : {}),
  });
  // A 409 here propagates: two concurrent password changes must not silently pick a winner.
  await store.update(ADMIN_SECRET, { ...admin.data, passwordHash, passwordMtime }, admin.resourceVersion);
  if (store.delete) await takeInitialPassword(store);
  return { passwordMtime };
}
