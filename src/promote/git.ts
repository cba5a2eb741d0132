// The Git half of `tether promote`: find the two environments' files of an app, apply the pure
// edits (edits.ts), commit with the promotion trailers and push — to the base branch, or to a new
// branch ready for a pull request. History is `git log` filtered by the trailers.
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { isInside } from "../engine/render/paths.js";
import { git } from "../engine/source/gitcli.js";
import type { EditResult, PromotedValue } from "./edits.js";
import {
  APP_TRAILER,
  PROMOTION_TRAILER,
  promoteHelmValues,
  promoteKustomizeImages,
  promotionMessage,
} from "./edits.js";

export interface Author {
  readonly name: string;
  readonly email: string;
}

export interface PromoteRequest {
  /** A clone URL (cloned into a temp folder, pushed back) or a local working tree. */
  readonly repo: string;
  readonly app: string;
  /** The app's folder in the repository (default: the app's name). */
  readonly appPath?: string;
  readonly from: string;
  readonly to: string;
  /** Values keys for Helm values files (default image.tag). */
  readonly keys?: readonly string[];
  /** Branch to start from and, without pushBranch, to push to (default main; a working tree: its HEAD). */
  readonly branch?: string;
  /** Push the commit to this new branch instead (for a pull request). */
  readonly pushBranch?: string;
  readonly author: Author;
  /** A local working tree is pushed only when asked (a URL always is). */
  readonly push?: boolean;
}

export interface PromoteOutcome {
  /** The new commit, or undefined when the target already had every value. */
  readonly commit?: string;
  /** Where the commit went (branch name), when pushed. */
  readonly pushedTo?: string;
  readonly changes: PromotedValue[];
  readonly skipped: string[];
}

export const isUrl = (repo: string) => /^[a-z][a-z0-9+.-]*:\/\//i.test(repo) || /^[^/]+@[^:]+:/.test(repo);

/**
 * The text of `name` in the working tree, or undefined when it does not exist. The file is read
 * and later rewritten, so it must be a regular file reached through no symlink at all: a link in
 * the repository (`app/values-prod.yaml -> ~/.ssh/config`, `app -> /etc`) would otherwise let a
 * hostile repository make promote read or overwrite a file outside the clone — or, inside it, edit
 * a file other than the one it names and commits.
 */
async function readIfExists(dir: string, name: string): Promise<string | undefined> {
  const root = await fs.realpath(dir);
  if (!isInside(root, path.join(root, name))) throw new Error(`${name} is outside the repository`);
  const file = path.join(dir, name);
  const real = await fs.realpath(file).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return undefined;
    throw error;
  });
  if (real === undefined) return undefined;
  if (real !== path.join(root, name) || !(await fs.lstat(file)).isFile()) {
    throw new Error(
      `${name} is a symlink or passes through one; promote edits only regular files of the repository`,
    );
  }
  return fs.readFile(real, "utf8");
}

/** The first of `names` (relative to `dir`) that exists, with its text. */
async function firstFile(dir: string, names: string[]): Promise<{ name: string; text: string } | undefined> {
  for (const name of names) {
    const text = await readIfExists(dir, name);
    if (text !== undefined) return { name, text };
  }
  return undefined;
}

/** Edits the working tree at `dir`; returns what changed (files written) and what was skipped. */
export async function promoteInTree(dir: string, request: PromoteRequest): Promise<EditResult[]> {
  const base = request.appPath ?? request.app;
  const results: { file: string; result: EditResult }[] = [];
  const overlay = (env: string) => [
    `${base}/overlays/${env}/kustomization.yaml`,
    `${base}/overlays/${env}/kustomization.yml`,
  ];
  const values = (env: string) => [`${base}/values-${env}.yaml`, `${base}/values-${env}.yml`];
  const kFrom = await firstFile(dir, overlay(request.from));
  const kTo = await firstFile(dir, overlay(request.to));
  if (kFrom && kTo)
    results.push({
      file: kTo.name,
      result: promoteKustomizeImages(kFrom.text, kTo.text, { from: kFrom.name, to: kTo.name }),
    });
  const hFrom = await firstFile(dir, values(request.from));
  const hTo = await firstFile(dir, values(request.to));
  if (hFrom && hTo)
    results.push({
      file: hTo.name,
      result: promoteHelmValues(hFrom.text, hTo.text, request.keys ?? ["image.tag"], {
        from: hFrom.name,
        to: hTo.name,
      }),
    });
  if (results.length === 0) {
    throw new Error(
      `${base}: found neither ${base}/overlays/{${request.from},${request.to}}/kustomization.yaml nor ${base}/values-{${request.from},${request.to}}.yaml`,
    );
  }
  for (const { file, result } of results)
    if (result.changes.length) await fs.writeFile(path.join(dir, file), result.text);
  return results.map((r) => r.result);
}

function authorEnv(author: Author): Record<string, string> {
  return {
    GIT_AUTHOR_NAME: author.name,
    GIT_AUTHOR_EMAIL: author.email,
    GIT_COMMITTER_NAME: author.name,
    GIT_COMMITTER_EMAIL: author.email,
  };
}

export async function promote(request: PromoteRequest): Promise<PromoteOutcome> {
  const env = authorEnv(request.author);
  const remote = isUrl(request.repo);
  let dir = request.repo;
  if (remote) {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "tether-promote-"));
    await git(["clone", "--quiet", "--branch", request.branch ?? "main", request.repo, dir], { env });
  }
  try {
    const results = await promoteInTree(dir, request);
    const changes = results.flatMap((r) => r.changes);
    const skipped = results.flatMap((r) => r.skipped);
    if (changes.length === 0) return { changes, skipped };
    if (request.pushBranch) await git(["checkout", "--quiet", "-b", request.pushBranch], { cwd: dir, env });
    await git(["add", "--", ...new Set(changes.map((c) => c.file))], { cwd: dir, env });
    await git(["commit", "--quiet", "-F", "-"], {
      cwd: dir,
      env,
      input: promotionMessage(request.app, request.from, request.to, changes),
    });
    const commit = (await git(["rev-parse", "HEAD"], { cwd: dir })).trim();
    if (!remote && !request.push) return { commit, changes, skipped };
    const target = request.pushBranch ?? request.branch ?? "main";
    await git(["push", "--quiet", "origin", `HEAD:refs/heads/${target}`], { cwd: dir, env });
    return { commit, pushedTo: target, changes, skipped };
  } finally {
    if (remote) await fs.rm(dir, { recursive: true, force: true });
  }
}

export interface PromotionRecord {
  readonly commit: string;
  readonly date: string;
  readonly author: string;
  readonly from: string;
  readonly to: string;
  readonly subject: string;
}

/** The app's promotions on `branch`, newest first, from the commits' trailers. */
export async function promotionHistory(
  repo: string,
  app: string,
  branch?: string,
): Promise<PromotionRecord[]> {
  const remote = isUrl(repo);
  let dir = repo;
  if (remote) {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "tether-promote-"));
    await git(["clone", "--quiet", "--bare", ...(branch ? ["--branch", branch] : []), repo, dir]);
  }
  try {
    const format = `%H%x1f%aI%x1f%an%x1f%s%x1f%(trailers:key=${PROMOTION_TRAILER},valueonly,separator=%x2C)%x1f%(trailers:key=${APP_TRAILER},valueonly,separator=%x2C)%x1e`;
    const out = await git(
      ["log", `--format=${format}`, `--grep=^${APP_TRAILER}: `, ...(branch && !remote ? [branch] : []), "--"],
      { cwd: dir },
    );
    return out
      .split("\x1e")
      .map((record) => record.replace(/^\n/, "").split("\x1f"))
      .filter((fields) => fields.length === 6 && fields[5]?.trim() === app)
      .map(([commit = "", date = "", author = "", subject = "", promotion = ""]) => {
        const [from = "", to = ""] = promotion.trim().split("->");
        return { commit, date, author, from, to, subject };
      });
  } finally {
    if (remote) await fs.rm(dir, { recursive: true, force: true });
  }
}
