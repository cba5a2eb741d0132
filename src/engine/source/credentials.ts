// Choosing repository credentials from Kubernetes Secrets, the way Argo CD does: a Secret labelled
// `tether.dev/secret-type: repository` names one exact repository URL; one labelled `repo-creds`
// names a URL prefix (e.g. every repository of an organisation). Pure: Secrets come in as values.
import { normalizeRepoUrl, normalizeRepoUrlPrefix } from "./url.js";
import { SECRET_TYPE_LABEL } from "../../model/contract.js";

/** The parts of a Kubernetes Secret this module reads (a `V1Secret` fits). */
export interface SecretLike {
  readonly metadata?: {
    readonly name?: string;
    readonly namespace?: string;
    readonly labels?: Readonly<Record<string, string>>;
  };
  /** Base64 values, as the API server returns them. */
  readonly data?: Readonly<Record<string, string>>;
  /** Plain values, as written in a manifest (they take precedence, as on the API server). */
  readonly stringData?: Readonly<Record<string, string>>;
}

export interface RepoCredentials {
  readonly username?: string;
  /** Password or token. */
  readonly password?: string;
  readonly sshPrivateKey?: string;
  readonly knownHosts?: string;
  /** `namespace/name` of the Secret, for messages (never its values). */
  readonly secretName: string;
}

function secretField(secret: SecretLike, key: string): string | undefined {
  const plain = secret.stringData?.[key];
  if (plain !== undefined) return plain;
  const encoded = secret.data?.[key];
  return encoded === undefined ? undefined : Buffer.from(encoded, "base64").toString("utf8");
}

function tryNormalize(url: string, isPrefix = false): string | undefined {
  try {
    return isPrefix ? normalizeRepoUrlPrefix(url) : normalizeRepoUrl(url);
  } catch {
    return undefined;
  }
}

/**
 * A prefix matches at a path boundary only: `https://git.example.com/org` covers `…/org/app` but not
 * `…/organisation/app`, and `https://git.example.com` never covers `https://git.example.com.evil.net`.
 * (Argo CD compares raw strings; the boundary keeps credentials from reaching another host.)
 */
export function urlHasPrefix(normalizedUrl: string, normalizedPrefix: string): boolean {
  if (normalizedUrl === normalizedPrefix) return true;
  const prefix = normalizedPrefix.endsWith("/") ? normalizedPrefix : `${normalizedPrefix}/`;
  return normalizedUrl.startsWith(prefix);
}

function toCredentials(secret: SecretLike): RepoCredentials {
  const meta = secret.metadata ?? {};
  return {
    username: secretField(secret, "username"),
    password: secretField(secret, "password") ?? secretField(secret, "token"),
    sshPrivateKey: secretField(secret, "sshPrivateKey"),
    knownHosts: secretField(secret, "knownHosts"),
    secretName: `${meta.namespace ?? ""}/${meta.name ?? ""}`,
  };
}

/**
 * The credentials for `repoUrl`: an exact `repository` Secret beats any prefix; among `repo-creds`
 * the longest prefix wins; ties go to the Secret whose namespace/name sorts first, so the choice never
 * depends on list order. Secrets without a usable `url` are ignored.
 */
export function pickCredentials(
  repoUrl: string,
  secrets: readonly SecretLike[],
): RepoCredentials | undefined {
  const target = tryNormalize(repoUrl);
  if (target === undefined) return undefined;
  let best: { rank: number; length: number; name: string; secret: SecretLike } | undefined;
  for (const secret of secrets) {
    const type = secret.metadata?.labels?.[SECRET_TYPE_LABEL];
    const url = secretField(secret, "url");
    const normalized = url === undefined ? undefined : tryNormalize(url, type === "repo-creds");
    if (normalized === undefined) continue;
    let rank: number;
    if (type === "repository" && normalized === target) rank = 2;
    else if (type === "repo-creds" && urlHasPrefix(target, normalized)) rank = 1;
    else continue;
    const name = `${secret.metadata?.namespace ?? ""}/${secret.metadata?.name ?? ""}`;
    const better =
      !best ||
      rank > best.rank ||
      (rank === best.rank && normalized.length > best.length) ||
      (rank === best.rank && normalized.length === best.length && name < best.name);
    if (better) best = { rank, length: normalized.length, name, secret };
  }
  return best && toCredentials(best.secret);
}
