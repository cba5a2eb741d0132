// Which Backend answers a command:
//   --core / TETHER_CORE=1                → the cluster, with the kubeconfig (no API server)
//   --server / TETHER_SERVER (explicit)   → that API server; unreachable is an error
//   the config file's server, or the default http://127.0.0.1:8080 (`npm start`)
//                                         → that API server if it answers /healthz, else the cluster
// The token: --token, TETHER_TOKEN, else the config file's (only for the server it was issued by).
import type { Backend } from "./backend.js";
import { configPath, readConfig } from "./config.js";
import { apiReachable, HttpBackend } from "./http.js";

export const DEFAULT_SERVER = "http://127.0.0.1:8080";

export interface ConnectFlags {
  server?: string;
  token?: string;
  core?: boolean;
  kubeconfig?: string;
  "app-namespace"?: string;
  /** Tether's system namespace, for --core (cluster Secrets). */
  "system-namespace"?: string;
}

export interface Connection {
  backend: Backend;
  /** Default namespace for app names given without one. */
  appNamespace?: string;
  /** Said on stderr when the CLI fell back to the kubeconfig. */
  note?: string;
}

const truthy = (value: string | undefined) =>
  value !== undefined && value !== "" && value !== "0" && value !== "false";

async function kube(flags: ConnectFlags, appNamespace: string | undefined): Promise<Backend> {
  // Loaded only here: an API-mode command never loads the Kubernetes client.
  const { KubeBackend } = await import("./kube.js");
  return new KubeBackend({
    // Without --kubeconfig, client-node's default loading reads KUBECONFIG (a path list) or ~/.kube/config.
    ...(flags.kubeconfig ? { kubeconfig: flags.kubeconfig } : {}),
    ...(appNamespace ? { namespace: appNamespace } : {}),
    ...(flags["system-namespace"] ? { systemNamespace: flags["system-namespace"] } : {}),
  });
}

export async function connect(
  flags: ConnectFlags,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Connection> {
  const appNamespace = flags["app-namespace"] ?? (env["TETHER_APP_NAMESPACE"] || undefined);
  const base = appNamespace ? { appNamespace } : {};
  if (flags.core || truthy(env["TETHER_CORE"])) return { ...base, backend: await kube(flags, appNamespace) };

  const config = await readConfig(configPath(env));
  const explicit = flags.server ?? (env["TETHER_SERVER"] || undefined);
  const server = (explicit ?? config.server ?? DEFAULT_SERVER).replace(/\/+$/, "");
  const token =
    flags.token ??
    (env["TETHER_TOKEN"] || undefined) ??
    (config.server?.replace(/\/+$/, "") === server ? config.token : undefined);
  const http = new HttpBackend({ server, ...(token ? { token } : {}) });
  if (explicit) return { ...base, backend: http };
  if (await apiReachable(server)) return { ...base, backend: http };
  return {
    ...base,
    backend: await kube(flags, appNamespace),
    note: `no API server answers at ${server}: using the kubeconfig directly (--core)`,
  };
}
