// Secret tether-server-keys: the session and CSRF signing keys every replica shares, created once
// by whichever replica starts first (a racing replica's 409 → use theirs).
import type { SecretStore } from "./admin.js";
import { storeErrorStatus } from "./admin.js";
import type { RandomBytes } from "./constanttime.js";
import { MIN_SESSION_KEY_BYTES } from "./sessions.js";

export const SERVER_KEYS_SECRET = "tether-server-keys";

/** Reads the session/CSRF keys, creating them once (a racing replica's 409 → use theirs). */
export async function serverKeys(
  store: SecretStore,
  random: RandomBytes,
): Promise<{ session: Buffer; csrf: Buffer }> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const existing = await store.read(SERVER_KEYS_SECRET);
    const session = existing?.data.sessionKey;
    const csrf = existing?.data.csrfKey;
    if (session && csrf) {
      const keys = { session: Buffer.from(session, "base64"), csrf: Buffer.from(csrf, "base64") };
      if (keys.session.length < MIN_SESSION_KEY_BYTES || keys.csrf.length < MIN_SESSION_KEY_BYTES) {
        throw new Error(
          `Secret ${SERVER_KEYS_SECRET}: sessionKey and csrfKey must be ${MIN_SESSION_KEY_BYTES}+ bytes (base64)`,
        );
      }
      return keys;
    }
    const data = {
      ...(existing?.data ?? {}),
      sessionKey: session ?? random(32).toString("base64"),
      csrfKey: csrf ?? random(32).toString("base64"),
    };
    try {
      if (existing) await store.update(SERVER_KEYS_SECRET, data, existing.resourceVersion);
      else await store.create(SERVER_KEYS_SECRET, data);
    } catch (error) {
      if (storeErrorStatus(error) === 409) continue;
      throw error;
    }
  }
  throw new Error(`gave up after 5 conflicting writes to Secret ${SERVER_KEYS_SECRET}`);
}
