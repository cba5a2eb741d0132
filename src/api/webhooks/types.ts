// Values that flow through webhook handling: verify (who sent it, was it signed) → parse (which repo
// and ref moved, which files changed) → match (which Applications to refresh). Plain data, shared
// with the HTTP shell that comes later.

/** Forges Tether understands. Forgejo is a Gitea fork with the same payloads and is reported as "gitea". */
export type WebhookProvider = "github" | "gitlab" | "gitea" | "bitbucket";

/** HTTP headers as Node gives them (`IncomingHttpHeaders`); names are matched case-insensitively. */
export type WebhookHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

/** One secret per provider; an absent or empty secret means "this provider's deliveries are not verified". */
export interface WebhookSecrets {
  github?: string;
  gitlab?: string;
  /** Used for Gitea and Forgejo alike. */
  gitea?: string;
  bitbucket?: string;
}

export interface VerifiedWebhook {
  provider: WebhookProvider;
  /** The event header's value: `push`, `Push Hook`, `repo:push`, `ping`… */
  eventName: string;
  /** The delivery id header, for logs, when the provider sends one. */
  deliveryId?: string;
  /**
   * True when a secret is configured for the provider and the signature/token matched. False when no
   * secret is configured: the delivery is accepted but anyone could have sent it (see verify.ts).
   */
  verified: boolean;
}

/** One ref that moved in one repository. */
export interface PushEvent {
  provider: WebhookProvider;
  /** Every URL the payload gives for the repository (https clone, ssh, git://, web page). */
  repoURLs: string[];
  /** Full ref name: `refs/heads/main`, `refs/tags/v1.2.0`. */
  ref: string;
  /** Set when `ref` is under refs/heads/. */
  branch?: string;
  /** Set when `ref` is under refs/tags/. */
  tag?: string;
  /** The commit the ref now names; all zeros when the ref was deleted. */
  after: string;
  /** The repository's default branch, when the payload says. */
  defaultBranch?: string;
  /**
   * Repository-root-relative paths touched by the push, or undefined when the payload cannot say
   * for sure (no file lists, truncated lists, force push, new or deleted ref): then every path
   * counts as changed.
   */
  changedPaths: string[] | undefined;
  /** The ref was deleted by this push. */
  deleted: boolean;
}

export type ParsedWebhook =
  /**
   * Usually one entry. Bitbucket Cloud reports every ref of one `git push` in a single delivery
   * (`push.changes[]`), so the result is a list rather than a single event.
   */
  | { pushes: PushEvent[] }
  /** Not a push (ping, issues, merge requests…): answer 2xx and do nothing. */
  | { ignored: string };

export const ZERO_SHA = "0000000000000000000000000000000000000000";
