// Validation at the door: the rules the CRD schemas carry (CEL `x-kubernetes-validations`, maxLength),
// so `kubectl apply` of a bad object is refused by the apiserver with a message naming the field. The
// API and the controller apply the same rules through engine/validate.ts, whose repository URL check
// is engine/source/url.ts (strictly more than CEL can say: it also canonicalizes). Each rule here is
// a plain, cheap test; CEL's cost budget needs every string bounded, hence the maxLengths.
import type { Schema } from "./schema.js";

/** Longer URLs are refused: no forge names a repository with more, and every cache key stays small. */
export const MAX_REPO_URL_LENGTH = 2048;

interface Rule {
  readonly rule: string;
  readonly message: string;
}

const withRules = (schema: Schema, maxLength: number, rules: readonly Rule[]): Schema => ({
  ...schema,
  maxLength,
  ...(rules.length > 0 ? { "x-kubernetes-validations": rules.map((r) => ({ ...r })) } : {}),
});

// RE2 (the apiserver's regexp engine) character classes: C0/C1 controls, format characters (zero
// width, bidi overrides) and every Unicode space separator.
const NO_INVISIBLE: Rule = {
  rule: String.raw`!self.matches('[\\p{Cc}\\p{Cf}\\p{Z}]')`,
  message: "must not contain whitespace or control characters",
};
// Spaces allowed (a folder or a semver range may hold one), line breaks and invisible characters not.
const NO_CONTROL: Rule = {
  rule: String.raw`!self.matches('[\\p{Cc}\\p{Cf}]')`,
  message: "must not contain control characters",
};
const NO_BACKSLASH: Rule = {
  rule: String.raw`!self.contains('\\')`,
  message: "must not contain a backslash",
};
// A `.` or `..` path segment, written or %-encoded in any case (`%2e`, `.%2E`, …), after `/` or the
// scp-like `host:`; and `%25`/`%2f`/`%5c` (double encoding, hidden separators).
const NO_DOT_SEGMENT: Rule = {
  rule: String.raw`!self.matches('(^|[/:])(\\.|%2[eE])(\\.|%2[eE])?([/?#]|$)')`,
  message: "must not contain a '.' or '..' path segment (written or %-encoded)",
};
const NO_ENCODED_SEPARATOR: Rule = {
  rule: String.raw`!self.matches('%(25|2[fF]|5[cC])')`,
  message: "must not %-encode '%', '/' or '\\'",
};
// scp-like `user@host:path` as engine/source/url.ts reads it: a Unicode or bracketed IPv6 host, and
// a path relative to the login's home or absolute (`host:/srv/x.git`), but never `host://`, a
// transport helper (`ext::`) or a leading `-` (git would read it as an option).
const REPO_SCHEME: Rule = {
  rule: String.raw`self.lowerAscii().matches('^(https?|ssh|git|file|oci)://[^/]') || self.lowerAscii().startsWith('file:///') || (self.matches('^([A-Za-z0-9._~-]+@)?([\\p{L}\\p{N}\\p{M}._-]+|\\[[0-9A-Fa-f:.]+\\]):/?[^/]') && !self.matches('^(-|[A-Za-z][A-Za-z0-9+.-]*::)'))`,
  message: "must be an https://, http://, ssh://, git://, file:// or oci:// URL or git@host:path",
};
const NO_QUERY: Rule = {
  rule: String.raw`!self.matches('[?#]')`,
  message: "must not have a query or fragment",
};

/** `spec.source.repoURL` (Application, and an ApplicationSet's Git generator). */
export const repoUrlRules = (schema: Schema): Schema =>
  withRules({ ...schema, minLength: 1 }, MAX_REPO_URL_LENGTH, [
    NO_INVISIBLE,
    NO_BACKSLASH,
    REPO_SCHEME,
    NO_QUERY,
    NO_DOT_SEGMENT,
    NO_ENCODED_SEPARATOR,
  ]);

/** A folder or file inside the repository: relative, no `..` segment. */
export const repoPathRules = (schema: Schema): Schema =>
  withRules(schema, 4096, [
    NO_CONTROL,
    NO_BACKSLASH,
    { rule: "!self.startsWith('/')", message: "must be relative to the repository root" },
    { rule: String.raw`!self.matches('(^|/)\\.\\.(/|$)')`, message: "must not contain a '..' segment" },
  ]);

/** Free text that is still one line of printable characters (revisions may hold spaces: semver). */
export const lineRules = (schema: Schema, maxLength: number): Schema =>
  withRules(schema, maxLength, [NO_CONTROL]);

/**
 * A Kubernetes object or namespace name (DNS-1123 subdomain, or label); `""` allowed where it means a
 * default. An OpenAPI pattern, not CEL: it costs nothing against the CEL budget inside arrays.
 */
export const nameRules = (schema: Schema, options: { empty?: boolean; label?: boolean } = {}): Schema => {
  const name = options.label ? "[a-z0-9]([-a-z0-9]*[a-z0-9])?" : "[a-z0-9]([-a-z0-9.]*[a-z0-9])?";
  return {
    ...schema,
    maxLength: options.label ? 63 : 253,
    pattern: options.empty ? `^(${name})?$` : `^${name}$`,
  };
};

/** A server URL or cluster name: bounded, printable. */
export const serverRules = (schema: Schema): Schema => withRules(schema, 2048, [NO_INVISIBLE, NO_BACKSLASH]);

/** A `sourceRepos` glob: printable, no dot segments (they could never match a canonical URL). */
export const repoPatternRules = (schema: Schema): Schema =>
  withRules(schema, MAX_REPO_URL_LENGTH, [NO_INVISIBLE, NO_BACKSLASH, NO_DOT_SEGMENT]);

/** A templated field of an ApplicationSet: bounded only (`{{ parameters }}` may hold anything). */
export const boundedRules = (schema: Schema, maxLength: number): Schema => withRules(schema, maxLength, []);
