import assert from "node:assert/strict";
import { test } from "node:test";
import { SourceError } from "../../src/engine/errors.js";
import {
  canonicalRepoPattern,
  canonicalRepoUrl,
  mirrorKey,
  normalizeRepoUrl,
  parseRepoUrl,
  repoUrlProblem,
  tryCanonicalRepoPattern,
  tryCanonicalRepoUrl,
} from "../../src/engine/source/url.js";
import { globMatch } from "../../src/engine/policy/glob.js";
import { repoPermitted } from "../../src/engine/policy/project.js";
import { REPO_URL_VERDICTS } from "../helpers/repo-url-table.js";

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
  // An absolute scp-like path (from the server's root) reaches git as written, not from the home.
  assert.equal(parseRepoUrl("git@host:/srv/git/x.git").fetchUrl, "git@host:/srv/git/x.git");
  assert.equal(normalizeRepoUrl("git@host:/srv/git/x.git"), "ssh://host/srv/git/x");
});

test("git:// and file:// are accepted; a file path with dot segments is refused like any other", () => {
  assert.equal(normalizeRepoUrl("git://Example.org/project.git"), "git://example.org/project");
  const file = parseRepoUrl("file:///srv/git/app.git/");
  assert.equal(file.protocol, "file");
  assert.equal(file.normalized, "file:///srv/git/app");
  assert.equal(file.fetchUrl, "file:///srv/git/app.git");
  assert.throws(() => parseRepoUrl("file:///srv/git/../git/app.git/"), /'\.' or '\.\.' segment/);
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

// Issue 17: `sourceRepos: ["http://host/probe*"]` admitted each of these and git fetched demo.git.
const DOT_SEGMENT_VARIANTS = [
  "http://host/probe/../demo.git",
  "http://host/probe.git/../demo.git",
  "http://host/probe/%2e%2e/demo.git",
  "http://host/probe/%2E%2E/demo.git",
  "http://host/probe/%2e%2E/demo.git",
  "http://host/probe/.%2e/demo.git",
  "http://host/probe/%2e./demo.git",
  "http://host/probe/%252e%252e/demo.git",
  "http://host/probe/%25252e%25252e/demo.git",
  "http://host/probe/..%2fdemo.git",
  "http://host/probe/..%2Fdemo.git",
  "http://host/probe%2f..%2fdemo.git",
  "http://host/probe\\..\\demo.git",
  "http://host/probe/..\\demo.git",
  "http://host/probe/%5c..%5cdemo.git",
  "http://host/probe/./../demo.git",
  "http://host/probe/.",
  "http://host/probe/..",
  "http://host/probe/%2e",
  "http://host//probe//..//demo.git",
  "https://host:443/probe/../demo",
  "ssh://git@host/probe/../demo.git",
  "git@host:probe/../demo.git",
  "git@host:../demo.git",
  "git://host/probe/%2e%2e/demo",
  "file:///srv/probe/../demo.git",
  "oci://registry/probe/../charts",
  "http://host/probe/%c0%ae%c0%ae/demo.git",
];

test("dot segments in every spelling are refused by the source stage and by canonicalization", () => {
  for (const url of DOT_SEGMENT_VARIANTS) {
    assert.throws(
      () => parseRepoUrl(url),
      (error: unknown) => error instanceof SourceError && error.reason === "UnsupportedURL",
      url,
    );
    assert.throws(() => canonicalRepoUrl(url), SourceError, url);
    assert.equal(tryCanonicalRepoUrl(url), undefined, url);
    assert.ok(repoUrlProblem(url), url);
  }
});

test("one canonical form: case of scheme/host, default ports, //, .git and /, user info, IDN, IP forms", () => {
  const groups: [string, string[]][] = [
    [
      "https://github.com/Org/Repo",
      [
        "HTTPS://GITHUB.COM/Org/Repo",
        "https://github.com:443/Org/Repo.git/",
        "https://u:p@github.com//Org//Repo.GIT",
        "https://github.com./Org/Repo",
        "https://github.com/Org/Rep%6F",
      ],
    ],
    ["http://host/a", ["http://host:80/a", "HTTP://Host/a/", "http://host:0080/a.git"]],
    ["https://xn--bcher-kva.example/r", ["https://bücher.example/r", "https://BÜCHER.example/r.git"]],
    ["http://[::1]:8080/a", ["http://[0:0::1]:8080/a", "http://[0000:0000::0001]:8080/a.git"]],
    ["http://127.0.0.1/a", ["http://0x7f.1/a", "http://2130706433/a", "http://127.1/a"]],
    [
      "ssh://github.com/org/repo",
      [
        "git@GitHub.com:org/repo.git",
        "ssh://git@github.com:22/org/repo",
        "github.com:org/repo",
        "ssh://github.com/org//repo/",
      ],
    ],
    ["https://host/caf%C3%A9", ["https://host/café", "https://host/caf%c3%a9"]],
    ["oci://ghcr.io/org/charts", ["OCI://GHCR.io:443/org/charts/"]],
  ];
  for (const [canonical, spellings] of groups) {
    assert.equal(canonicalRepoUrl(canonical), canonical, canonical);
    for (const url of spellings) assert.equal(canonicalRepoUrl(url), canonical, url);
  }
});

test("what git fetches is rebuilt from the checked parts", () => {
  assert.equal(
    parseRepoUrl("https://u:p@GitHub.com:443//Org//Repo.git/").fetchUrl,
    "https://github.com/Org/Repo.git",
  );
  assert.equal(parseRepoUrl("http://0x7f.1:8080/a%62c.git").fetchUrl, "http://127.0.0.1:8080/abc.git");
  assert.equal(parseRepoUrl("https://bücher.example/r").fetchUrl, "https://xn--bcher-kva.example/r");
  assert.equal(parseRepoUrl("git@host:org//repo.git").fetchUrl, "git@host:org/repo.git");
});

test("whitespace, controls, invisible characters, query, fragment, bad ports and huge URLs are refused", () => {
  const refused = [
    " https://host/a",
    "https://host/a ",
    "https://host/a\tb",
    "https://host/a\nb",
    "https://host/a\u0000",
    "https://host/a\u007f",
    "https://host/a\u0085",
    "https://host/a\u00a0b",
    "https://host/a\u200bb",
    "https://host/a\u202eb",
    "https://host/a\ufeff",
    "https://host/a%20b",
    "https://host/a%00",
    "https://host/a%0a",
    "https://host/a%zz",
    "https://host/a%e9",
    "https://host/a?x=1",
    "https://host/a#frag",
    "https://host:0/a",
    "https://host:65536/a",
    "https://host:port/a",
    "https://ho st/a",
    "https://host..evil/a",
    "https://-host/a",
    "https://host\\@evil/a",
    "https://[zz::1]/a",
    "ssh://-oProxyCommand=x@host/a",
    "-u@host:a",
    `https://host/${"a".repeat(2100)}`,
  ];
  for (const url of refused) {
    assert.throws(() => parseRepoUrl(url), SourceError, JSON.stringify(url));
    assert.equal(tryCanonicalRepoUrl(url), undefined, JSON.stringify(url));
  }
  // The message shows an invisible character instead of hiding it, and is cut.
  assert.throws(() => parseRepoUrl("https://host/a\u202eb"), /\\u\{202e\}/);
  assert.throws(
    () => parseRepoUrl(`https://host/${"a".repeat(2100)}`),
    (e: Error) => e.message.length < 600,
  );
  assert.equal(repoUrlProblem(42), "the URL must be a string");
  assert.equal(tryCanonicalRepoUrl(undefined), undefined);
});

test("Helm repositories may stop at the host; Git URLs may not; oci:// is never a Git URL", () => {
  assert.equal(canonicalRepoUrl("https://Charts.Jetstack.io/"), "https://charts.jetstack.io");
  assert.equal(repoUrlProblem("https://charts.jetstack.io"), undefined);
  assert.match(repoUrlProblem("https://charts.jetstack.io", "git") ?? "", /path is missing/);
  assert.match(repoUrlProblem("oci://ghcr.io/org/charts", "git") ?? "", /not a Git repository/);
  assert.throws(() => parseRepoUrl("oci://ghcr.io/org/charts"), SourceError);
});

test("sourceRepos patterns are brought to the same form; glob characters survive", () => {
  const cases: [string, string][] = [
    ["*", "*"],
    ["http://host/probe*", "http://host/probe*"],
    ["HTTPS://GitHub.com:443/org/*.git", "https://github.com/org/*"],
    ["https://u@github.com//org//*/", "https://github.com/org/*"],
    ["git@GitHub.com:org/*", "ssh://github.com/org/*"],
    ["https://*.example.com/*", "https://*.example.com/*"],
    ["https://github.com/org/repo?", "https://github.com/org/repo?"],
    ["https://GitHub.com/Org/Repo.git", "https://github.com/Org/Repo"],
  ];
  for (const [pattern, canonical] of cases) assert.equal(canonicalRepoPattern(pattern), canonical, pattern);
});

test("the shared URL table: repoUrlProblem gives each URL its verdict (the CRD rule is checked on a real apiserver)", () => {
  for (const [url, accepted] of REPO_URL_VERDICTS) {
    assert.equal(repoUrlProblem(url) === undefined, accepted, `${url}: ${repoUrlProblem(url) ?? "accepted"}`);
  }
});

test("scp-like absolute paths and bracketed IPv6 hosts: accepted, fetched as written, one identity with ssh://", () => {
  assert.equal(parseRepoUrl("git@host:/srv/x.git").fetchUrl, "git@host:/srv/x.git");
  assert.equal(parseRepoUrl("git@[0:0::1]:org/x.git").fetchUrl, "git@[::1]:org/x.git");
  assert.equal(canonicalRepoUrl("git@[::1]:org/x.git"), canonicalRepoUrl("ssh://git@[::1]/org/x"));
  assert.equal(canonicalRepoUrl("git@host:/srv/x.git"), canonicalRepoUrl("ssh://host/srv/x"));
});

test("sourceRepos patterns get the URL's canonical form: IDN, %XX, non-ASCII, IPv4/IPv6, held globs", () => {
  const cases: [pattern: string, url: string][] = [
    ["https://bücher.example/*", "https://BÜCHER.example/org/x.git"],
    ["https://xn--bcher-kva.example/*", "https://bücher.example/org/x.git"],
    ["https://*.bücher.example/*", "https://git.bücher.example/org/x.git"],
    ["https://host/équipe/*", "https://host/%C3%A9quipe/x.git"],
    ["https://host/%c3%a9quipe/*", "https://host/équipe/x.git"],
    ["https://host/caf%41*", "https://host/cafA.git"],
    ["https://[0:0::1]/org/*", "https://[::1]/org/x.git"],
    ["git@[::1]:org/*", "ssh://git@[0::1]/org/x"],
    ["https://0x7f.1/*", "https://127.0.0.1/x.git"],
    ["https://10.0.*/x", "https://10.0.0.1/x.git"],
    ["git@host:/srv/*", "ssh://host/srv/x.git"],
    ["https://host:443/org/x?", "https://host/org/x1.git"],
  ];
  for (const [pattern, url] of cases) {
    assert.ok(globMatch(canonicalRepoPattern(pattern), canonicalRepoUrl(url)), `${pattern} ~ ${url}`);
  }
  // A glob inside a Unicode label, a pattern holding the placeholder symbols, a dot segment: unreadable.
  for (const pattern of [
    "https://bü*.example/x",
    "https://h/\u2603*",
    "https://h/%E2%98%83*",
    "https://h/*/../x",
  ]) {
    assert.equal(tryCanonicalRepoPattern(pattern), undefined, pattern);
  }
});

test("a deny written in any spelling of the URL refuses it; an unreadable deny refuses the project", () => {
  const denies: [deny: string, url: string][] = [
    ["!https://bücher.example/*", "https://xn--bcher-kva.example/org/x.git"],
    ["!https://host/équipe/*", "https://host/%C3%A9quipe/x.git"],
    ["!https://host/%C3%A9quipe/*", "https://host/équipe/x.git"],
    ["!https://host/caf%41/*", "https://host/cafA/x.git"],
    ["!https://[0:0::1]/*", "https://[::1]/x.git"],
    ["!git@[::1]:secret*", "ssh://[::1]/secret.git"],
  ];
  for (const [deny, url] of denies) {
    assert.deepEqual(repoPermitted(["*", deny], url), { permitted: false }, `${deny} vs ${url}`);
    assert.deepEqual(
      repoPermitted([deny.slice(1)], url),
      { permitted: true },
      `${deny.slice(1)} allows ${url}`,
    );
  }
});

test("canonicalization of a URL or pattern is memoized and gives the same answer twice", () => {
  for (let i = 0; i < 3; i++) {
    assert.equal(canonicalRepoUrl("HTTPS://Bücher.example:443/x.git/"), "https://xn--bcher-kva.example/x");
    assert.equal(canonicalRepoPattern("https://Bücher.example/*"), "https://xn--bcher-kva.example/*");
    assert.match(repoUrlProblem("http://host/a/../b") ?? "", /segment/);
  }
});

test("an IPv4-mapped IPv6 host is the IPv4 host itself (issue 17: a deny of 127.0.0.1 was passed)", () => {
  for (const host of ["[::ffff:127.0.0.1]", "[::ffff:7f00:1]", "[0:0:0:0:0:ffff:127.0.0.1]"]) {
    assert.equal(normalizeRepoUrl(`http://${host}:8080/s9.git`), "http://127.0.0.1:8080/s9", host);
  }
  assert.equal(normalizeRepoUrl("http://[::1]:8080/s9.git"), "http://[::1]:8080/s9");
});
