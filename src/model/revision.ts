// How messages show a revision: a commit id cut to 7 characters, anything else (a chart version from
// a Helm repository such as `1.10.0-rc.1`) whole. The UI has its own copy (src/ui/links.ts).

const COMMIT_ID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

export function shortRevision(revision: string): string {
  return COMMIT_ID.test(revision) ? revision.slice(0, 7) : revision;
}
