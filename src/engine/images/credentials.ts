// Registry credentials from an ImageRepository's secretRef. Accepts what `kubectl create secret
// docker-registry` writes (.dockerconfigjson with `auths`) and plain `username`/`password` keys.
// Pure: the Secret comes in as a value.
import type { SecretLike } from "../source/credentials.js";

export interface RegistryCredentials {
  readonly username: string;
  readonly password: string;
}

function field(secret: SecretLike, key: string): string | undefined {
  const plain = secret.stringData?.[key];
  if (plain !== undefined) return plain;
  const encoded = secret.data?.[key];
  return encoded === undefined ? undefined : Buffer.from(encoded, "base64").toString("utf8");
}

/** Docker config keys may be `host`, `https://host`, `https://host/v1/`…; compare hosts. */
function hostOf(key: string): string {
  return (
    key
      .replace(/^[a-z]+:\/\//i, "")
      .split("/")[0]
      ?.toLowerCase() ?? ""
  );
}

/** The credentials for `registry` in the Secret, or an error message naming the Secret. */
export function registryCredentials(
  secret: SecretLike,
  registry: string,
): { credentials: RegistryCredentials } | { error: string } {
  const name = `${secret.metadata?.namespace ?? ""}/${secret.metadata?.name ?? ""}`;
  const config = field(secret, ".dockerconfigjson");
  if (config !== undefined) {
    let auths: Record<string, { auth?: string; username?: string; password?: string }>;
    try {
      auths = (JSON.parse(config) as { auths?: typeof auths }).auths ?? {};
    } catch {
      return { error: `Secret ${name}: .dockerconfigjson is not valid JSON` };
    }
    const host = registry.toLowerCase();
    const hub = host === "registry-1.docker.io";
    const entry = Object.entries(auths).find(
      ([k]) => hostOf(k) === host || (hub && ["docker.io", "index.docker.io"].includes(hostOf(k))),
    )?.[1];
    if (!entry) return { error: `Secret ${name}: .dockerconfigjson has no entry for registry ${registry}` };
    if (entry.username !== undefined && entry.password !== undefined) {
      return { credentials: { username: entry.username, password: entry.password } };
    }
    const decoded = Buffer.from(entry.auth ?? "", "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon < 0) return { error: `Secret ${name}: the entry for ${registry} has no username:password` };
    return { credentials: { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) } };
  }
  const username = field(secret, "username");
  const password = field(secret, "password");
  if (username === undefined || password === undefined) {
    return { error: `Secret ${name}: needs .dockerconfigjson, or username and password` };
  }
  return { credentials: { username, password } };
}
