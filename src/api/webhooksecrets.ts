// The webhook secrets of a running server, from Secret tether-webhook in the system namespace. A
// watch (list+watch of that one name) keeps them current: an operator rotates a forge's secret and
// every replica verifies with the new one without a restart. What the Secret means is decided by
// webhookSecretsFromData (pure); this file only watches, decodes and logs.
import type { KubernetesObject, V1Secret } from "@kubernetes/client-node";
import type { KubeClients } from "../kube/client.js";
import { kubeErrorMessage } from "../kube/client.js";
import { Informer } from "../kube/informer.js";
import type { WebhookSecrets } from "./webhooks/index.js";
import { webhookSecretsFromData } from "./webhooks/index.js";

export const WEBHOOK_SECRET = "tether-webhook";

export interface WebhookSecretSource {
  /** The secrets as of the last event seen (none while the Secret does not exist). */
  current(): WebhookSecrets;
  stop(): void;
}

function decode(secret: KubernetesObject & Pick<V1Secret, "data">): Record<string, string> {
  const data: Record<string, string> = {};
  for (const [key, value] of Object.entries(secret.data ?? {})) {
    data[key] = Buffer.from(value, "base64").toString("utf8");
  }
  return data;
}

/** One log line per state, said again only when the state changes (not on every resync). */
function describe(secretName: string, data: Record<string, string> | undefined) {
  const reading = webhookSecretsFromData(secretName, data);
  const summary = data
    ? `webhook: Secret ${secretName}: verifying ${reading.verified.join(", ") || "no forge"}`
    : `webhook: no Secret ${secretName}: deliveries are accepted without verification ` +
      `(a push only triggers a refresh); create it with keys github, gitlab, gitea, bitbucket to verify them`;
  return { secrets: reading.secrets, lines: [summary, ...reading.problems.map((p) => `webhook: ${p}`)] };
}

/**
 * Starts watching; resolves once the Secret has been read (or found missing). A Secret that cannot
 * be read at all (no RBAC, apiserver down past the first list's retries) fails the start: serving
 * webhooks unverified because a configured secret was unreadable would be a silent downgrade.
 */
export async function watchWebhookSecrets(options: {
  clients: KubeClients;
  namespace: string;
  log: (line: string) => void;
}): Promise<WebhookSecretSource> {
  const { clients, namespace, log } = options;
  const secretName = `${namespace}/${WEBHOOK_SECRET}`;
  const path = `/api/v1/namespaces/${namespace}/secrets`;
  const fieldSelector = `metadata.name=${WEBHOOK_SECRET}`;
  let secrets: WebhookSecrets = {};
  let said = "";
  const apply = (secret: KubernetesObject | undefined) => {
    const state = describe(secretName, secret ? decode(secret) : undefined);
    secrets = state.secrets;
    const text = state.lines.join("\n");
    if (text !== said) state.lines.forEach((line) => log(line));
    said = text;
  };
  const informer = new Informer({
    config: clients.config,
    path,
    fieldSelector,
    list: async () => {
      const list = await clients.raw.request<{
        items: KubernetesObject[];
        metadata?: { resourceVersion?: string };
      }>({ method: "GET", path, query: { fieldSelector } });
      return { items: list.items, resourceVersion: list.metadata?.resourceVersion ?? "" };
    },
    onEvent: () => apply(informer.get(namespace, WEBHOOK_SECRET)),
    // The last secrets stay in force while the watch reconnects.
    onError: (error) => log(`webhook: watching Secret ${secretName}: ${kubeErrorMessage(error)}`),
  });
  try {
    await informer.start();
  } catch (error) {
    informer.stop();
    throw new Error(`reading Secret ${secretName} (the webhook secrets): ${kubeErrorMessage(error)}`, {
      cause: error,
    });
  }
  apply(informer.get(namespace, WEBHOOK_SECRET));
  return { current: () => secrets, stop: () => informer.stop() };
}
