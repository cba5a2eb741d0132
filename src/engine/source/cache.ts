// The source stage's one object: a cache of bare mirrors (one per normalized repository URL, shared
// by every application using it) and of read-only trees (one per commit, reference-counted).
//
// resolve(): ls-remote first; fetch only when a branch or tag moved since the last successful fetch
// of that mirror; then map targetRevision to a commit that is in the mirror. A per-mirror mutex keeps
// two applications from fetching the same mirror at once. A failed ls-remote or fetch throws a typed
// SourceError and leaves the mirror as it was, so "unreachable" is never mistaken for "empty".
import path from "node:path";
import { SourceError } from "../errors.js";
import { redactUrl } from "./gitcli.js";
import type { RepoCredentials, SecretLike } from "./credentials.js";
import { pickCredentials } from "./credentials.js";
import { withGitCredentials } from "./gitauth.js";
import { classifyGitFailure } from "./gitfailure.js";
import type { RemoteRefs } from "./lsremote.js";
import { parseLsRemote, refsFingerprint } from "./lsremote.js";
import type { CommitInfo, GitRunner } from "./mirror.js";
import {
  archiveCommit,
  ensureMirror,
  mirrorExists,
  fetchMirror,
  findCommit,
  listCommit,
  listRemoteRefs,
  readCommitInfo,
  systemGit,
} from "./mirror.js";
import { KeyedMutex } from "./mutex.js";
import { planRevision } from "./revision.js";
import type { SourceTree } from "./trees.js";
import type { TreeEntry } from "./treelisting.js";
import { entriesUnder, parseTreeListing } from "./treelisting.js";
import { TreeStore, untar } from "./trees.js";
import type { RepoUrl } from "./url.js";
import { mirrorKey, parseRepoUrl } from "./url.js";
import { errorMessage } from "../../lib/errormessage.js";
import type { ResolvedChart } from "./helmrepo/index.js";

export interface RepositoryCacheOptions {
  /** Mirrors go to `<cacheDir>/repos/`, trees to `<cacheDir>/trees/`. */
  readonly cacheDir: string;
  /** Limit for every single git (and tar) call; default 60 s. */
  readonly timeoutMs?: number;
  /** The repository Secrets currently known (read on every network call, so rotation takes effect). */
  readonly credentials?: () => readonly SecretLike[] | Promise<readonly SecretLike[]>;
  /** The git CLI; tests wrap the real one to observe or fail calls. */
  readonly git?: GitRunner;
  /** How long an extracted tree no one holds is kept for the next app at that commit; default 10 s. */
  readonly treeLingerMs?: number;
  /** Where trees go instead of `<cacheDir>/trees/`: a folder a separate renderer process can read. */
  readonly treesDir?: string;
}

export interface ResolvedRevision extends CommitInfo {
  /** The full ref that was resolved (`refs/heads/main`, `refs/tags/v1.2.0`), or the commit id itself. */
  readonly ref: string;
  /** Whether this call fetched (false when ls-remote showed nothing had moved). */
  readonly fetched: boolean;
  /**
   * Set for a chart from a Helm repository: `commit` is then its version, and the tree comes from
   * the Helm repository cache (helmrepo/), not from a mirror.
   */
  readonly chart?: ResolvedChart;
}

export interface RepositoryCacheStats {
  readonly lsRemotes: number;
  readonly fetches: number;
  readonly treesExtracted: number;
  readonly treesRemoved: number;
  readonly treesInUse: number;
}

export interface RepositoryCache {
  /**
   * `maxAgeMs`: reuse this mirror's last successful listing if it is younger, whatever revision it
   * was for — so apps sharing a repository cost one ls-remote per poll interval, not one each.
   */
  resolve(
    repoURL: string,
    targetRevision?: string,
    options?: { maxAgeMs?: number },
  ): Promise<ResolvedRevision>;
  /** A read-only tree of `commit` (a full id, normally from resolve). Local only: never fetches. */
  acquireTree(repoURL: string, commit: string): Promise<SourceTree>;
  /**
   * The files of `folder` ("" for the root) at `commit`, from the mirror's objects (nothing is
   * extracted); undefined when they cannot be listed (then nothing may be concluded from them).
   */
  listFolder(repoURL: string, commit: string, folder: string): Promise<TreeEntry[] | undefined>;
  /** Where the mirror of `repoURL` lives (for diagnostics and tests). */
  mirrorDir(repoURL: string): string;
  /** Removes the trees no one holds (they linger for the next user); at shutdown. */
  releaseIdleTrees(): Promise<void>;
  readonly stats: RepositoryCacheStats;
}

const DEFAULT_TIMEOUT_MS = 60_000;
/** Listings kept (a commit's apps are reconciled together), and the largest one kept (bytes). */
const LISTINGS_KEPT = 8;
const LISTING_MAX_BYTES = 32 * 1024 * 1024;
const FULL_COMMIT_ID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

export function createRepositoryCache(options: RepositoryCacheOptions): RepositoryCache {
  const run = options.git ?? systemGit;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const reposDir = path.join(path.resolve(options.cacheDir), "repos");
  const treesDir = options.treesDir ?? path.join(path.resolve(options.cacheDir), "trees");
  const trees = new TreeStore(path.resolve(treesDir), { lingerMs: options.treeLingerMs ?? 10_000 });
  const mutex = new KeyedMutex();
  // Per mirror: the ls-remote fingerprint the mirror was last successfully fetched at.
  const fetchedAt = new Map<string, string>();
  // Per mirror: the last successful listing and when it was made.
  const listed = new Map<string, { at: number; remote: RemoteRefs }>();
  const counts = { lsRemotes: 0, fetches: 0 };
  // Commits already found in a mirror: a fetch never removes objects, so the answer stands, and a
  // thousand apps at one commit cost one `git rev-parse`, not a thousand. Bounded, oldest out first.
  const knownCommits = new Set<string>();
  const remember = (key: string) => {
    knownCommits.delete(key);
    knownCommits.add(key);
    if (knownCommits.size > 4096) knownCommits.delete(knownCommits.values().next().value as string);
  };

  const dirOf = (url: RepoUrl) => path.join(reposDir, `${mirrorKey(url.normalized)}.git`);

  async function credentialsFor(repoURL: string): Promise<RepoCredentials | undefined> {
    if (!options.credentials) return undefined;
    return pickCredentials(repoURL, await options.credentials());
  }

  /** ls-remote, and fetch if anything moved. Runs under the mirror's lock. */
  async function syncMirror(repoURL: string, url: RepoUrl, dir: string) {
    const credentials = await credentialsFor(repoURL);
    return withGitCredentials(url.protocol, credentials, async (env) => {
      await ensureMirror(run, dir, timeoutMs);
      let listing: string;
      try {
        listing = await listRemoteRefs(run, url.fetchUrl, { timeoutMs, env });
      } catch (error) {
        throw classifyGitFailure(error, repoURL, "listing refs");
      }
      counts.lsRemotes += 1;
      const remote = parseLsRemote(listing);
      const fingerprint = refsFingerprint(remote);
      let fetched = false;
      if (fetchedAt.get(dir) !== fingerprint) {
        try {
          // Also when the remote is now empty: --prune then removes every branch and tag.
          await fetchMirror(run, dir, url.fetchUrl, { timeoutMs, env });
        } catch (error) {
          throw classifyGitFailure(error, repoURL, "fetching");
        }
        // Recorded only after success: a failed fetch is retried on the next resolve.
        fetchedAt.set(dir, fingerprint);
        counts.fetches += 1;
        fetched = true;
      }
      return { remote, fetched };
    });
  }

  async function resolve(
    repoURL: string,
    targetRevision = "",
    resolveOptions: { maxAgeMs?: number } = {},
  ): Promise<ResolvedRevision> {
    const url = parseRepoUrl(repoURL);
    const dir = dirOf(url);
    const shown = redactUrl(repoURL);
    return mutex.run(dir, async () => {
      const recent = listed.get(dir);
      // A listing is reused only while its mirror is there: a cache folder removed or made unusable
      // since must surface as that (ensureMirror names the path), not as a revision the mirror lacks.
      const reuse =
        recent &&
        resolveOptions.maxAgeMs !== undefined &&
        Date.now() - recent.at < resolveOptions.maxAgeMs &&
        mirrorExists(dir);
      // A failed listing must leave no older one behind to be reused.
      if (!reuse) listed.delete(dir);
      const { remote, fetched } = reuse
        ? { remote: recent.remote, fetched: false }
        : await syncMirror(repoURL, url, dir);
      if (!reuse) listed.set(dir, { at: Date.now(), remote });
      const plan = planRevision(remote, targetRevision, shown);
      const wanted = plan.kind === "ref" ? plan.commit : plan.id;
      // Peels annotated tags and checks the object really is a commit the mirror holds.
      const commit = await findCommit(run, dir, wanted, timeoutMs);
      if (!commit) {
        const what = plan.kind === "ref" ? `${plan.ref} (${wanted})` : `commit ${wanted}`;
        throw new SourceError(
          "RevisionNotFound",
          `repository "${shown}": spec.source.targetRevision "${targetRevision}": ${what} is not a commit ` +
            `on any branch or tag of the repository (unknown, ambiguous, or not a commit)`,
        );
      }
      const info = await readCommitInfo(run, dir, commit, timeoutMs).catch((error: unknown) => {
        throw classifyGitFailure(error, repoURL, "reading commit");
      });
      return { ...info, ref: plan.kind === "ref" ? plan.ref : commit, fetched };
    });
  }

  async function acquireTree(repoURL: string, commit: string): Promise<SourceTree> {
    const url = parseRepoUrl(repoURL);
    const dir = dirOf(url);
    const shown = redactUrl(repoURL);
    if (!FULL_COMMIT_ID.test(commit)) {
      throw new SourceError("InvalidRevision", `repository "${shown}": "${commit}" is not a full commit id`);
    }
    // Checked on every acquire, even when the tree is already shared: an application may only see a
    // commit that its own repository contains.
    const present = knownCommits.has(`${dir}\n${commit}`)
      ? commit
      : await mutex.run(dir, () => findCommit(run, dir, commit, timeoutMs));
    if (present === commit) remember(`${dir}\n${commit}`);
    if (present !== commit) {
      throw new SourceError(
        "RevisionNotFound",
        `repository "${shown}": commit ${commit} is not in the mirror (resolve a revision first)`,
      );
    }
    return trees.acquire(commit, async (into) => {
      const archive = await mutex
        .run(dir, () => archiveCommit(run, dir, commit, timeoutMs))
        .catch((error: unknown) => {
          throw classifyGitFailure(error, repoURL, "archiving");
        });
      await untar(archive, into, timeoutMs).catch((error: unknown) => {
        const why = errorMessage(error);
        throw new SourceError("GitCommandFailed", `repository "${shown}": extracting ${commit}: ${why}`);
      });
    });
  }

  // One `git ls-tree` per commit however many apps look at it; a repository too big to list within
  // LISTING_MAX_BYTES gets no listing (its apps keep commit-keyed renders).
  const listings = new Map<string, Promise<TreeEntry[] | undefined>>();
  async function listFolder(repoURL: string, commit: string, folder: string) {
    if (!FULL_COMMIT_ID.test(commit)) return undefined;
    const dir = dirOf(parseRepoUrl(repoURL));
    const key = `${dir}\n${commit}`;
    let listing = listings.get(key);
    if (listing) listings.delete(key);
    else {
      listing = mutex
        .run(dir, () => listCommit(run, dir, commit, { timeoutMs, maxBuffer: LISTING_MAX_BYTES }))
        .then(parseTreeListing)
        .catch(() => undefined);
    }
    listings.set(key, listing);
    if (listings.size > LISTINGS_KEPT) listings.delete(listings.keys().next().value as string);
    const entries = await listing;
    return entries && entriesUnder(entries, folder);
  }

  return {
    resolve,
    acquireTree,
    listFolder,
    mirrorDir: (repoURL) => dirOf(parseRepoUrl(repoURL)),
    releaseIdleTrees: () => trees.drain(),
    get stats(): RepositoryCacheStats {
      return {
        ...counts,
        treesExtracted: trees.stats.extracted,
        treesRemoved: trees.stats.removed,
        treesInUse: trees.inUse,
      };
    },
  };
}
