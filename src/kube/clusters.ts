// Cluster Secrets: the contract (Argo CD's, unchanged) and the client built from one.
//
// A Secret in the system namespace labelled `tether.dev/secret-type: cluster` (or Argo CD's
// `argocd.argoproj.io/secret-type: cluster`, so migrated Secrets work as they are) with data keys
//   name    the cluster's name (destination.name)
//   server  the API server URL (destination.server)
//   config  JSON: {bearerToken?, username?, password?, tlsClientConfig: {caData?, certData?, keyData?,
//           insecure?, serverName?}} — caData/certData/keyData base64 PEM, as Argo CD writes them
// Its labels are the cluster's labels (selectors of the ApplicationSet clusters generator).
// Credentials stay inside the KubeConfig built here: nothing in this module logs or returns them.
import type { V1Secret } from "@kubernetes/client-node";
import { KubeConfig } from "./connection.js";
import { RawClient } from "./raw.js";
import { errorMessage } from "../lib/errormessage.js";
import { SECRET_TYPE_LABEL } from "../model/contract.js";

export const ARGOCD_SECRET_LABEL = "argocd.argoproj.io/secret-type";
export const CLUSTER_SECRET_TYPE = "cluster";
/** Both selectors a cluster Secret may match (a label selector cannot OR two keys). */
export const CLUSTER_SECRET_SELECTORS = [
  `${SECRET_TYPE_LABEL}=${CLUSTER_SECRET_TYPE}`,
  `${ARGOCD_SECRET_LABEL}=${CLUSTER_SECRET_TYPE}`,
] as const;

export const IN_CLUSTER_NAME = "in-cluster";
export const IN_CLUSTER_SERVER = "https://kubernetes.default.svc";

export interface ClusterTlsConfig {
  readonly caData?: string;
  readonly certData?: string;
  readonly keyData?: string;
  readonly insecure?: boolean;
  readonly serverName?: string;
}

export interface ClusterCredentials {
  readonly bearerToken?: string;
  readonly username?: string;
  readonly password?: string;
  readonly tlsClientConfig?: ClusterTlsConfig;
}

/** A cluster as a Secret declares it. `credentials` never leaves the controller. */
export interface ClusterSpec {
  readonly name: string;
  readonly server: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly credentials: ClusterCredentials;
  /** `namespace/name` of the Secret, for messages. */
  readonly secret: string;
}

export type ParsedClusterSecret =
  | { readonly ok: true; readonly cluster: ClusterSpec }
  | { readonly ok: false; readonly secret: string; readonly message: string };

export function isClusterSecret(secret: V1Secret): boolean {
  const labels = secret.metadata?.labels ?? {};
  return (
    labels[SECRET_TYPE_LABEL] === CLUSTER_SECRET_TYPE || labels[ARGOCD_SECRET_LABEL] === CLUSTER_SECRET_TYPE
  );
}

/** Server URLs compare without a trailing slash. */
export function normalizeServer(server: string): string {
  return server.trim().replace(/\/+$/, "");
}

function decoded(secret: V1Secret, key: string): string | undefined {
  const data = secret.data?.[key];
  if (data !== undefined) return Buffer.from(data, "base64").toString("utf8");
  return secret.stringData?.[key];
}

const optionalString = (value: unknown) => (typeof value === "string" && value !== "" ? value : undefined);

/** Pure: a cluster Secret → its spec, or a message naming the Secret and the key at fault. */
export function parseClusterSecret(secret: V1Secret): ParsedClusterSecret {
  const ref = `${secret.metadata?.namespace ?? ""}/${secret.metadata?.name ?? ""}`;
  const fail = (message: string): ParsedClusterSecret => ({
    ok: false,
    secret: ref,
    message: `cluster Secret ${ref}: ${message}`,
  });
  const server = normalizeServer(decoded(secret, "server") ?? "");
  if (!server) return fail("data.server is required");
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    return fail(`data.server "${server}" is not a URL`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:")
    return fail(`data.server "${server}" must be https://…`);
  const name = (decoded(secret, "name") ?? "").trim() || server;
  const configText = decoded(secret, "config") ?? "{}";
  let raw: unknown;
  try {
    raw = JSON.parse(configText);
  } catch (error) {
    return fail(`data.config is not JSON (${errorMessage(error).split("\n")[0]})`);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw))
    return fail("data.config must be a JSON object");
  const config = raw as Record<string, unknown>;
  const tlsRaw = config["tlsClientConfig"];
  if (tlsRaw !== undefined && (typeof tlsRaw !== "object" || tlsRaw === null))
    return fail("data.config.tlsClientConfig must be an object");
  const tls = (tlsRaw ?? {}) as Record<string, unknown>;
  for (const key of ["caData", "certData", "keyData"]) {
    const value = tls[key];
    if (value !== undefined && (typeof value !== "string" || !/^[A-Za-z0-9+/=\s]*$/.test(value)))
      return fail(`data.config.tlsClientConfig.${key} must be base64-encoded PEM`);
  }
  if (Boolean(tls["certData"]) !== Boolean(tls["keyData"]))
    return fail("data.config.tlsClientConfig needs both certData and keyData for a client certificate");
  const credentials: ClusterCredentials = {
    bearerToken: optionalString(config["bearerToken"]),
    username: optionalString(config["username"]),
    password: optionalString(config["password"]),
    tlsClientConfig: {
      caData: optionalString(tls["caData"]),
      certData: optionalString(tls["certData"]),
      keyData: optionalString(tls["keyData"]),
      insecure: tls["insecure"] === true,
      serverName: optionalString(tls["serverName"]),
    },
  };
  const labels = Object.fromEntries(
    Object.entries(secret.metadata?.labels ?? {}).filter(
      ([k]) => k !== SECRET_TYPE_LABEL && k !== ARGOCD_SECRET_LABEL,
    ),
  );
  return { ok: true, cluster: { name, server, labels, credentials, secret: ref } };
}

/** A KubeConfig holding exactly this cluster and its credentials (one context, current). */
export function kubeConfigForCluster(cluster: ClusterSpec): KubeConfig {
  const tls = cluster.credentials.tlsClientConfig ?? {};
  const { bearerToken, username, password } = cluster.credentials;
  return new KubeConfig({
    clusters: [
      {
        name: "cluster",
        server: normalizeServer(cluster.server),
        skipTLSVerify: tls.insecure ?? false,
        ...(tls.caData ? { caData: tls.caData.replace(/\s+/g, "") } : {}),
        ...(tls.serverName ? { tlsServerName: tls.serverName } : {}),
      },
    ],
    users: [
      {
        name: "user",
        ...(bearerToken ? { token: bearerToken } : {}),
        ...(username ? { username, password: password ?? "" } : {}),
        ...(tls.certData ? { certData: tls.certData.replace(/\s+/g, "") } : {}),
        ...(tls.keyData ? { keyData: tls.keyData.replace(/\s+/g, "") } : {}),
      },
    ],
    contexts: [{ name: "cluster", cluster: "cluster", user: "user" }],
    currentContext: "cluster",
  });
}

/** What a connection check found: the same shape in the controller, the annotation and the API. */
export interface ClusterConnectionState {
  readonly status: "Successful" | "Failed" | "Unknown";
  readonly message: string;
  readonly serverVersion?: string;
  /** ISO time of the check. */
  readonly checkedAt?: string;
}

function reason(error: unknown): string {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  const text = errorMessage(error);
  const cause = (error as { code?: unknown } | null)?.code;
  if (status === 401)
    return "401 Unauthorized: the credentials were refused (bearerToken or client certificate)";
  if (status === 403) return `403 Forbidden: ${text}`;
  if (typeof cause === "string") return `${cause}: ${text}`;
  return text;
}

/**
 * GET /version then /readyz with the cluster's own credentials (as Argo CD, /version: refused
 * credentials are a 401 there, even though anonymous callers may read it). Returns a value, never
 * throws: the message says what failed (unreachable, TLS, refused credentials, not ready).
 */
export async function checkClusterConnection(
  config: KubeConfig,
  clock: () => Date = () => new Date(),
  timeoutMs = 10_000,
): Promise<ClusterConnectionState> {
  const raw = new RawClient(config);
  const checkedAt = () => clock().toISOString();
  let serverVersion: string | undefined;
  try {
    const version = await raw.request<{ gitVersion?: string }>({
      method: "GET",
      path: "/version",
      timeoutMs,
    });
    serverVersion = version?.gitVersion;
  } catch (error) {
    return { status: "Failed", message: `GET /version: ${reason(error)}`, checkedAt: checkedAt() };
  }
  try {
    // /readyz answers plain text ("ok"); a failing check lists what is not ready.
    await raw.request({ method: "GET", path: "/readyz", timeoutMs, text: true });
  } catch (error) {
    return {
      status: "Failed",
      message: `GET /readyz: ${reason(error)}`,
      serverVersion,
      checkedAt: checkedAt(),
    };
  }
  return { status: "Successful", message: "", serverVersion, checkedAt: checkedAt() };
}
