// The git commands run against one bare mirror. Each takes the runner, so tests can watch or fail
// individual calls; every call carries the caller's timeout and credential environment.
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import type { GitRunOptions } from "./gitcli.js";
import { git, gitBuffer } from "./gitcli.js";

/** The git CLI as the cache sees it. The default is the real one (gitcli.ts). */
export interface GitRunner {
  text(args: readonly string[], options: GitRunOptions): Promise<string>;
  buffer(args: readonly string[], options: GitRunOptions): Promise<Buffer>;
}

export const systemGit: GitRunner = { text: git, buffer: gitBuffer };

export interface CommitInfo {
  readonly commit: string;
  /** `Name <email>` */
  readonly author: string;
  /** Author date, ISO 8601 in UTC. */
  readonly date: string;
  readonly message: string;
}

// Highest-precedence attributes: the tree Tether extracts is the commit's content exactly, even
// when the repository's .gitattributes asks `git archive` to drop (export-ignore) or rewrite
// (export-subst) files.
const MIRROR_ATTRIBUTES = "* -export-ignore -export-subst\n";

/**
 * Creates the bare mirror if it does not exist yet. It is initialised under a temporary name and
 * renamed into place, so a crash never leaves a half-made mirror where a real one is expected.
 */
/** Whether the bare mirror at `dir` is there (false also when a parent is no folder). */
export function mirrorExists(dir: string): boolean {
  return existsSync(path.join(dir, "HEAD"));
}

export async function ensureMirror(run: GitRunner, dir: string, timeoutMs: number): Promise<void> {
  if (existsSync(path.join(dir, "HEAD"))) return;
  await fs.mkdir(path.dirname(dir), { recursive: true });
  const temp = `${dir}.init-${randomBytes(6).toString("hex")}`;
  try {
    await run.text(["init", "--quiet", "--bare", temp], { timeoutMs });
    await fs.writeFile(path.join(temp, "info", "attributes"), MIRROR_ATTRIBUTES);
    await fs.rename(temp, dir);
  } finally {
    await fs.rm(temp, { recursive: true, force: true });
  }
}

export async function listRemoteRefs(
  run: GitRunner,
  url: string,
  options: { timeoutMs: number; env: Record<string, string> },
): Promise<string> {
  return run.text(["ls-remote", "--symref", "--", url], options);
}

/**
 * Makes the mirror's branches and tags equal to the remote's: `+` and --force accept force-pushes,
 * --prune drops deleted branches and tags, and --atomic updates every ref or none, so a failed
 * fetch leaves the previous state intact (received objects only ever add to the store).
 */
export async function fetchMirror(
  run: GitRunner,
  dir: string,
  url: string,
  options: { timeoutMs: number; env: Record<string, string> },
): Promise<void> {
  await run.text(
    [
      "fetch",
      "--quiet",
      "--force",
      "--prune",
      "--atomic",
      "--no-tags",
      "--no-write-fetch-head",
      "--",
      url,
      "+refs/heads/*:refs/heads/*",
      "+refs/tags/*:refs/tags/*",
    ],
    { ...options, cwd: dir },
  );
}

/** The full id of the commit `id` (full or abbreviated, or a tag object) names, if the mirror has one. */
export async function findCommit(
  run: GitRunner,
  dir: string,
  id: string,
  timeoutMs: number,
): Promise<string | undefined> {
  if (!existsSync(path.join(dir, "HEAD"))) return undefined;
  try {
    const out = await run.text(["rev-parse", "--verify", "--quiet", "--end-of-options", `${id}^{commit}`], {
      cwd: dir,
      timeoutMs,
    });
    return out.trim() || undefined;
  } catch {
    // Unknown, ambiguous, or not a commit: git answers all three with a failed exit.
    return undefined;
  }
}

export async function readCommitInfo(
  run: GitRunner,
  dir: string,
  commit: string,
  timeoutMs: number,
): Promise<CommitInfo> {
  const out = await run.text(
    [
      "show",
      "--no-patch",
      "--no-color",
      "--encoding=UTF-8",
      "--format=%H%x00%an%x00%ae%x00%at%x00%B",
      commit,
    ],
    { cwd: dir, timeoutMs },
  );
  const [id = commit, name = "", email = "", seconds = "0", ...rest] = out.split("\0");
  return {
    commit: id.trim(),
    author: `${name} <${email}>`,
    date: new Date(Number(seconds) * 1000).toISOString(),
    message: rest.join("\0").replace(/\s+$/, ""),
  };
}

/** The commit's files as a tar stream (bytes), for extraction into a tree. */
/** Every file of `commit` (`git ls-tree -r -z`; see treelisting.ts); fails beyond `maxBuffer` bytes. */
export async function listCommit(
  run: GitRunner,
  dir: string,
  commit: string,
  options: { timeoutMs: number; maxBuffer: number },
): Promise<string> {
  return run.text(["ls-tree", "-r", "-z", "--full-tree", commit], { cwd: dir, ...options });
}

export async function archiveCommit(
  run: GitRunner,
  dir: string,
  commit: string,
  timeoutMs: number,
): Promise<Buffer> {
  return run.buffer(["archive", "--format=tar", commit], { cwd: dir, timeoutMs });
}
