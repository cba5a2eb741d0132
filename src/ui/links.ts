// Links built from user-provided text (repository URLs, SSO login URLs): only http(s) ever becomes
// an href, so `javascript:`, `data:` and friends stay text.

/** The URL if it parses and is http: or https:, else undefined. Relative paths resolve against `base`. */
export function safeHttpUrl(text: string | undefined, base?: string): string | undefined {
  if (!text) return undefined;
  let url: URL;
  try {
    url = base ? new URL(text, base) : new URL(text);
  } catch {
    return undefined;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return undefined;
  if (url.username || url.password) return undefined; // never echo credentials into a link
  return url.href;
}

/** The web page of a repository, from its clone URL (https, http, ssh `git@host:o/r.git`, ssh://). */
export function repositoryWebUrl(repoURL: string): string | undefined {
  let text = repoURL.trim();
  const scp = /^[\w.-]+@([\w.-]+):(?!\/\/)(.+)$/.exec(text); // git@github.com:owner/repo.git
  if (scp) text = `https://${scp[1]}/${scp[2]}`;
  else if (/^(ssh|git\+ssh):\/\//.test(text)) {
    try {
      const u = new URL(text);
      text = `https://${u.hostname}${u.pathname}`;
    } catch {
      return undefined;
    }
  }
  const safe = safeHttpUrl(text);
  if (!safe) return undefined;
  const url = new URL(safe);
  url.pathname = url.pathname.replace(/\/+$/, "").replace(/\.git$/, "");
  url.search = "";
  url.hash = "";
  return url.href;
}

/**
 * A revision as lists show it: a commit id cut to 7 characters, anything else (a chart version from
 * a Helm repository, `1.10.0-rc.1`) whole — as the CLI does (src/cli/app/format.ts).
 */
export function shortRevision(revision: string): string {
  return /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/.test(revision) ? revision.slice(0, 7) : revision;
}

/** A link to one commit on the repository's forge (GitHub, GitLab, Bitbucket, Gitea/Forgejo, others). */
export function commitUrl(repoURL: string, sha: string): string | undefined {
  if (!/^[0-9a-f]{7,64}$/i.test(sha)) return undefined;
  const web = repositoryWebUrl(repoURL);
  if (!web) return undefined;
  const url = new URL(web);
  const host = url.hostname.toLowerCase();
  const base = url.pathname;
  if (host === "bitbucket.org") url.pathname = `${base}/commits/${sha}`;
  else if (host.includes("gitlab")) url.pathname = `${base}/-/commit/${sha}`;
  else url.pathname = `${base}/commit/${sha}`; // GitHub, Gitea, Forgejo, Gogs
  return url.href;
}
