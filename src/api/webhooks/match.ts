// Which Applications a push should refresh. A refresh only makes the controller look at Git again
// (level-triggered: it re-resolves the revision itself), so the rules lean towards refreshing: a
// needless refresh costs one reconcile, a missed one leaves the cluster behind until the next poll.
// An app is refreshed when all three hold:
//
// 1. Repository: the app's `spec.source.repoURL` and one of the payload's URLs have the same
//    canonical form (canonicalRepoUrl: scheme/host case, credentials, default port, `//`, trailing `/`
//    and `.git`, scp-like ssh ≡ ssh://; URLs with dot segments match nothing). The path is compared case-insensitively as well, because GitHub, GitLab, Gitea and
//    Bitbucket all treat `Org/Repo` and `org/repo` as one repository. Helm-repository apps (`chart`)
//    never match: their repoURL is not a Git repository.
// 2. Revision (`spec.source.targetRevision`, same precedence as planRevision in engine/source):
//    - empty or `HEAD` follows the default branch: matches a push to that branch when the payload
//      names it, otherwise any branch push (never a tag push);
//    - a full ref (`refs/...`) matches that exact ref;
//    - otherwise the pushed branch or tag of exactly that name;
//    - otherwise a commit id (7–64 hex) is pinned and never matches: pushing cannot move it;
//    - otherwise a semver range matches a tag push whose version (`1.2.3` or `v1.2.3`) satisfies it
//      with the same npm semantics as selectSemverTag (a deleted matching tag counts too: the selected
//      tag may be the one that disappeared).
// 3. Paths: a deleted ref or a payload without trustworthy file lists (`changedPaths` undefined)
//    counts as touching everything. Otherwise some changed file must lie under one of the app's
//    watched paths: its `path` ("" or "." = whole repository), each Helm value file that lives in
//    the repository, and each entry of the `tether.dev/manifest-generate-paths` annotation
//    (semicolon-separated; `/x` is from the repository root, anything else relative to `path`).
//    Unlike Argo CD, where that annotation *replaces* the default of "refresh on every push", here
//    the app's own path is always watched and the annotation adds to it; use it for Kustomize bases
//    or shared values outside `path` (e.g. `../base;/common`). A watched path that climbs out of the
//    repository watches the whole repository.
import path from "node:path";
import semver from "semver";
import { tryCanonicalRepoUrl } from "../../engine/source/url.js";
import { tagVersion } from "../../engine/source/revision.js";
import type { Application } from "../../model/application.js";
import type { PushEvent } from "./types.js";
import { MANIFEST_GENERATE_PATHS_ANNOTATION } from "../../model/contract.js";

export interface AppRefresh {
  app: Application;
  /** `namespace/name`. */
  key: string;
  /** Why: the URL, revision and path rules that matched, for logs and events. */
  reason: string;
}

const COMMIT_ID = /^[0-9a-f]{7,64}$/i;

/**
 * Repository identity for matching: the canonical form of engine/source/url.ts (the one every
 * comparison of repositories uses), lowercased here because forges treat paths case-insensitively.
 * Undefined for a URL Tether refuses anyway (dot segments, whitespace, …): such a URL matches nothing.
 * Memoized: every delivery checks every app, and a thousand apps share a handful of URLs.
 */
const identities = new Map<string, string | undefined>();
function repoIdentity(url: unknown): string | undefined {
  if (typeof url !== "string") return undefined;
  if (identities.has(url)) return identities.get(url);
  const identity = tryCanonicalRepoUrl(url)?.toLowerCase();
  if (identities.size >= 10_000) identities.clear();
  identities.set(url, identity);
  return identity;
}

export function appKey(app: Application): string {
  return `${app.metadata.namespace ?? ""}/${app.metadata.name}`;
}

/** Rule 2: why `targetRevision` follows the pushed ref, or undefined when it does not. */
export function revisionMatch(event: PushEvent, targetRevision: string | undefined): string | undefined {
  const wanted = (targetRevision ?? "").trim();
  if (wanted === "" || wanted === "HEAD") {
    if (event.branch === undefined) return undefined;
    if (event.defaultBranch === undefined) {
      return `targetRevision HEAD and the payload does not name the default branch`;
    }
    return event.branch === event.defaultBranch
      ? `targetRevision HEAD is the default branch "${event.branch}"`
      : undefined;
  }
  if (wanted.startsWith("refs/"))
    return wanted === event.ref ? `targetRevision is the ref "${wanted}"` : undefined;
  if (wanted === event.branch) return `targetRevision is the branch "${wanted}"`;
  if (wanted === event.tag) return `targetRevision is the tag "${wanted}"`;
  if (COMMIT_ID.test(wanted)) return undefined;
  if (event.tag === undefined) return undefined;
  const range = semver.validRange(wanted);
  const version = tagVersion(event.tag);
  if (range === null || version === undefined || !semver.satisfies(version, range)) return undefined;
  return `tag "${event.tag}" satisfies the semver range "${wanted}"`;
}

/** Repository-relative, normalized; "" is the whole repository (also for paths escaping it). */
function cleanRepoPath(raw: string): string {
  const normalized = path.posix.normalize(`/${raw.trim()}`).replace(/^\/+|\/+$/g, "");
  return normalized === "." ? "" : normalized;
}

function resolveFromApp(appPath: string, entry: string): string {
  const trimmed = entry.trim();
  if (trimmed.startsWith("/")) return cleanRepoPath(trimmed);
  const joined = path.posix.normalize(path.posix.join(appPath === "" ? "." : appPath, trimmed));
  if (joined === ".." || joined.startsWith("../")) return "";
  return cleanRepoPath(joined);
}

/** Rule 3's watched paths of an app, without duplicates; "" means the whole repository. */
export function watchedPaths(app: Application): string[] {
  const source = app.spec.source;
  const appPath = resolveFromApp("", source.path ?? "");
  const watched = new Set([appPath]);
  for (const file of source.helm?.valueFiles ?? []) {
    if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(file)) watched.add(resolveFromApp(appPath, file));
  }
  const annotation = app.metadata.annotations?.[MANIFEST_GENERATE_PATHS_ANNOTATION] ?? "";
  for (const entry of annotation.split(";")) {
    if (entry.trim() !== "") watched.add(resolveFromApp(appPath, entry));
  }
  return [...watched];
}

function isUnder(file: string, dir: string): boolean {
  return dir === "" || file === dir || file.startsWith(`${dir}/`);
}

/** Rule 3: why the push touches the app's files, or undefined when it does not. */
export function pathMatch(event: PushEvent, app: Application): string | undefined {
  if (event.deleted) return "the ref was deleted";
  if (event.changedPaths === undefined) return "the payload does not list every changed file";
  const watched = watchedPaths(app);
  for (const file of event.changedPaths) {
    const dir = watched.find((candidate) => isUnder(cleanRepoPath(file), candidate));
    if (dir !== undefined) return dir === "" ? `"${file}" changed` : `"${file}" changed under "${dir}"`;
  }
  return undefined;
}

/** The apps a push refreshes, in input order, each with its reason (rules at the top of this file). */
export function appsToRefresh(event: PushEvent, apps: readonly Application[]): AppRefresh[] {
  const pushed = new Map<string, string>();
  for (const url of event.repoURLs) {
    const identity = repoIdentity(url);
    if (identity !== undefined && !pushed.has(identity)) pushed.set(identity, url);
  }
  const refreshes: AppRefresh[] = [];
  for (const app of apps) {
    const refresh = appRefresh(event, pushed, app);
    if (refresh) refreshes.push(refresh);
  }
  return refreshes;
}

/**
 * One app against the push. An app whose spec has the wrong shape (stored under an older, looser
 * CRD: no source, a number for a path, …) never matches and never stops the others from matching:
 * the controller reports its spec on the app itself.
 */
function appRefresh(event: PushEvent, pushed: Map<string, string>, app: Application): AppRefresh | undefined {
  try {
    const source = app.spec.source;
    if (source.chart !== undefined) return undefined;
    const identity = repoIdentity(source.repoURL);
    const url = identity === undefined ? undefined : pushed.get(identity);
    if (url === undefined) return undefined;
    const revision = revisionMatch(event, source.targetRevision);
    if (revision === undefined) return undefined;
    const paths = pathMatch(event, app);
    if (paths === undefined) return undefined;
    return { app, key: appKey(app), reason: `push to ${event.ref} of ${url}: ${revision}; ${paths}` };
  } catch {
    return undefined;
  }
}
