// One automation run against Git, with the real git CLI (clean environment, no hooks): clone the
// base branch, apply the setters to the YAML files under `path`, commit with the configured author
// and message, push. A rejected push (someone pushed meanwhile) is retried from the new head, so
// their commit is kept and the tags are re-applied on top of it.
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { FileChanges, PolicyChoice, PolicyRef, SetterProblem } from "../../engine/images/index.js";
import { applySetters, ImageError, renderCommitMessage } from "../../engine/images/index.js";
import type { RepoCredentials } from "../../engine/source/credentials.js";
import { withGitCredentials } from "../../engine/source/gitauth.js";
import { git, GitCommandError } from "../../engine/source/gitcli.js";
import { isInside } from "../../engine/render/paths.js";
import { parseRepoUrl } from "../../engine/source/url.js";

export interface GitUpdateRequest {
  readonly url: string;
  readonly credentials?: RepoCredentials;
  readonly checkoutBranch: string;
  readonly pushBranch: string;
  /** Folder inside the repository; "" or "." is the root. */
  readonly path: string;
  readonly author: { readonly name: string; readonly email: string };
  readonly messageTemplate: string;
  /** `namespace/name` of the automation, for the message. */
  readonly automation: string;
  readonly choose: (ref: PolicyRef) => PolicyChoice | undefined;
  readonly timeoutMs?: number;
  readonly maxAttempts?: number;
  /** Called after the commit, before each push (tests make a competing push here). */
  readonly beforePush?: (attempt: number) => Promise<void>;
}

export interface GitUpdateResult {
  /** The commit pushed, or undefined when every marked field was already current. */
  readonly pushed?: string;
  /** Tip of the branch the run started from (after the last retry). */
  readonly base: string;
  readonly files: readonly FileChanges[];
  readonly problems: readonly (SetterProblem & { file: string })[];
  readonly attempts: number;
}

const REJECTED = /\[rejected\]|non-fast-forward|fetch first|failed to update ref|stale info|cannot lock ref/i;

/**
 * Regular YAML files under `dir` (no symlinks, no .git), relative paths sorted. Dirent types are
 * lstat's, so a linked file or folder below `dir` is neither read nor written through; `dir`
 * itself is resolved by scanFolder.
 */
async function yamlFiles(root: string, dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    if (entry.name === ".git") continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await yamlFiles(root, full)));
    else if (entry.isFile() && /\.ya?ml$/i.test(entry.name)) out.push(path.relative(root, full));
  }
  return out.sort();
}

/**
 * The folder to scan: `spec.update.path` confined lexically, then resolved through any symlink in
 * the clone (`deploy -> /etc`, `deploy -> ../..`) and refused if it leaves it — the run reads and
 * rewrites every YAML file below, with the controller's rights. Undefined when it does not exist.
 * Both are real paths, so the relative file paths are those git knows.
 */
async function scanFolder(clone: string, sub: string): Promise<{ root: string; dir: string } | undefined> {
  const clean = path.posix.normalize(sub || ".");
  if (clean.startsWith("/") || clean === ".." || clean.startsWith("../")) {
    throw new ImageError(
      "InvalidSpec",
      `spec.update.path "${sub}" must be relative and stay inside the repository`,
    );
  }
  const root = await fs.realpath(clone);
  const dir = await fs.realpath(path.join(root, clean)).catch(() => undefined);
  if (dir === undefined) return undefined;
  if (
    !isInside(root, dir) ||
    dir === path.join(root, ".git") ||
    dir.startsWith(path.join(root, ".git") + path.sep)
  ) {
    throw new ImageError("InvalidSpec", `spec.update.path "${sub}" leaves the repository through a symlink`);
  }
  return (await fs.stat(dir)).isDirectory() ? { root, dir } : undefined;
}

async function remoteHeads(
  url: string,
  env: Record<string, string>,
  timeoutMs?: number,
): Promise<Map<string, string>> {
  const out = await git(["ls-remote", "--heads", url], { env, timeoutMs });
  const heads = new Map<string, string>();
  for (const line of out.split("\n")) {
    const [sha, ref] = line.split("\t");
    if (sha && ref?.startsWith("refs/heads/")) heads.set(ref.slice("refs/heads/".length), sha);
  }
  return heads;
}

export async function runGitUpdate(request: GitUpdateRequest): Promise<GitUpdateResult> {
  const repo = parseRepoUrl(request.url, false, "spec.sourceRef.url");
  const where = `${repo.fetchUrl} branch ${request.pushBranch}`;
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "tether-image-update-"));
  const timeoutMs = request.timeoutMs;
  try {
    return await withGitCredentials(repo.protocol, request.credentials, async (authEnv) => {
      const who = request.author;
      const env = {
        ...authEnv,
        GIT_AUTHOR_NAME: who.name,
        GIT_AUTHOR_EMAIL: who.email,
        GIT_COMMITTER_NAME: who.name,
        GIT_COMMITTER_EMAIL: who.email,
      };
      const run = (args: string[]) => git(args, { cwd: dir, env, timeoutMs });
      await run(["init", "--quiet", "--initial-branch=tether-work", "."]);
      await run(["remote", "add", "origin", repo.fetchUrl]);
      const maxAttempts = request.maxAttempts ?? 5;
      for (let attempt = 1; ; attempt += 1) {
        const heads = await remoteHeads(repo.fetchUrl, env, timeoutMs);
        // An existing push branch is worked on (it may hold earlier updates); a new one starts
        // from the checkout branch.
        const baseBranch = heads.has(request.pushBranch) ? request.pushBranch : request.checkoutBranch;
        if (!heads.has(baseBranch)) {
          throw new ImageError(
            "GitFailed",
            `${repo.fetchUrl}: branch ${request.checkoutBranch} does not exist`,
          );
        }
        await run([
          "fetch",
          "--quiet",
          "--no-tags",
          "origin",
          `+refs/heads/${baseBranch}:refs/remotes/origin/${baseBranch}`,
        ]);
        const base = (await run(["rev-parse", `refs/remotes/origin/${baseBranch}`])).trim();
        await run(["checkout", "--quiet", "--force", "-B", "tether-work", base]);
        await run(["clean", "--quiet", "-fdx"]);

        const files: FileChanges[] = [];
        const problems: (SetterProblem & { file: string })[] = [];
        const scan = await scanFolder(dir, request.path);
        if (!scan)
          throw new ImageError(
            "InvalidSpec",
            `spec.update.path "${request.path}" is not a folder on ${baseBranch}`,
          );
        for (const file of await yamlFiles(scan.root, scan.dir)) {
          const full = path.join(scan.root, file);
          const before = await fs.readFile(full, "utf8");
          const result = applySetters(before, request.choose);
          problems.push(...result.problems.map((p) => ({ ...p, file })));
          if (result.changes.length === 0) continue;
          await fs.writeFile(full, result.text);
          files.push({ file, changes: result.changes });
        }
        if (files.length === 0) return { base, files, problems, attempts: attempt };

        const message = renderCommitMessage(request.messageTemplate, request.automation, files);
        if (!message.ok) throw new ImageError("InvalidSpec", message.error);
        await run(["add", "--all", "--", ...files.map((f) => f.file)]);
        await run(["commit", "--quiet", "--no-verify", "-m", message.message]);
        const commit = (await run(["rev-parse", "HEAD"])).trim();
        await request.beforePush?.(attempt);
        try {
          await run(["push", "--quiet", "origin", `HEAD:refs/heads/${request.pushBranch}`]);
          return { pushed: commit, base, files, problems, attempts: attempt };
        } catch (error) {
          const rejected = error instanceof GitCommandError && REJECTED.test(error.stderr + error.message);
          if (!rejected)
            throw new ImageError("GitFailed", `push to ${where} failed: ${(error as Error).message}`, {
              cause: error,
            });
          if (attempt >= maxAttempts) {
            throw new ImageError(
              "PushConflict",
              `push to ${where} was rejected ${attempt} times (the branch keeps moving)`,
            );
          }
        }
      }
    });
  } catch (error) {
    if (error instanceof ImageError) throw error;
    throw new ImageError("GitFailed", `${where}: ${(error as Error).message}`, { cause: error });
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}
