// Git sources: repository URLs (and project sourceRepos patterns), `git ls-remote` output from the
// remote, and targetRevision (branch, tag, commit id or semver range) resolved against it.
import fc from "fast-check";
import { SourceError } from "../../src/engine/errors.js";
import { parseLsRemote } from "../../src/engine/source/lsremote.js";
import { planRevision, selectSemverTag } from "../../src/engine/source/revision.js";
import { canonicalRepoUrl, parseRepoUrl, tryCanonicalRepoPattern } from "../../src/engine/source/url.js";
import { hostileString, nastyWord, numberText } from "./arbitraries.js";
import { DEFAULT_LIMIT_MS, expect, type FuzzProperty, guarded, neverThrows, onlyError } from "./guard.js";

const scheme = fc.constantFrom("https", "http", "ssh", "git", "file", "oci", "HTTPS", "ext", "fd", "s3", "");
const host = fc.oneof(
  fc.constantFrom(
    "github.com",
    "GitHub.COM.",
    "xn--bcher-kva.example",
    "bücher.example",
    "127.0.0.1",
    "0x7f.1",
    "[::1]",
    "[::ffff:127.0.0.1]",
    "[::ffff:7f00:1]",
    "[fe80::1%25eth0]",
    "-oProxyCommand=x",
    "a..b",
    "",
    "localhost",
  ),
  fc.domain(),
  hostileString,
);
const segment = fc.oneof(
  fc.constantFrom(
    "..",
    ".",
    "%2e%2E",
    "%252e",
    ".%2e",
    "%2f",
    "%5c",
    "%00",
    "%C0%AE",
    "repo.git",
    "a b",
    "~user",
  ),
  fc.webSegment(),
  nastyWord,
);
const port = fc.oneof(numberText, fc.constantFrom("", "0", "22", "65536", "443"));

/** URLs assembled from parts, so most cases get past the scheme and into host and path checks. */
const repoUrl = fc.oneof(
  {
    weight: 3,
    arbitrary: fc
      .tuple(
        scheme,
        fc.option(fc.oneof(fc.constantFrom("git", "user:pass", "a@b"), hostileString)),
        host,
        fc.option(port),
        fc.array(segment, { maxLength: 6 }),
      )
      .map(
        ([s, user, h, p, path]) =>
          `${s}://${user === null ? "" : `${user}@`}${h}${p === null ? "" : `:${p}`}/${path.join("/")}`,
      ),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.option(fc.constantFrom("git", "-x", "a b")), host, fc.array(segment, { maxLength: 4 }))
      .map(([user, h, path]) => `${user === null ? "" : `${user}@`}${h}:${path.join("/")}`),
  },
  { weight: 1, arbitrary: fc.webUrl({ withQueryParameters: true, withFragments: true }) },
  { weight: 1, arbitrary: hostileString },
);

const urlProperty: FuzzProperty = {
  name: "source: Git repository URL",
  quickRuns: 500,
  target: "parseRepoUrl, canonicalRepoUrl (src/engine/source/url.ts)",
  limitMs: DEFAULT_LIMIT_MS,
  property: () =>
    fc.property(repoUrl, (raw) => {
      const allowed = onlyError(SourceError, /^spec\.source\.repoURL /, (e) =>
        (e as SourceError).reason === "UnsupportedURL" ? undefined : "reason is not UnsupportedURL",
      );
      const parsed = guarded(DEFAULT_LIMIT_MS, () => parseRepoUrl(raw), allowed);
      const identity = guarded(DEFAULT_LIMIT_MS, () => canonicalRepoUrl(raw), allowed);
      if (parsed) {
        expect(
          !/(^|\/)\.\.?(\/|$)/.test(parsed.fetchUrl.replace(/^[a-z]+:\/\//, "/")),
          `fetch URL ${parsed.fetchUrl} has a dot segment`,
        );
        expect(
          parsed.protocol === "ssh" || !/^[a-z]+:\/\/[^/]*@/.test(parsed.fetchUrl),
          `fetch URL ${parsed.fetchUrl} keeps user info`,
        );
      }
      // The identity is a fixed point: what keys a mirror is itself a URL naming the same mirror.
      if (identity !== undefined) {
        const again = guarded(DEFAULT_LIMIT_MS, () => canonicalRepoUrl(identity), allowed);
        expect(again === identity, `canonical "${identity}" canonicalizes to "${again}"`);
      }
      return true;
    }),
};

const patternProperty: FuzzProperty = {
  name: "source: project sourceRepos pattern",
  quickRuns: 500,
  target: "tryCanonicalRepoPattern (src/engine/source/url.ts)",
  limitMs: DEFAULT_LIMIT_MS,
  property: () =>
    fc.property(
      fc.tuple(repoUrl, fc.array(fc.constantFrom("*", "?", "**"), { maxLength: 3 }), fc.nat()),
      ([url, globs, at]) => {
        const i = at % (url.length + 1);
        const pattern = url.slice(0, i) + globs.join("") + url.slice(i);
        guarded(DEFAULT_LIMIT_MS, () => tryCanonicalRepoPattern(pattern), neverThrows);
        return true;
      },
    ),
};

const sha = fc.stringMatching(/^[0-9a-f]{40}$/);
const refName = fc.oneof(
  fc.constantFrom(
    "refs/heads/main",
    "refs/tags/v1.2.3",
    "refs/tags/1.0.0",
    "refs/tags/v2.0.0-rc.1",
    "HEAD",
    "refs/pull/1/head",
  ),
  fc.tuple(fc.constantFrom("refs/heads/", "refs/tags/", "refs/tags/v"), hostileString).map(([a, b]) => a + b),
  hostileString,
);
const lsRemoteLine = fc.oneof(
  fc.tuple(sha, refName, fc.boolean()).map(([id, ref, peeled]) => `${id}\t${ref}${peeled ? "^{}" : ""}`),
  refName.map((ref) => `ref: ${ref}\tHEAD`),
  hostileString,
);
const lsRemoteOutput = fc.array(lsRemoteLine, { maxLength: 30 }).map((lines) => lines.join("\n"));
const semverRange = fc.oneof(
  fc.constantFrom(
    "^1.2",
    "~1.2.3",
    ">=1.0.0-0 <2",
    "1.x || 2.x",
    "*",
    "1.2.3 - 2.3.4",
    "v1",
    ">=",
    "||",
    "^1.2.3-rc.1",
  ),
  fc
    .array(
      fc.oneof(fc.constantFrom("^", "~", ">=", "<", "=", "v", "x", "*", " ", "||", "-", "."), numberText),
      { maxLength: 12 },
    )
    .map((p) => p.join("")),
  fc.integer({ min: 1, max: 1_000 }).map((n) => "1 ".repeat(n) + "||".repeat(n)),
  hostileString,
);

const revisionProperty: FuzzProperty = {
  name: "source: ls-remote output and targetRevision",
  quickRuns: 100,
  target: "parseLsRemote (src/engine/source/lsremote.ts), planRevision (src/engine/source/revision.ts)",
  limitMs: DEFAULT_LIMIT_MS,
  property: () =>
    fc.property(lsRemoteOutput, fc.oneof(semverRange, refName, sha), (output, target) => {
      const remote = guarded(DEFAULT_LIMIT_MS, () => parseLsRemote(output), neverThrows);
      if (!remote) return true;
      const plan = guarded(
        DEFAULT_LIMIT_MS,
        () => planRevision(remote, target, "https://example.com/repo"),
        onlyError(SourceError, /spec\.source\.targetRevision "|: HEAD: /),
      );
      if (plan?.kind === "ref")
        expect(plan.ref === "HEAD" || plan.ref.startsWith("refs/"), `ref ${plan.ref}`);
      return true;
    }),
};

const semverProperty: FuzzProperty = {
  name: "source: semver range over tags",
  quickRuns: 500,
  target: "selectSemverTag (src/engine/source/revision.ts)",
  limitMs: DEFAULT_LIMIT_MS,
  property: () =>
    fc.property(fc.array(fc.oneof(refName, semverRange), { maxLength: 20 }), semverRange, (tags, range) => {
      const tag = guarded(DEFAULT_LIMIT_MS, () => selectSemverTag(tags, range), neverThrows);
      expect(tag === undefined || tags.includes(tag), `chose "${String(tag)}", which is not a tag`);
      return true;
    }),
};

export const SOURCE_PROPERTIES: readonly FuzzProperty[] = [
  urlProperty,
  patternProperty,
  revisionProperty,
  semverProperty,
];
export { semverRange };
