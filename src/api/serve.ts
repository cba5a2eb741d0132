// startServer: the serving path that `tether server` (in a cluster, N stateless replicas) and
// `tether local up` (one process with the controller) share, so local mode runs what production
// runs: authentication from the system namespace's Secrets and ConfigMaps (createApiAuth), webhook
// secrets from Secret tether-webhook (watched), TLS when a key pair is given, the UI and /metrics,
// and one close that ends event streams and watches.
import type { Registry } from "prom-client";
import type { KubeClients } from "../kube/client.js";
import type { InProcessController } from "./appindex.js";
import type { ApiAuth } from "./authn.js";
import { createApiAuth } from "./authn.js";
import type { DesiredSource } from "./routes.js";
import type { TlsKeyPair } from "./server.js";
import { startApiServer } from "./server.js";
import { watchWebhookSecrets } from "./webhooksecrets.js";

export interface ServerOptions {
  clients: KubeClients;
  /** Where Tether's Secrets, ConfigMaps and AppProjects live (tether-system). */
  systemNamespace: string;
  /** The Applications namespace served; every namespace when unset. */
  namespace?: string;
  host: string;
  port: number;
  /** HTTPS with this key pair; plain HTTP without. */
  tls?: TlsKeyPair;
  /** Secure, __Host- cookies (behind a TLS-terminating Ingress); always on with `tls`. */
  secureCookies?: boolean;
  publicAppMetrics?: boolean;
  /** The built web UI (dist/ui next to the code by default); false serves none. */
  uiDir?: string | false;
  /** The metrics registry (local up passes the controller's, so /metrics shows both). */
  registry?: Registry;
  log: (line: string) => void;
  /**
   * A controller in the same process (`tether local up`): webhooks refresh through its queue and
   * diffs show its desired objects. Without it (`tether server`) the API watches Applications
   * itself and asks the controller through the refresh annotation.
   */
  inProcess?: { controller: InProcessController; desired: DesiredSource };
}

export interface RunningServer {
  /** e.g. https://0.0.0.0:8080 */
  readonly url: string;
  readonly auth: ApiAuth;
  /** Stops listening, ends open event streams and connections, stops the watches. */
  close(): Promise<void>;
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const { clients, systemNamespace, log } = options;
  const auth = await createApiAuth({
    clients,
    namespace: systemNamespace,
    secureCookies: options.secureCookies === true || options.tls !== undefined,
    log,
  });
  const webhookSecrets = await watchWebhookSecrets({ clients, namespace: systemNamespace, log });
  try {
    const api = await startApiServer({
      clients,
      auth,
      systemNamespace,
      ...(options.namespace ? { namespace: options.namespace } : {}),
      host: options.host,
      port: options.port,
      ...(options.tls ? { tls: options.tls } : {}),
      webhookSecrets: () => webhookSecrets.current(),
      ...(options.publicAppMetrics ? { publicAppMetrics: true } : {}),
      ...(options.uiDir !== undefined ? { uiDir: options.uiDir } : {}),
      ...(options.registry ? { registry: options.registry } : {}),
      ...(options.inProcess ? options.inProcess : {}),
      log,
    });
    return {
      url: api.url,
      auth,
      async close() {
        await api.close();
        webhookSecrets.stop();
        await auth.close?.();
      },
    };
  } catch (error) {
    webhookSecrets.stop();
    await auth.close?.();
    throw error;
  }
}
