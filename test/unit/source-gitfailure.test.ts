import assert from "node:assert/strict";
import { test } from "node:test";
import { SourceError } from "../../src/engine/errors.js";
import { GitCommandError } from "../../src/engine/source/gitcli.js";
import { classifyGitFailure } from "../../src/engine/source/gitfailure.js";

// stderr texts as git 2.39 prints them (captured from the local Git server and real ssh).
const cases: [string, string][] = [
  ["fatal: repository 'http://127.0.0.1:1/nope.git/' not found\n", "RepositoryNotFound"],
  [
    "fatal: '/tmp/nope.git' does not appear to be a git repository\nfatal: Could not read from remote repository.\n",
    "RepositoryNotFound",
  ],
  [
    "remote: authentication required\nfatal: Authentication failed for 'http://h/r.git/'\n",
    "AuthenticationFailed",
  ],
  [
    "error: unable to read askpass response from '/bin/false'\nfatal: could not read Username for 'http://h': terminal prompts disabled\n",
    "AuthenticationFailed",
  ],
  [
    "git@h: Permission denied (publickey).\nfatal: Could not read from remote repository.\n",
    "AuthenticationFailed",
  ],
  ["Host key verification failed.\nfatal: Could not read from remote repository.\n", "AuthenticationFailed"],
  [
    "fatal: unable to access 'http://h/r.git/': The requested URL returned error: 503\n",
    "RepositoryUnreachable",
  ],
  [
    "fatal: unable to access 'http://h:1/x.git/': Failed to connect to h port 1: Couldn't connect\n",
    "RepositoryUnreachable",
  ],
  [
    "ssh: connect to host h port 22: Connection refused\r\nfatal: Could not read from remote repository.\n",
    "RepositoryUnreachable",
  ],
  ["fatal: something nobody expected\n", "GitCommandFailed"],
];

test("git's stderr maps to stable reasons", () => {
  for (const [stderr, reason] of cases) {
    const error = classifyGitFailure(
      new GitCommandError("git x failed", stderr, 128, false),
      "http://h/r.git",
      "fetching",
    );
    assert.ok(error instanceof SourceError);
    assert.equal(error.reason, reason, stderr);
    assert.match(error.message, /^repository "http:\/\/h\/r\.git": fetching/);
  }
});

test("a timeout is RepositoryUnreachable whatever stderr says", () => {
  const error = classifyGitFailure(
    new GitCommandError("git ls-remote timed out after 50 ms", "", null, true),
    "https://h/r",
    "listing refs",
  );
  assert.equal(error.reason, "RepositoryUnreachable");
  assert.match(error.message, /listing refs timed out/);
});

test("credentials in the URL or in git's output never reach the message", () => {
  const stderr = "fatal: unable to access 'https://bob:tok3n@h/r.git/': Could not resolve host: h\n";
  const error = classifyGitFailure(
    new GitCommandError("x", stderr, 128, false),
    "https://bob:tok3n@h/r.git",
    "fetching",
  );
  assert.equal(error.reason, "RepositoryUnreachable");
  assert.doesNotMatch(error.message, /tok3n/);
  assert.doesNotMatch(String(error.stack), /tok3n/);
});

test("errors that are not git's become GitCommandFailed", () => {
  assert.equal(
    classifyGitFailure(new Error("spawn git ENOENT"), "https://h/r", "fetching").reason,
    "GitCommandFailed",
  );
});
