// The webhook secrets as the operator wrote them in Secret tether-webhook (one key per forge), read
// into WebhookSecrets plus what is wrong with them. Pure: decoded Secret data in, values out; the
// shell (../webhooksecrets.ts) watches the Secret and logs the problems.
import type { WebhookProvider, WebhookSecrets } from "./types.js";

export const WEBHOOK_PROVIDERS: readonly WebhookProvider[] = ["github", "gitlab", "gitea", "bitbucket"];

export interface WebhookSecretsReading {
  readonly secrets: WebhookSecrets;
  /** Forges whose deliveries must carry a valid signature or token. */
  readonly verified: readonly WebhookProvider[];
  /** One sentence per key that is not used as written, naming the Secret and the key. */
  readonly problems: readonly string[];
}

const isProvider = (key: string): key is WebhookProvider =>
  (WEBHOOK_PROVIDERS as readonly string[]).includes(key);

/**
 * `data` is the Secret's data decoded to strings; undefined when the Secret does not exist. A key
 * that is empty (or only whitespace) verifies nothing, so it counts as absent and is reported: the
 * operator meant to set a secret. Other values are used exactly as written, since the forge signs
 * with exactly what was typed there.
 */
export function webhookSecretsFromData(
  secretName: string,
  data: Readonly<Record<string, string>> | undefined,
): WebhookSecretsReading {
  const secrets: WebhookSecrets = {};
  const problems: string[] = [];
  for (const [key, value] of Object.entries(data ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
    if (!isProvider(key)) {
      problems.push(
        `Secret ${secretName}: key "${key}" is not a forge (${WEBHOOK_PROVIDERS.join(", ")}); ignored`,
      );
      continue;
    }
    if (value.trim() === "") {
      problems.push(`Secret ${secretName}: key ${key} is empty; ${key} deliveries are not verified`);
      continue;
    }
    // `kubectl create secret --from-file` keeps a file's final newline, which the forge's secret
    // field would not have: every delivery would then fail. Said, not fixed: it may be intended.
    if (/[\r\n]$/.test(value)) {
      problems.push(`Secret ${secretName}: key ${key} ends with a newline, which is part of the secret`);
    }
    secrets[key] = value;
  }
  return { secrets, verified: WEBHOOK_PROVIDERS.filter((p) => secrets[p] !== undefined), problems };
}
