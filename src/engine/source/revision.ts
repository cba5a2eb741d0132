// Deciding what a `targetRevision` names, from the ls-remote snapshot alone. Pure: the result is
// either a ref with its commit, an object id to look up inside the mirror, or a typed error.
import semver from "semver";
import { SourceError } from "../errors.js";
import type { RemoteRefs } from "./lsremote.js";
import { commitOfRef, tagNames } from "./lsremote.js";

export type RevisionPlan =
  /** A branch, tag or HEAD: `ref` is the full ref name, `commit` the commit it names. */
  | { readonly kind: "ref"; readonly ref: string; readonly commit: string }
  /** A full or abbreviated commit id; only the mirror can say whether it exists. */
  | { readonly kind: "object"; readonly id: string };

const FULL_ID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/i;
const SHORT_ID = /^[0-9a-f]{7,63}$/i;

function field(targetRevision: string): string {
  return `spec.source.targetRevision "${targetRevision}"`;
}

/**
 * Whether text was meant as a semver range even though semver cannot parse it, so that the user
 * gets "not a valid semver range" instead of "no branch of that name". Operators, wildcards and
 * "digits followed by a dot" are the tell.
 */
export function looksLikeSemverRange(text: string): boolean {
  return /^\s*[v=]?\s*\d+\.|[<>~^*]|\|\||^\s*[xX*]\s*$|\s-\s/.test(text);
}

/** The version a tag stands for: `1.2.3` or `v1.2.3`; anything else is not a release tag. */
export function tagVersion(tag: string): semver.SemVer | undefined {
  const text = tag.startsWith("v") ? tag.slice(1) : tag;
  if (!/^\d/.test(text)) return undefined;
  return semver.parse(text) ?? undefined;
}

/**
 * The highest tag satisfying `range` (npm semantics: pre-releases only when the range names one on
 * the same major.minor.patch). When `1.2.3` and `v1.2.3` both exist, the name that sorts first wins so
 * the choice never depends on ls-remote order.
 */
export function selectSemverTag(tags: readonly string[], range: string): string | undefined {
  let best: { tag: string; version: semver.SemVer } | undefined;
  for (const tag of [...tags].sort()) {
    const version = tagVersion(tag);
    if (!version || !semver.satisfies(version, range)) continue;
    if (!best || semver.gt(version, best.version)) best = { tag, version };
  }
  return best?.tag;
}

function headPlan(remote: RemoteRefs, repo: string): RevisionPlan {
  const target = remote.head.target;
  const branchCommit = target ? commitOfRef(remote, target) : undefined;
  if (target && branchCommit) return { kind: "ref", ref: target, commit: branchCommit };
  if (remote.head.commit) return { kind: "ref", ref: "HEAD", commit: remote.head.commit };
  const why =
    remote.refs.size === 0 ? "the repository is empty (no branches or tags)" : "the remote has no HEAD";
  throw new SourceError("RevisionNotFound", `repository "${repo}": HEAD: ${why}`);
}

/**
 * Resolution order: HEAD (or empty); an exact full ref; a branch, then a tag of that name (branch
 * first, as Argo CD does); a commit id; a semver range over tags. `repo` is the redacted URL for
 * messages.
 */
export function planRevision(remote: RemoteRefs, targetRevision: string, repo: string): RevisionPlan {
  const wanted = targetRevision.trim();
  if (wanted === "" || wanted === "HEAD") return headPlan(remote, repo);
  const candidates = wanted.startsWith("refs/") ? [wanted] : [`refs/heads/${wanted}`, `refs/tags/${wanted}`];
  for (const ref of candidates) {
    const commit = commitOfRef(remote, ref);
    if (commit) return { kind: "ref", ref, commit };
  }
  if (FULL_ID.test(wanted) || SHORT_ID.test(wanted)) return { kind: "object", id: wanted.toLowerCase() };
  const range = semver.validRange(wanted);
  if (range !== null) {
    const tag = selectSemverTag(tagNames(remote), range);
    if (tag === undefined) {
      throw new SourceError(
        "RevisionNotFound",
        `repository "${repo}": ${field(targetRevision)}: no tag satisfies the semver range`,
      );
    }
    const ref = `refs/tags/${tag}`;
    return { kind: "ref", ref, commit: commitOfRef(remote, ref) ?? "" };
  }
  if (looksLikeSemverRange(wanted)) {
    throw new SourceError(
      "InvalidRevision",
      `repository "${repo}": ${field(targetRevision)}: not a valid semver range`,
    );
  }
  throw new SourceError(
    "RevisionNotFound",
    `repository "${repo}": ${field(targetRevision)}: no branch or tag of that name`,
  );
}
