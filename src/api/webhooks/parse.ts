// Push payloads of GitHub, GitLab, Gitea/Forgejo and Bitbucket Cloud → PushEvent values. Only the
// fields below are read (names as documented by each forge); everything else in a payload is
// ignored, so new fields never break parsing. Non-push events are `{ ignored }`, not errors: the
// forge gets a 2xx and does not retry or disable the hook.
import { changedPathsFromCommits } from "./changes.js";
import { WebhookError } from "./errors.js";
import type { JsonObject } from "./json.js";
import {
  at,
  isObject,
  optionalString,
  parseJsonObject,
  requiredSha,
  requiredString,
  strings,
} from "./json.js";
import type { ParsedWebhook, PushEvent, WebhookProvider } from "./types.js";
import { ZERO_SHA } from "./types.js";

function isZero(sha: string): boolean {
  return /^0+$/.test(sha);
}

function refNames(ref: string): { branch?: string; tag?: string } {
  if (ref.startsWith("refs/heads/")) return { branch: ref.slice("refs/heads/".length) };
  if (ref.startsWith("refs/tags/")) return { tag: ref.slice("refs/tags/".length) };
  return {};
}

function requiredRef(payload: JsonObject, path: string, what: string): string {
  const ref = requiredString(payload, path, what);
  if (!ref.startsWith("refs/"))
    throw new WebhookError(400, `${what}: field "${path}" is not a full ref name`);
  return ref;
}

function requiredUrls(payload: JsonObject, paths: readonly string[], what: string): string[] {
  const urls = strings(payload, paths, what);
  if (urls.length === 0) throw new WebhookError(400, `${what}: field "${paths[0] ?? ""}" is missing`);
  return urls;
}

function event(fields: Omit<PushEvent, "branch" | "tag">): PushEvent {
  return { ...fields, ...refNames(fields.ref) };
}

function sameEvent(name: string, ...accepted: string[]): boolean {
  return accepted.some((wanted) => wanted.toLowerCase() === name.trim().toLowerCase());
}

// GitHub `push`: https://docs.github.com/webhooks/webhook-events-and-payloads#push
function githubPush(payload: JsonObject): PushEvent {
  const what = "GitHub push payload";
  const after = requiredSha(payload, "after", what);
  const deleted = payload["deleted"] === true || isZero(after);
  const created = payload["created"] === true || isZero(optionalString(payload, "before", what) ?? "");
  const complete = !deleted && !created && payload["forced"] !== true;
  const defaultBranch = optionalString(payload, "repository.default_branch", what);
  return event({
    provider: "github",
    repoURLs: requiredUrls(
      payload,
      ["repository.clone_url", "repository.ssh_url", "repository.git_url", "repository.html_url"],
      what,
    ),
    ref: requiredRef(payload, "ref", what),
    after: deleted ? ZERO_SHA : after,
    ...(defaultBranch ? { defaultBranch } : {}),
    changedPaths: changedPathsFromCommits(payload["commits"], { field: "commits", complete }, what),
    deleted,
  });
}

// Gitea/Forgejo `push` is shaped like GitHub's, plus `total_commits` (the list is cut at a server
// setting, 5 by default) and without `created`/`deleted`/`forced`.
function giteaPush(payload: JsonObject): PushEvent {
  const what = "Gitea push payload";
  const after = requiredSha(payload, "after", what);
  const commits = payload["commits"];
  const total = payload["total_commits"];
  const listed = Array.isArray(commits) ? commits.length : 0;
  const deleted = isZero(after);
  const created = isZero(optionalString(payload, "before", what) ?? "");
  const complete = !deleted && !created && (typeof total !== "number" || total <= listed);
  const defaultBranch = optionalString(payload, "repository.default_branch", what);
  return event({
    provider: "gitea",
    repoURLs: requiredUrls(
      payload,
      ["repository.clone_url", "repository.ssh_url", "repository.html_url"],
      what,
    ),
    ref: requiredRef(payload, "ref", what),
    after: deleted ? ZERO_SHA : after,
    ...(defaultBranch ? { defaultBranch } : {}),
    changedPaths: changedPathsFromCommits(commits, { field: "commits", complete }, what),
    deleted,
  });
}

// Gitea/Forgejo send no push when a branch or tag is deleted, only `delete` with a short ref name.
function giteaDelete(payload: JsonObject): PushEvent {
  const what = "Gitea delete payload";
  const name = requiredString(payload, "ref", what);
  const refType = requiredString(payload, "ref_type", what);
  if (refType !== "branch" && refType !== "tag") {
    throw new WebhookError(400, `${what}: field "ref_type" is "${refType}", not branch or tag`);
  }
  const ref = name.startsWith("refs/") ? name : `refs/${refType === "branch" ? "heads" : "tags"}/${name}`;
  const defaultBranch = optionalString(payload, "repository.default_branch", what);
  return event({
    provider: "gitea",
    repoURLs: requiredUrls(
      payload,
      ["repository.clone_url", "repository.ssh_url", "repository.html_url"],
      what,
    ),
    ref,
    after: ZERO_SHA,
    ...(defaultBranch ? { defaultBranch } : {}),
    changedPaths: undefined,
    deleted: true,
  });
}

// GitLab `Push Hook` / `Tag Push Hook`: https://docs.gitlab.com/user/project/integrations/webhook_events/
// `commits` holds at most 20 entries; `total_commits_count` says how many there were.
function gitlabPush(payload: JsonObject): PushEvent {
  const what = "GitLab push payload";
  const after = requiredSha(payload, "after", what);
  const commits = payload["commits"];
  const total = payload["total_commits_count"];
  const listed = Array.isArray(commits) ? commits.length : 0;
  const deleted = isZero(after);
  const created = isZero(optionalString(payload, "before", what) ?? "");
  const complete = !deleted && !created && (typeof total !== "number" || total <= listed);
  const defaultBranch = optionalString(payload, "project.default_branch", what);
  return event({
    provider: "gitlab",
    repoURLs: requiredUrls(
      payload,
      [
        "project.git_http_url",
        "project.git_ssh_url",
        "project.web_url",
        "repository.git_http_url",
        "repository.git_ssh_url",
        "repository.homepage",
      ],
      what,
    ),
    ref: requiredRef(payload, "ref", what),
    after: deleted ? ZERO_SHA : after,
    ...(defaultBranch ? { defaultBranch } : {}),
    changedPaths: changedPathsFromCommits(commits, { field: "commits", complete }, what),
    deleted,
  });
}

/**
 * Bitbucket Cloud gives the web URL only; the clone URLs are that URL (https) and the scp-like ssh
 * form `git@host:workspace/repo.git`, which Bitbucket Cloud uses for every repository.
 */
function bitbucketUrls(htmlHref: string): string[] {
  const urls = [htmlHref];
  const m = /^https?:\/\/([^/@]+)\/(.+?)\/*$/.exec(htmlHref);
  if (m?.[1] && m[2]) urls.push(`git@${m[1]}:${m[2]}.git`);
  return urls;
}

// Bitbucket Cloud `repo:push`: one delivery per `git push`, one `push.changes[]` entry per ref. No
// file lists at all, so changedPaths is always undefined.
function bitbucketPush(payload: JsonObject): ParsedWebhook {
  const what = "Bitbucket push payload";
  const repoURLs = bitbucketUrls(requiredString(payload, "repository.links.html.href", what));
  const changes = at(payload, "push.changes");
  if (!Array.isArray(changes)) throw new WebhookError(400, `${what}: field "push.changes" is missing`);
  const pushes: PushEvent[] = [];
  for (const [index, change] of changes.entries()) {
    const field = `push.changes[${index}]`;
    if (!isObject(change)) throw new WebhookError(400, `${what}: field "${field}" is not an object`);
    const state = isObject(change["new"])
      ? change["new"]
      : isObject(change["old"])
        ? change["old"]
        : undefined;
    if (!state) throw new WebhookError(400, `${what}: field "${field}" has neither "new" nor "old"`);
    const deleted = !isObject(change["new"]);
    const side = deleted ? "old" : "new";
    const type = requiredString(state, "type", `${what}: ${field}.${side}`);
    // Only git branches and tags move Applications (Mercurial's named_branch/bookmark are gone).
    if (type !== "branch" && type !== "tag" && type !== "annotated_tag") continue;
    const name = requiredString(state, "name", `${what}: ${field}.${side}`);
    const after = deleted ? ZERO_SHA : requiredSha(state, "target.hash", `${what}: ${field}.new`);
    pushes.push(
      event({
        provider: "bitbucket",
        repoURLs,
        ref: `refs/${type === "branch" ? "heads" : "tags"}/${name}`,
        after,
        changedPaths: undefined,
        deleted,
      }),
    );
  }
  if (pushes.length === 0) return { ignored: "Bitbucket push changed no branch or tag" };
  return { pushes };
}

/**
 * Reads a delivery already accepted by verifyWebhook. Throws WebhookError 400 for malformed JSON or
 * a missing/wrongly-typed field the decision needs; returns `{ ignored }` for events that are not
 * pushes.
 */
export function parsePushEvent(
  provider: WebhookProvider,
  eventName: string,
  body: Buffer | string,
): ParsedWebhook {
  switch (provider) {
    case "github":
      if (sameEvent(eventName, "ping")) return { ignored: "GitHub ping" };
      if (!sameEvent(eventName, "push")) return { ignored: `GitHub event "${eventName}" is not a push` };
      return { pushes: [githubPush(parseJsonObject(body, "GitHub push payload"))] };
    case "gitea":
      if (sameEvent(eventName, "push"))
        return { pushes: [giteaPush(parseJsonObject(body, "Gitea push payload"))] };
      if (sameEvent(eventName, "delete")) {
        return { pushes: [giteaDelete(parseJsonObject(body, "Gitea delete payload"))] };
      }
      return { ignored: `Gitea event "${eventName}" is not a push` };
    case "gitlab": {
      if (!sameEvent(eventName, "Push Hook", "Tag Push Hook", "System Hook")) {
        return { ignored: `GitLab event "${eventName}" is not a push` };
      }
      const payload = parseJsonObject(body, "GitLab push payload");
      // System hooks carry every kind of instance event under one header; object_kind tells.
      const kind = optionalString(payload, "object_kind", "GitLab push payload");
      if (sameEvent(eventName, "System Hook") && kind !== "push" && kind !== "tag_push") {
        return { ignored: `GitLab system hook "${kind ?? "unknown"}" is not a push` };
      }
      return { pushes: [gitlabPush(payload)] };
    }
    case "bitbucket":
      if (!sameEvent(eventName, "repo:push"))
        return { ignored: `Bitbucket event "${eventName}" is not a push` };
      return bitbucketPush(parseJsonObject(body, "Bitbucket push payload"));
  }
}
