// Tether's own kubeconfig: which apiserver to talk to and with what credentials. It reads the
// kubeconfig file format (clusters, users, contexts, current-context; KUBECONFIG lists, ~/.kube/config,
// in-cluster service account) without @kubernetes/client-node, whose KubeConfig pulls in every
// generated model of the Kubernetes API: about 70 MiB of a controller that otherwise needs ~60.
// Credentials a plain HTTPS request can carry (CA, client certificate, bearer token or token file,
// basic auth) are handled in connection.ts; the rest (exec plugins, auth providers, proxies) is
// handed to client-node, loaded only for such a kubeconfig.
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { parseYamlBounded, YamlInputError } from "../engine/yaml-input.js";

export interface KubeCluster {
  readonly name: string;
  /** Without a trailing slash. */
  readonly server: string;
  readonly caData?: string;
  readonly caFile?: string;
  readonly skipTLSVerify: boolean;
  readonly tlsServerName?: string;
  readonly proxyUrl?: string;
}

export interface KubeUser {
  readonly name: string;
  readonly token?: string;
  readonly tokenFile?: string;
  readonly certData?: string;
  readonly certFile?: string;
  readonly keyData?: string;
  readonly keyFile?: string;
  readonly username?: string;
  readonly password?: string;
  readonly impersonate?: string;
  /** Set when the user authenticates through something only client-node implements. */
  readonly delegated?: "exec" | "auth-provider";
}

export interface KubeContext {
  readonly name: string;
  readonly cluster: string;
  readonly user: string;
  readonly namespace?: string;
}

export interface KubeConfigData {
  readonly clusters: readonly KubeCluster[];
  readonly users: readonly KubeUser[];
  readonly contexts: readonly KubeContext[];
  readonly currentContext: string;
  /** The file(s) it came from, for delegating to client-node; absent when built in memory. */
  readonly files?: readonly string[];
}

const SERVICE_ACCOUNT = "/var/run/secrets/kubernetes.io/serviceaccount";

type Entry = Record<string, unknown>;
const entries = (value: unknown, field: string, where: string): Entry[] => {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new Error(`${where}: ${field} must be a list`);
  return value.map((item, i) => {
    if (typeof item !== "object" || item === null)
      throw new Error(`${where}: ${field}[${i}] must be a mapping`);
    return item as Entry;
  });
};
const text = (value: unknown): string | undefined =>
  typeof value === "string" && value !== "" ? value : undefined;
const absolute = (dir: string | undefined, file: string | undefined) =>
  file && dir && !path.isAbsolute(file) ? path.join(dir, file) : file;

/** Pure: kubeconfig YAML → data. Relative file paths are resolved against `dir` (the file's folder). */
export function parseKubeConfig(source: string, where: string, dir?: string): KubeConfigData {
  let parsed: unknown;
  try {
    parsed = parseYamlBounded(source);
  } catch (error) {
    if (error instanceof YamlInputError)
      throw new Error(`${where}:${error.line}: ${error.detail}`, { cause: error });
    throw error;
  }
  const doc = (parsed ?? {}) as Entry;
  if (typeof doc !== "object" || Array.isArray(doc)) throw new Error(`${where}: not a kubeconfig mapping`);
  const clusters = entries(doc["clusters"], "clusters", where).map((e, i): KubeCluster => {
    const c = (e["cluster"] ?? {}) as Entry;
    const name = text(e["name"]);
    const server = text(c["server"]);
    if (!name) throw new Error(`${where}: clusters[${i}].name is missing`);
    if (!server) throw new Error(`${where}: clusters[${i}].cluster.server is missing`);
    return {
      name,
      server: server.replace(/\/$/, ""),
      caData: text(c["certificate-authority-data"]),
      caFile: absolute(dir, text(c["certificate-authority"])),
      skipTLSVerify: c["insecure-skip-tls-verify"] === true,
      tlsServerName: text(c["tls-server-name"]),
      proxyUrl: text(c["proxy-url"]),
    };
  });
  const users = entries(doc["users"], "users", where).map((e, i): KubeUser => {
    const u = (e["user"] ?? {}) as Entry;
    const name = text(e["name"]);
    if (!name) throw new Error(`${where}: users[${i}].name is missing`);
    const delegated = u["exec"] ? "exec" : u["auth-provider"] ? "auth-provider" : undefined;
    return {
      name,
      token: text(u["token"]),
      tokenFile: absolute(dir, text(u["tokenFile"]) ?? text(u["token-file"])),
      certData: text(u["client-certificate-data"]),
      certFile: absolute(dir, text(u["client-certificate"])),
      keyData: text(u["client-key-data"]),
      keyFile: absolute(dir, text(u["client-key"])),
      username: text(u["username"]),
      password: typeof u["password"] === "string" ? u["password"] : undefined,
      impersonate: text(u["as"]),
      ...(delegated ? { delegated } : {}),
    };
  });
  const contexts = entries(doc["contexts"], "contexts", where).map((e, i): KubeContext => {
    const c = (e["context"] ?? {}) as Entry;
    const name = text(e["name"]);
    if (!name) throw new Error(`${where}: contexts[${i}].name is missing`);
    return {
      name,
      cluster: text(c["cluster"]) ?? "",
      user: text(c["user"]) ?? "",
      namespace: text(c["namespace"]),
    };
  });
  return { clusters, users, contexts, currentContext: text(doc["current-context"]) ?? "" };
}

/** Several kubeconfig files as KUBECONFIG lists them: the first definition of a name wins. */
export function mergeKubeConfigs(configs: readonly KubeConfigData[]): KubeConfigData {
  const first = <T extends { name: string }>(lists: (readonly T[])[]) => {
    const seen = new Map<string, T>();
    for (const item of lists.flat()) if (!seen.has(item.name)) seen.set(item.name, item);
    return [...seen.values()];
  };
  return {
    clusters: first(configs.map((c) => c.clusters)),
    users: first(configs.map((c) => c.users)),
    contexts: first(configs.map((c) => c.contexts)),
    currentContext: configs.find((c) => c.currentContext)?.currentContext ?? "",
    files: configs.flatMap((c) => c.files ?? []),
  };
}

export function readKubeConfigFile(file: string): KubeConfigData {
  const data = parseKubeConfig(fs.readFileSync(file, "utf8"), file, path.dirname(path.resolve(file)));
  return { ...data, files: [path.resolve(file)] };
}

/** The Pod's service account, as client-go's rest.InClusterConfig reads it. */
export function inClusterKubeConfig(
  env: NodeJS.ProcessEnv = process.env,
  root = SERVICE_ACCOUNT,
): KubeConfigData {
  const host = env["KUBERNETES_SERVICE_HOST"] ?? "";
  const port = env["KUBERNETES_SERVICE_PORT"] ?? "443";
  const scheme = ["80", "8080", "8001"].includes(port) ? "http" : "https";
  const server = `${scheme}://${net.isIPv6(host) ? `[${host}]` : host}:${port}`;
  let namespace: string | undefined;
  try {
    namespace = fs.readFileSync(path.join(root, "namespace"), "utf8").trim() || undefined;
  } catch {
    namespace = undefined;
  }
  return {
    clusters: [{ name: "inCluster", server, caFile: path.join(root, "ca.crt"), skipTLSVerify: false }],
    users: [{ name: "inClusterUser", tokenFile: path.join(root, "token") }],
    contexts: [{ name: "inClusterContext", cluster: "inCluster", user: "inClusterUser", namespace }],
    currentContext: "inClusterContext",
  };
}

/** client-node's (and kubectl's) search order: $KUBECONFIG, ~/.kube/config, the Pod's service account. */
export function defaultKubeConfig(env: NodeJS.ProcessEnv = process.env): KubeConfigData {
  const listed = (env["KUBECONFIG"] ?? "").split(path.delimiter).filter(Boolean);
  if (listed.length > 0)
    return mergeKubeConfigs(listed.filter((f, i) => i === 0 || fs.existsSync(f)).map(readKubeConfigFile));
  const home = env["HOME"] || os.homedir();
  const file = home ? path.join(home, ".kube", "config") : "";
  if (file && fs.existsSync(file)) return readKubeConfigFile(file);
  if (fs.existsSync(path.join(SERVICE_ACCOUNT, "token")) && env["KUBERNETES_SERVICE_HOST"])
    return inClusterKubeConfig(env);
  return { clusters: [], users: [], contexts: [], currentContext: "" };
}
