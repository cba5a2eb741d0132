// Turning a failed git call into a SourceError with a stable reason. Pure: it reads git's stderr,
// whose wording is stable across the git versions Tether supports (checked by the integration tests).
import { SourceError } from "../errors.js";
import { GitCommandError, redactUrl } from "./gitcli.js";
import { errorMessage } from "../../lib/errormessage.js";

const RULES: readonly {
  readonly reason: SourceError["reason"];
  readonly pattern: RegExp;
  readonly why: string;
}[] = [
  {
    reason: "AuthenticationFailed",
    pattern:
      /Authentication failed|could not read (Username|Password)|returned error: (401|403)|Permission denied \(|Host key verification failed|terminal prompts disabled/i,
    why: "authentication failed (check the repository credentials Secret)",
  },
  {
    reason: "RepositoryNotFound",
    pattern:
      /repository '.*' not found|does not appear to be a git repository|returned error: 404|Repository not found|no such repository/i,
    why: "repository not found",
  },
  {
    reason: "RepositoryUnreachable",
    pattern:
      /Failed to connect|Could not resolve host|Connection refused|Connection timed out|Connection reset|returned error: 5\d\d|ssh: connect to host|Network is unreachable|early EOF|the remote end hung up/i,
    why: "the Git server is unreachable",
  },
];

/** The last meaningful line of git's stderr, already redacted by gitcli. */
function lastLine(stderr: string): string {
  const lines = stderr
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== "" && !/^(Please make sure|and the repository exists)/.test(l));
  return lines.slice(-2).join(" / ");
}

/**
 * `action` says what Tether was doing ("listing refs", "fetching"); `repo` is the URL as the user
 * wrote it. Both end up in the message only after redactUrl.
 */
export function classifyGitFailure(error: unknown, repo: string, action: string): SourceError {
  const where = `repository "${redactUrl(repo)}"`;
  if (!(error instanceof GitCommandError)) {
    const text = errorMessage(error);
    return new SourceError("GitCommandFailed", `${where}: ${action} failed: ${redactUrl(text)}`);
  }
  // The cause is kept for debugging: gitcli has already redacted its message and stderr.
  const cause = { cause: error };
  if (error.timedOut) {
    const message = `${where}: ${action} timed out (${redactUrl(error.message)})`;
    return new SourceError("RepositoryUnreachable", message, cause);
  }
  const detail = redactUrl(lastLine(error.stderr));
  for (const rule of RULES) {
    if (rule.pattern.test(error.stderr)) {
      return new SourceError(rule.reason, `${where}: ${action}: ${rule.why}: ${detail}`, cause);
    }
  }
  const message = `${where}: ${action} failed: ${detail || redactUrl(error.message)}`;
  return new SourceError("GitCommandFailed", message, cause);
}
