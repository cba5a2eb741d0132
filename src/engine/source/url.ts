// Repository URLs: which ones Tether accepts, the URL handed to git, and the normalized identity
// that keys the shared mirror and matches credentials. Pure: no I/O.
import { createHash } from "node:crypto";
import path from "node:path";
import { SourceError } from "../errors.js";
import { redactUrl } from "./gitcli.js";

export type RepoProtocol = "https" | "http" | "ssh" | "git" | "file";

export interface RepoUrl {
  readonly protocol: RepoProtocol;
  /** What git is given: the URL as written minus any password (never user:pass@ on a command line). */
  readonly fetchUrl: string;
  /** Repository identity: lowercase scheme and host, no credentials, default port, trailing `/` or `.git`. */
  readonly normalized: string;
}

const SCHEMES: ReadonlySet<string> = new Set(["https", "http", "ssh", "git", "file"]);
const DEFAULT_PORTS: Readonly<Record<string, string>> = { https: "443", http: "80", ssh: "22", git: "9418" };
// A host name or an IPv6 literal. A leading "-" is refused so a host can never be read as an option
// by ssh (the CVE-2017-1000117 class of bug).
const HOST = /^(?:[A-Za-z0-9_](?:[A-Za-z0-9._-]*)|\[[0-9A-Fa-f:.]+\])$/;
const SCHEME_URL = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/(?:([^@/]*)@)?([^/]*)(\/.*)?$/;
// scp-like `user@host:path`: git's rule is "a colon before the first slash, and no `://`".
const SCP_LIKE = /^(?:([A-Za-z0-9._~-]+)@)?([A-Za-z0-9._-]+|\[[0-9A-Fa-f:.]+\]):(?!\/\/)([^:].*)$/;

function hasSpaceOrControl(text: string): boolean {
  return [...text].some((c) => c.charCodeAt(0) <= 0x20 || c.charCodeAt(0) === 0x7f);
}

function unsupported(raw: string, why: string): SourceError {
  return new SourceError(
    "UnsupportedURL",
    `spec.source.repoURL "${redactUrl(raw)}": ${why} (supported: https://, http://, ssh://, git@host:path, git://, file://)`,
  );
}

/** Removes trailing slashes and one `.git`, so `repo`, `repo/`, `repo.git` and `repo.git/` are one. */
function trimRepoPath(repoPath: string): string {
  let p = repoPath.replace(/\/+$/, "");
  if (p.toLowerCase().endsWith(".git")) p = p.slice(0, -4);
  return p.replace(/\/+$/, "");
}

function splitHostPort(hostPort: string): { host: string; port: string } | undefined {
  const m = /^(\[[^\]]*\]|[^:]*)(?::(\d{1,5}))?$/.exec(hostPort);
  if (!m?.[1] || !HOST.test(m[1])) return undefined;
  return { host: m[1], port: m[2] ?? "" };
}

function parseSchemeUrl(raw: string, m: RegExpExecArray, isPrefix: boolean): RepoUrl {
  const scheme = (m[1] ?? "").toLowerCase();
  const userinfo = m[2];
  const repoPath = m[4] ?? "";
  if (!SCHEMES.has(scheme)) throw unsupported(raw, `scheme "${scheme}" is not supported`);
  if (scheme === "file") {
    const host = (m[3] ?? "").toLowerCase();
    if ((host !== "" && host !== "localhost") || userinfo !== undefined || repoPath === "") {
      throw unsupported(raw, "a file:// URL must be file:///absolute/path");
    }
    const clean = path.posix.normalize(decodeURIComponent(repoPath));
    return { protocol: "file", fetchUrl: `file://${clean}`, normalized: `file://${trimRepoPath(clean)}` };
  }
  const hostPort = splitHostPort(m[3] ?? "");
  if (!hostPort) throw unsupported(raw, "the host name is missing or invalid");
  if (!isPrefix && repoPath.replace(/\//g, "") === "")
    throw unsupported(raw, "the repository path is missing");
  const host = hostPort.host.toLowerCase();
  const port = hostPort.port && hostPort.port !== DEFAULT_PORTS[scheme] ? `:${hostPort.port}` : "";
  const rawPort = hostPort.port ? `:${hostPort.port}` : "";
  // ssh needs the login name, which is not a secret; everything else gets its credentials from a
  // Secret through GIT_ASKPASS, so user info is dropped and a password never reaches git's argv.
  const user = scheme === "ssh" && userinfo ? userinfo.split(":")[0] : "";
  // Trailing slashes are dropped: some servers answer `repo.git//info/refs` with 400.
  const fetchPath = repoPath.replace(/\/+$/, "");
  const fetchUrl = `${scheme}://${user ? `${user}@` : ""}${hostPort.host}${rawPort}${fetchPath}`;
  return {
    protocol: scheme as RepoProtocol,
    fetchUrl,
    normalized: `${scheme}://${host}${port}${trimRepoPath(repoPath)}`,
  };
}

/**
 * Parses a repository URL or throws SourceError UnsupportedURL. Transport helpers (`ext::`, `fd::`),
 * other schemes and plain local paths are refused: the latter would let an Application read any
 * repository on the controller's disk without saying so explicitly with file://.
 */
export function parseRepoUrl(raw: string, isPrefix = false): RepoUrl {
  const text = raw.trim();
  if (text === "") throw unsupported(raw, "the URL is empty");
  if (hasSpaceOrControl(text)) throw unsupported(raw, "the URL contains whitespace or control characters");
  if (text.startsWith("-")) throw unsupported(raw, "the URL must not start with '-'");
  if (/^[A-Za-z][A-Za-z0-9+.-]*::/.test(text))
    throw unsupported(raw, "git transport helpers are not allowed");
  const schemeMatch = SCHEME_URL.exec(text);
  if (schemeMatch) return parseSchemeUrl(raw, schemeMatch, isPrefix);
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(text)) throw unsupported(raw, "the URL is malformed");
  const scp = SCP_LIKE.exec(text);
  if (scp && !text.split(":")[0]?.includes("/")) {
    const [, user, host = "", repoPath = ""] = scp;
    if (!HOST.test(host)) throw unsupported(raw, "the host name is invalid");
    // `git@host:org/repo` and `ssh://git@host/org/repo` name the same repository on every common
    // forge, so they share a mirror and match the same credentials (Argo CD does the same).
    const absolute = repoPath.startsWith("/") ? repoPath : `/${repoPath}`;
    return {
      protocol: "ssh",
      fetchUrl: `${user ? `${user}@` : ""}${host}:${repoPath}`,
      normalized: `ssh://${host.toLowerCase()}${trimRepoPath(absolute)}`,
    };
  }
  throw unsupported(raw, "not a URL (a local path must be written as file:///path)");
}

export function normalizeRepoUrl(raw: string): string {
  return parseRepoUrl(raw).normalized;
}

/** Like normalizeRepoUrl, for a credentials prefix, which may stop at the host (`https://host`). */
export function normalizeRepoUrlPrefix(raw: string): string {
  return parseRepoUrl(raw, true).normalized;
}

/** Short, filesystem-safe name of a repository's mirror: the first 16 hex of sha256(normalized URL). */
export function mirrorKey(normalizedUrl: string): string {
  return createHash("sha256").update(normalizedUrl).digest("hex").slice(0, 16);
}
