// Repository URLs: which ones Tether accepts, the URL handed to git, and the ONE canonical identity
// that keys the shared mirror and is compared by project `sourceRepos`, credential prefixes and
// webhook matching. Everything that compares repositories goes through `parseRepoUrl` (or
// `canonicalRepoUrl` / `canonicalRepoPattern`), so no two places can disagree on what a URL names.
//
// Why so strict: a project check on the text `http://host/probe/../demo.git` passes a glob
// `http://host/probe*` while git and the server resolve it to `demo.git`. So a URL whose path holds a
// dot segment in any spelling (`..`, `%2e%2E`, `%252e`, `.%2e`, `\..\`) is refused outright, and the
// URL given to git is rebuilt from the same parsed parts as the identity: what is checked is what is
// fetched. Pure: no I/O.
import { createHash } from "node:crypto";
import { domainToASCII } from "node:url";
import { SourceError } from "../errors.js";
import { MAX_REPO_URL_LENGTH } from "../../model/rules.js";
import { LruCache } from "../render/lru-cache.js";
import { redactUrl } from "./gitcli.js";

export type RepoProtocol = "https" | "http" | "ssh" | "git" | "file" | "oci";

export interface RepoUrl {
  readonly protocol: RepoProtocol;
  /** What git is given: built from the parsed parts, without any password (never on a command line). */
  readonly fetchUrl: string;
  /**
   * Repository identity: lowercase scheme, canonical host (IDN → punycode, IPv4/IPv6 canonical, no
   * trailing dot), no user info, no default port, `//` collapsed, unreserved %XX decoded, no trailing
   * `/` or `.git`. Path case is kept (self-hosted servers may be case-sensitive).
   */
  readonly normalized: string;
}

const GIT_SCHEMES: ReadonlySet<string> = new Set(["https", "http", "ssh", "git", "file"]);
const DEFAULT_PORTS: Readonly<Record<string, number>> = {
  https: 443,
  http: 80,
  ssh: 22,
  git: 9418,
  oci: 443,
};
const SCHEME_URL = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/]*)(\/.*)?$/;
// scp-like `user@host:path`: git's rule is "a colon before the first slash, and no `://`".
const SCP_LIKE = /^(?:([^@/:]+)@)?([^/:[\]]+|\[[0-9A-Fa-f:.]+\]):(?!\/\/)(.*)$/;
const SSH_USER = /^[A-Za-z0-9._~][A-Za-z0-9._~-]*$/;
// Whitespace of any kind, C0/C1 controls, DEL, and invisible format characters (zero-width, bidi
// overrides): a URL that displays as one repository must not be another.
const INVISIBLE = /[\s\p{Cc}\p{Cf}\p{Co}\p{Cn}\p{Cs}]/u;
// Percent-encodings that are refused rather than decoded: `/` and `\` (hidden separators), `%`
// (double encoding), and controls/whitespace. What is left is decoded or kept canonically.
const REFUSED_ENCODING = /%(?:2[fF]|5[cC]|25|[01][0-9A-Fa-f]|7[fF]|20)/;

/** Why a URL is refused; the caller adds which field held it. */
class UrlProblem extends Error {}

function refuse(why: string): never {
  throw new UrlProblem(why);
}

/**
 * The path in canonical spelling, or a refusal: dot segments in any spelling, backslashes, encoded
 * separators or percent signs, malformed or non-UTF-8 percent-encoding, query or fragment.
 */
function canonicalPath(raw: string): string {
  if (raw.includes("\\")) refuse("the path contains a backslash");
  if (raw.includes("?") || raw.includes("#")) refuse("a repository URL has no query (?) or fragment (#)");
  if (/%(?![0-9A-Fa-f]{2})/.test(raw)) refuse("the path has a malformed %-encoding");
  if (REFUSED_ENCODING.test(raw)) {
    refuse(
      "the path percent-encodes a separator, a '%' (double encoding), whitespace or a control character",
    );
  }
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    refuse("the path's %-encoding is not UTF-8");
  }
  if (INVISIBLE.test(decoded)) refuse("the path contains whitespace or control characters");
  const segments = decoded.split("/");
  if (segments.some((s) => s === "." || s === "..")) {
    refuse("the path contains a '.' or '..' segment (written or %-encoded); write the repository's own path");
  }
  // `//` collapses (servers do); each segment is re-encoded the one canonical way.
  const kept = segments.filter((s, i) => s !== "" || i === 0);
  return kept.map(encodeSegment).join("/");
}

/** encodeURIComponent, but the characters a path may hold literally (RFC 3986 pchar) stay literal. */
function encodeSegment(segment: string): string {
  return encodeURIComponent(segment).replace(/%(?:21|24|26|27|28|29|2A|2B|2C|3B|3D|3A|40)/g, (m) =>
    decodeURIComponent(m),
  );
}

/** Drops trailing slashes and one `.git` (any case): `repo`, `repo/`, `repo.git`, `repo.git/` are one. */
function trimRepoPath(repoPath: string): string {
  let p = repoPath.replace(/\/+$/, "");
  if (p.toLowerCase().endsWith(".git")) p = p.slice(0, -4);
  return p.replace(/\/+$/, "");
}

/** The canonical host: lowercase, IDN as punycode, IPv4/IPv6 in their one spelling, no trailing dot. */
function canonicalHost(raw: string): string {
  if (raw === "") refuse("the host name is missing");
  if (HELD_GLOB.test(raw)) return globHost(raw);
  if (raw.startsWith("-")) refuse("the host name must not start with '-'");
  let host: string;
  if (raw.startsWith("[")) {
    if (!/^\[[0-9A-Fa-f:.]+\]$/.test(raw)) refuse("the IPv6 address is invalid");
    try {
      host = new URL(`http://${raw}/`).hostname;
    } catch {
      refuse("the IPv6 address is invalid");
    }
    // An IPv4-mapped address ([::ffff:127.0.0.1], which WHATWG writes [::ffff:7f00:1]) is the IPv4
    // host itself: one identity, or a deny of 127.0.0.1 is passed by naming it the other way.
    const mapped = /^\[::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})\]$/.exec(host);
    if (mapped) {
      const [hi, lo] = [parseInt(mapped[1] ?? "0", 16), parseInt(mapped[2] ?? "0", 16)];
      return [hi >> 8, hi & 255, lo >> 8, lo & 255].join(".");
    }
    return host;
  }
  if (!/^[\p{L}\p{N}\p{M}._-]+$/u.test(raw)) refuse("the host name is invalid");
  // WHATWG host parsing: IDN → punycode, `0x7f.1` → 127.0.0.1, like curl does before connecting.
  const ascii = domainToASCII(raw);
  if (ascii === "") refuse("the host name is invalid");
  try {
    host = new URL(`http://${ascii}/`).hostname;
  } catch {
    refuse("the host name is invalid");
  }
  // Empty labels are refused before the one trailing dot is dropped: `a..` must not become `a.`,
  // another identity than the `a` it re-reads as (found by fuzzing).
  if (host.includes("..")) refuse("the host name is invalid");
  host = host.replace(/\.$/, "");
  if (!/^[a-z0-9_](?:[a-z0-9._-]*)$/.test(host)) refuse("the host name is invalid");
  return host;
}

/**
 * A host pattern holding glob characters (`*.example.com`): each label without a glob gets the same
 * IDN → punycode as a host; a label with a glob must be ASCII (a glob inside a Unicode label cannot
 * be compared with its punycode), so it is lowercased, and anything else is refused.
 */
function globHost(raw: string): string {
  const labels = raw.replace(/\.$/, "").split(".");
  const canonical = labels.map((label) => {
    if (!HELD_GLOB.test(label)) {
      // A suffix label keeps `10` in `10.0.*` a label (alone, WHATWG would read it as 0.0.0.10).
      const ascii = label === "" ? "" : domainToASCII(`${label}.invalid`).replace(/\.invalid$/, "");
      if (ascii === "" || !/^[a-z0-9_-]+$/.test(ascii)) refuse("the host name is invalid");
      return ascii;
    }
    if (!new RegExp(`^[A-Za-z0-9_${HELD_STAR}${HELD_QUESTION}-]+$`).test(label)) {
      refuse("a host label with a glob must be ASCII letters, digits, '-' or '_'");
    }
    return label.toLowerCase();
  });
  return canonical.join(".");
}

function canonicalPort(raw: string | undefined, scheme: string): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d{1,5}$/.test(raw)) refuse("the port is invalid");
  const port = Number(raw);
  if (port < 1 || port > 65535) refuse("the port is out of range");
  return port === DEFAULT_PORTS[scheme] ? undefined : port;
}

function splitAuthority(authority: string): { userinfo?: string; host: string; port?: string } {
  const at = authority.lastIndexOf("@");
  const userinfo = at >= 0 ? authority.slice(0, at) : undefined;
  // RFC 3986 user info characters only: anything else is read differently by different parsers.
  if (userinfo !== undefined && !/^[A-Za-z0-9._~!$&'()*+,;=:%-]*$/.test(userinfo))
    refuse("the user info is invalid");
  const hostPort = authority.slice(at + 1);
  const m = /^(\[[^\]]*\]|[^:]*)(?::(.*))?$/.exec(hostPort);
  if (!m) refuse("the host name is invalid");
  return { userinfo, host: m[1] ?? "", port: m[2] };
}

interface Parsed {
  readonly protocol: RepoProtocol;
  readonly user: string;
  readonly host: string;
  readonly port: number | undefined;
  /** Canonical path, trailing slashes dropped, `.git` as written. */
  readonly path: string;
  readonly scpLike: boolean;
  /** scp-like `host:/abs/path` (from the root) rather than `host:path` (from the login's home). */
  readonly scpAbsolute?: boolean;
}

/** `emptyPath`: a credentials prefix or a Helm repository may stop at the host; a Git URL may not. */
function parseSchemeUrl(m: RegExpExecArray, emptyPath: boolean): Parsed {
  const scheme = (m[1] ?? "").toLowerCase();
  if (!GIT_SCHEMES.has(scheme) && scheme !== "oci") refuse(`scheme "${scheme}" is not supported`);
  const rawPath = m[3] ?? "";
  if (scheme === "file") {
    const host = (m[2] ?? "").toLowerCase();
    if ((host !== "" && host !== "localhost") || rawPath === "")
      refuse("a file:// URL must be file:///absolute/path");
    return {
      protocol: "file",
      user: "",
      host: "",
      port: undefined,
      path: canonicalPath(rawPath).replace(/\/+$/, ""),
      scpLike: false,
    };
  }
  const authority = splitAuthority(m[2] ?? "");
  const host = canonicalHost(authority.host);
  const port = canonicalPort(authority.port, scheme);
  const path = canonicalPath(rawPath).replace(/\/+$/, "");
  if (!emptyPath && trimRepoPath(path) === "") refuse("the repository path is missing");
  // ssh needs the login name, which is not a secret; everything else gets its credentials from a
  // Secret through GIT_ASKPASS, so user info is dropped and a password never reaches git's argv.
  let user = "";
  if (scheme === "ssh" && authority.userinfo) {
    user = authority.userinfo.split(":")[0] ?? "";
    if (!SSH_USER.test(user)) refuse("the ssh user name is invalid");
  }
  return { protocol: scheme as RepoProtocol, user, host, port, path, scpLike: false };
}

function parseScpLike(text: string): Parsed | undefined {
  const m = SCP_LIKE.exec(text);
  if (!m || text.split(":")[0]?.includes("/")) return undefined;
  const [, user = "", rawHost = "", rawPath = ""] = m;
  if (user && !SSH_USER.test(user)) refuse("the ssh user name is invalid");
  const host = canonicalHost(rawHost);
  // `git@host:org/repo` and `ssh://git@host/org/repo` name the same repository on every common
  // forge, so they share a mirror and match the same credentials (Argo CD does the same).
  const path = canonicalPath(rawPath.startsWith("/") ? rawPath : `/${rawPath}`).replace(/\/+$/, "");
  if (trimRepoPath(path) === "") refuse("the repository path is missing");
  const scpAbsolute = rawPath.startsWith("/");
  return { protocol: "ssh", user, host, port: undefined, path, scpLike: true, scpAbsolute };
}

// Every push, poll and admission compares each app's URL with each project pattern: the parse of a
// string is memoized (refusals too), bounded so hostile input cannot grow it.
const parsedCache = new LruCache<string, Parsed | UrlProblem>(4096);

function parseAny(raw: unknown, emptyPath: boolean): Parsed {
  if (typeof raw !== "string") refuse("the URL must be a string");
  const key = `${emptyPath ? "p" : "u"}${raw}`;
  let outcome = parsedCache.get(key);
  if (outcome === undefined) {
    try {
      outcome = parseUncached(raw, emptyPath);
    } catch (error) {
      if (!(error instanceof UrlProblem)) throw error;
      outcome = error;
    }
    parsedCache.set(key, outcome);
  }
  if (outcome instanceof UrlProblem) throw outcome;
  return outcome;
}

function parseUncached(raw: string, emptyPath: boolean): Parsed {
  if (raw === "") refuse("the URL is empty");
  if (raw.length > MAX_REPO_URL_LENGTH) refuse(`the URL is longer than ${MAX_REPO_URL_LENGTH} characters`);
  if (INVISIBLE.test(raw)) refuse("the URL contains whitespace or control characters");
  if (raw.startsWith("-")) refuse("the URL must not start with '-'");
  // WHATWG parsers read `\` as `/`, RFC 3986 ones as a character: `https://a\@b/` has two hosts.
  if (raw.includes("\\")) refuse("the URL contains a backslash");
  if (/^[A-Za-z][A-Za-z0-9+.-]*::/.test(raw)) refuse("git transport helpers are not allowed");
  const schemeMatch = SCHEME_URL.exec(raw);
  if (schemeMatch) return parseSchemeUrl(schemeMatch, emptyPath);
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(raw)) refuse("the URL is malformed");
  const scp = parseScpLike(raw);
  if (scp) return scp;
  refuse("not a URL (a local path must be written as file:///path)");
}

function identityOf(p: Parsed): string {
  const port = p.port === undefined ? "" : `:${p.port}`;
  return `${p.protocol}://${p.host}${port}${trimRepoPath(p.path)}`;
}

function fetchUrlOf(p: Parsed): string {
  // Identity treats both scp-like forms alike (forges do), but git must get the path as written.
  const scpPath = p.scpAbsolute ? p.path : p.path.replace(/^\//, "");
  if (p.scpLike) return `${p.user ? `${p.user}@` : ""}${p.host}:${scpPath}`;
  const port = p.port === undefined ? "" : `:${p.port}`;
  return `${p.protocol}://${p.user ? `${p.user}@` : ""}${p.host}${port}${p.path}`;
}

const SUPPORTED = "supported: https://, http://, ssh://, git@host:path, git://, file://";

function sourceError(raw: unknown, why: string, field: string, supported = SUPPORTED): SourceError {
  // Cut, and invisible characters spelled out, so the message shows what is wrong with the URL.
  const visible = (text: string) =>
    text.replace(new RegExp(INVISIBLE.source, "gu"), (c) => `\\u{${(c.codePointAt(0) ?? 0).toString(16)}}`);
  const shown =
    typeof raw === "string"
      ? `"${visible(redactUrl(raw.slice(0, 200)))}${raw.length > 200 ? "…" : ""}"`
      : `(a ${typeof raw})`;
  return new SourceError("UnsupportedURL", `${field} ${shown}: ${why} (${supported})`);
}

function withField<T>(raw: unknown, field: string, run: () => T, supported?: string): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof UrlProblem) throw sourceError(raw, error.message, field, supported);
    throw error;
  }
}

/**
 * Parses a Git repository URL or throws SourceError UnsupportedURL. Transport helpers (`ext::`,
 * `fd::`), other schemes and plain local paths are refused: the latter would let an Application read
 * any repository on the controller's disk without saying so explicitly with file://.
 */
export function parseRepoUrl(raw: string, isPrefix = false, field = "spec.source.repoURL"): RepoUrl {
  return withField(raw, field, () => {
    const parsed = parseAny(raw, isPrefix);
    if (parsed.protocol === "oci") refuse("oci:// is a Helm chart registry, not a Git repository");
    return { protocol: parsed.protocol, fetchUrl: fetchUrlOf(parsed), normalized: identityOf(parsed) };
  });
}

/**
 * The one canonical identity of a repository URL (Git or Helm: https, http, ssh, scp-like, git,
 * file, oci). Throws SourceError UnsupportedURL naming `field`.
 */
export function canonicalRepoUrl(raw: string, field = "spec.source.repoURL"): string {
  return withField(raw, field, () => identityOf(parseAny(raw, true)), `${SUPPORTED}, oci://`);
}

/** Same as canonicalRepoUrl (the name the rest of the code knows). */
export const normalizeRepoUrl = (raw: string): string => canonicalRepoUrl(raw);

/** Like canonicalRepoUrl, for a credentials prefix, which may stop at the host (`https://host`). */
export function normalizeRepoUrlPrefix(raw: string): string {
  return withField(raw, "url", () => identityOf(parseAny(raw, true)));
}

/**
 * Why `raw` is not an acceptable repository URL, or undefined when it is (for validation messages).
 * `git`: a Git repository (a path is required, oci:// is refused); `any`: Git or Helm repository.
 */
export function repoUrlProblem(raw: unknown, kind: "git" | "any" = "any"): string | undefined {
  try {
    const parsed = parseAny(raw, kind === "any");
    if (kind === "git" && parsed.protocol === "oci")
      refuse("oci:// is a Helm chart registry, not a Git repository");
    return undefined;
  } catch (error) {
    if (error instanceof UrlProblem) return error.message;
    throw error;
  }
}

/** canonicalRepoUrl, or undefined for a URL Tether refuses (for matching code that must never throw). */
export function tryCanonicalRepoUrl(raw: unknown): string | undefined {
  if (typeof raw !== "string") return undefined;
  try {
    return identityOf(parseAny(raw, true));
  } catch {
    return undefined;
  }
}

// Glob characters of a `sourceRepos` pattern are held as these while the pattern goes through the
// URL parser, so a pattern gets exactly the canonical form (IDN, %XX, IPv6, port, `.git`) of a URL
// written the same way. Symbols a host name or path may not otherwise need; a pattern that holds them
// itself is unreadable (it could not be told from a glob).
const HELD_STAR = "\u2603";
const HELD_QUESTION = "\u2604";
const HELD_GLOB = new RegExp(`[${HELD_STAR}${HELD_QUESTION}]`);
const HELD_ENCODED = { star: encodeURIComponent(HELD_STAR), question: encodeURIComponent(HELD_QUESTION) };
const patternCache = new LruCache<string, string | null>(1024);

/**
 * A project `sourceRepos` glob in the same canonical form as the URLs it is matched against (the
 * same parser: scheme and host lowercased, IDN as punycode, IPv4/IPv6 canonical, user info and
 * default port dropped, path %-encoded the one way, `//` collapsed, no trailing `/` or `.git`,
 * scp-like written as ssh://). `*` and `?` are glob characters (never a query). Undefined for a
 * pattern that cannot be read as a URL.
 */
export function tryCanonicalRepoPattern(pattern: string): string | undefined {
  if (pattern === "*") return pattern;
  if (pattern.length > MAX_REPO_URL_LENGTH) return undefined;
  const cached = patternCache.get(pattern);
  if (cached !== undefined) return cached ?? undefined;
  const canonical = canonicalPatternUncached(pattern);
  patternCache.set(pattern, canonical ?? null);
  return canonical;
}

function canonicalPatternUncached(pattern: string): string | undefined {
  if (!/[*?]/.test(pattern)) return tryCanonicalRepoUrl(pattern);
  const encodedHeld = new RegExp(`${HELD_ENCODED.star}|${HELD_ENCODED.question}`, "i");
  if (HELD_GLOB.test(pattern) || encodedHeld.test(pattern)) return undefined;
  const held = pattern.replace(/\*/g, HELD_STAR).replace(/\?/g, HELD_QUESTION);
  let parsed: Parsed;
  try {
    parsed = parseUncached(held, true);
  } catch (error) {
    if (error instanceof UrlProblem) return undefined;
    throw error;
  }
  return identityOf(parsed)
    .replace(new RegExp(`${HELD_ENCODED.star}|${HELD_STAR}`, "g"), "*")
    .replace(new RegExp(`${HELD_ENCODED.question}|${HELD_QUESTION}`, "g"), "?");
}

/**
 * tryCanonicalRepoPattern, or the pattern as written when it cannot be read as a URL: it then
 * matches no canonical URL (an allow that allows nothing; deny patterns are checked by the caller to
 * be readable).
 */
export function canonicalRepoPattern(pattern: string): string {
  return tryCanonicalRepoPattern(pattern) ?? pattern;
}

/** Short, filesystem-safe name of a repository's mirror: the first 16 hex of sha256(normalized URL). */
export function mirrorKey(normalizedUrl: string): string {
  return createHash("sha256").update(normalizedUrl).digest("hex").slice(0, 16);
}
