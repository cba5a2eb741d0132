// Which files a push touched, from the per-commit `added`/`modified`/`removed` lists that GitHub,
// GitLab and Gitea put in push payloads. The answer is "undefined" (= assume everything changed)
// whenever the lists may be incomplete, because a wrong "nothing changed" would silently skip a
// deployment until the next poll, while a wrong "everything changed" costs one extra reconcile.
import { WebhookError } from "./errors.js";
import { isObject } from "./json.js";

/**
 * GitHub reports at most 3000 changed files per commit (its docs); a list that long may be cut.
 * The same bound is applied to every provider: a commit this large is not worth filtering.
 */
export const MAX_FILES_PER_COMMIT = 3000;

export interface CommitListContext {
  /** Payload field holding the commits, for messages. */
  field: string;
  /**
   * False when the payload says it lists only some commits (GitLab: 20 of `total_commits_count`;
   * Gitea: `total_commits`), or when the push was forced, or created/deleted the ref: the commits
   * listed then do not cover everything that differs from what an app had before.
   */
  complete: boolean;
}

/** Sorted, de-duplicated repo-relative paths, or undefined when they cannot be trusted to be complete. */
export function changedPathsFromCommits(
  commits: unknown,
  context: CommitListContext,
  what: string,
): string[] | undefined {
  if (commits === undefined || commits === null) return undefined;
  if (!Array.isArray(commits)) throw new WebhookError(400, `${what}: field "${context.field}" is not a list`);
  // An empty list (a branch moved to a commit it already had, a reset) says nothing about files.
  if (!context.complete || commits.length === 0) return undefined;
  const paths = new Set<string>();
  for (const [index, commit] of commits.entries()) {
    if (!isObject(commit))
      throw new WebhookError(400, `${what}: field "${context.field}[${index}]" is not an object`);
    let count = 0;
    for (const kind of ["added", "modified", "removed"] as const) {
      const list = commit[kind];
      // A commit without file lists: the payload cannot tell us what changed.
      if (list === undefined || list === null) return undefined;
      if (!Array.isArray(list) || !list.every((item) => typeof item === "string")) {
        throw new WebhookError(
          400,
          `${what}: field "${context.field}[${index}].${kind}" is not a list of paths`,
        );
      }
      count += list.length;
      for (const file of list) paths.add(file.replace(/^\/+/, ""));
    }
    if (count >= MAX_FILES_PER_COMMIT) return undefined;
  }
  return [...paths].sort();
}
