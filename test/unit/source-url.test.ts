import assert from "node:assert/strict";
import { test } from "node:test";
import { SourceError } from "../../src/engine/errors.js";
import { mirrorKey, normalizeRepoUrl, parseRepoUrl } from "../../src/engine/source/url.js";

test("normalization lowercases scheme and host and drops credentials, default port, / and .git", () => {
  const same = [
    "https://GitHub.com/Org/Repo",
    "HTTPS://github.com/Org/Repo.git",
    "https://github.com/Org/Repo/",
    "https://github.com:443/Org/Repo.git/",
    "https://user:s3cret@github.com/Org/Repo.git",
  ];
  for (const url of same) assert.equal(normalizeRepoUrl(url), "https://github.com/Org/Repo", url);
  // The path keeps its case: only scheme and host are case-insensitive in general.
  assert.notEqual(
    normalizeRepoUrl("https://github.com/org/repo"),
    normalizeRepoUrl("https://github.com/Org/Repo"),
  );
  assert.equal(normalizeRepoUrl("http://127.0.0.1:8080/a/b.git"), "http://127.0.0.1:8080/a/b");
});

test("ssh URLs: ssh:// and scp-like forms of one repository normalize alike; the login is kept for git", () => {
  assert.equal(normalizeRepoUrl("git@GitHub.com:org/repo.git"), "ssh://github.com/org/repo");
  assert.equal(normalizeRepoUrl("ssh://git@github.com:22/org/repo"), "ssh://github.com/org/repo");
  assert.equal(parseRepoUrl("git@github.com:org/repo.git").fetchUrl, "git@github.com:org/repo.git");
  assert.equal(parseRepoUrl("ssh://git@host:2222/x.git").fetchUrl, "ssh://git@host:2222/x.git");
  assert.equal(parseRepoUrl("ssh://git@host:2222/x.git").normalized, "ssh://host:2222/x");
  assert.equal(parseRepoUrl("git@github.com:org/repo.git").protocol, "ssh");
});

test("git:// and file:// are accepted; file paths are normalized", () => {
  assert.equal(normalizeRepoUrl("git://Example.org/project.git"), "git://example.org/project");
  const file = parseRepoUrl("file:///srv/git/../git/app.git/");
  assert.equal(file.protocol, "file");
  assert.equal(file.normalized, "file:///srv/git/app");
  assert.equal(file.fetchUrl, "file:///srv/git/app.git/");
});

test("a password in the URL never reaches the URL given to git", () => {
  const parsed = parseRepoUrl("https://alice:hunter2@git.example.com/app.git");
  assert.equal(parsed.fetchUrl, "https://git.example.com/app.git");
  assert.equal(parseRepoUrl("ssh://git:hunter2@host/app.git").fetchUrl, "ssh://git@host/app.git");
});

test("unsupported URLs are refused with UnsupportedURL and a redacted message", () => {
  const refused = [
    "ext::sh -c touch% /tmp/pwned",
    "fd::17",
    "/srv/git/app.git",
    "./relative/repo",
    "../repo",
    "ftp://example.com/repo.git",
    "-oProxyCommand=evil:repo",
    "ssh://-oProxyCommand=evil/repo",
    "https://",
    "https://host",
    "file://otherhost/srv/repo.git",
    "",
    "https://host/re po.git",
  ];
  for (const url of refused) {
    assert.throws(
      () => parseRepoUrl(url),
      (error: unknown) => error instanceof SourceError && error.reason === "UnsupportedURL",
      url,
    );
  }
  assert.throws(
    () => parseRepoUrl("ftp://bob:pw123@example.com/repo.git"),
    (error: Error) => error.message.includes("spec.source.repoURL") && !error.message.includes("pw123"),
  );
});

test("the mirror key is 16 hex characters and equal for equivalent URLs", () => {
  const a = mirrorKey(normalizeRepoUrl("https://github.com/org/repo.git"));
  assert.match(a, /^[0-9a-f]{16}$/);
  assert.equal(a, mirrorKey(normalizeRepoUrl("https://GITHUB.com/org/repo/")));
  assert.notEqual(a, mirrorKey(normalizeRepoUrl("https://github.com/org/other")));
});
