// The source stage against the real git CLI and the real local smart-HTTP Git server.
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { SourceError } from "../../src/engine/errors.js";
import { git } from "../../src/engine/source/gitcli.js";
import type { GitRunner } from "../../src/engine/source/index.js";
import { createRepositoryCache } from "../../src/engine/source/index.js";
import { systemGit } from "../../src/engine/source/mirror.js";
import { GitWorkspace } from "../../src/localcluster/gitrepo.js";
import type { GitServer } from "../../src/localcluster/gitserver.js";
import { startGitServer } from "../../src/localcluster/gitserver.js";

let server: GitServer;
let tmp: string;
const IDENTITY = { GIT_COMMITTER_NAME: "Rel Eng", GIT_COMMITTER_EMAIL: "rel@example.com" };

before(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), "tether-source-resolve-"));
  await fs.mkdir(path.join(tmp, "git"));
  server = await startGitServer({ root: path.join(tmp, "git") });
});
after(async () => {
  await server.close();
  await fs.rm(tmp, { recursive: true, force: true });
});

let repoCount = 0;
async function newRepo() {
  const url = await server.createRepository(`repo${++repoCount}`);
  const ws = await GitWorkspace.clone(url);
  const cache = createRepositoryCache({ cacheDir: path.join(tmp, `cache${repoCount}`), timeoutMs: 20_000 });
  return { url, ws, cache };
}

const rejectsWith = (promise: Promise<unknown>, reason: string, text?: RegExp) =>
  assert.rejects(promise, (e: unknown) => {
    assert.ok(e instanceof SourceError, String(e));
    assert.equal(e.reason, reason, e.message);
    if (text) assert.match(e.message, text);
    return true;
  });

const mirrorRef = async (dir: string, ref: string) =>
  (await git(["rev-parse", "--verify", "--quiet", ref], { cwd: dir }).catch(() => "")).trim();

test("branches, HEAD, commit ids, tags (annotated peeled) and semver ranges resolve to commits", async () => {
  const { url, ws, cache } = await newRepo();
  const c1 = await ws.commitAndPush({ "a.yaml": "v: 1\n" }, "first");
  await ws.tag("v1.0.0");
  await ws.write({ "a.yaml": "v: 2\n" });
  const c2 = await ws.commit("second\n\nwith a body", { name: "Ada Lovelace", email: "ada@example.com" });
  await ws.push();
  await git(["tag", "-a", "v1.2.0", "-m", "Release 1.2.0"], { cwd: ws.dir, env: IDENTITY });
  await git(["tag", "-a", "1.2.5", "-m", "Release 1.2.5", c1], { cwd: ws.dir, env: IDENTITY });
  await git(["push", "--quiet", "origin", "--tags"], { cwd: ws.dir });
  const c3 = await ws.commitAndPush({ "b.yaml": "x\n" }, "on a branch", "feature/x");

  const main = await cache.resolve(url, "main");
  assert.equal(main.commit, c2);
  assert.equal(main.ref, "refs/heads/main");
  assert.equal(main.author, "Ada Lovelace <ada@example.com>");
  assert.equal(main.message, "second\n\nwith a body");
  const seconds = (await git(["show", "-s", "--format=%at", c2], { cwd: ws.dir })).trim();
  assert.equal(main.date, new Date(Number(seconds) * 1000).toISOString());

  for (const rev of ["HEAD", "", undefined])
    assert.equal((await cache.resolve(url, rev)).commit, c2, String(rev));
  assert.equal((await cache.resolve(url, "feature/x")).commit, c3);
  assert.equal((await cache.resolve(url, c1)).commit, c1, "full SHA");
  const short = await cache.resolve(url, c3.slice(0, 7));
  assert.equal(short.commit, c3, "short SHA, found in the mirror");
  assert.equal(short.ref, c3);
  assert.deepEqual(
    { commit: (await cache.resolve(url, "v1.0.0")).commit, ref: (await cache.resolve(url, "v1.0.0")).ref },
    { commit: c1, ref: "refs/tags/v1.0.0" },
  );
  const annotated = await cache.resolve(url, "v1.2.0");
  assert.equal(annotated.commit, c2, "annotated tag peeled to its commit");
  assert.equal(annotated.message, "second\n\nwith a body", "metadata is the commit's, not the tag's");
  const range = async (r: string) => {
    const { ref, commit } = await cache.resolve(url, r);
    return { ref, commit };
  };
  assert.deepEqual(
    await range("1.2.*"),
    { ref: "refs/tags/1.2.5", commit: c1 },
    "v prefix optional, highest wins",
  );
  assert.deepEqual(await range(">=1.0.0 <1.2.5"), { ref: "refs/tags/v1.2.0", commit: c2 });
  assert.deepEqual(await range("^1.0"), { ref: "refs/tags/1.2.5", commit: c1 });
  assert.deepEqual(await range("1.2.0"), { ref: "refs/tags/v1.2.0", commit: c2 }, "plain version = that tag");

  await rejectsWith(
    cache.resolve(url, "1.x.y"),
    "InvalidRevision",
    /spec\.source\.targetRevision "1\.x\.y": not a valid semver range/,
  );
  await rejectsWith(cache.resolve(url, "^2.0.0"), "RevisionNotFound", /no tag satisfies/);
  await rejectsWith(cache.resolve(url, "0000000"), "RevisionNotFound", /commit 0000000/);
  await rejectsWith(cache.resolve(url, "no-such-branch"), "RevisionNotFound", /no branch or tag/);
  await ws.remove();
});

test("a second resolve with nothing moved does ls-remote only; a push makes the next one fetch", async () => {
  const { url, ws, cache } = await newRepo();
  const c1 = await ws.commitAndPush({ "a.yaml": "1\n" }, "one");
  const first = await cache.resolve(url, "main");
  assert.equal(first.fetched, true);
  assert.deepEqual([cache.stats.lsRemotes, cache.stats.fetches], [1, 1]);

  const requestsBefore = server.requestCount;
  const second = await cache.resolve(url, "main");
  assert.equal(second.commit, c1);
  assert.equal(second.fetched, false);
  assert.deepEqual([cache.stats.lsRemotes, cache.stats.fetches], [2, 1], "no fetch the second time");
  // Protocol v2 ls-remote is two HTTP requests (capabilities, ls-refs); a fetch would add more.
  assert.equal(server.requestCount - requestsBefore, 2);

  const c2 = await ws.commitAndPush({ "a.yaml": "2\n" }, "two");
  const third = await cache.resolve(url, "main");
  assert.deepEqual([third.commit, third.fetched, cache.stats.fetches], [c2, true, 2]);
  await ws.remove();
});

test("applications sharing a repository share one mirror and never fetch it at the same time", async () => {
  const { url, ws } = await newRepo();
  const c1 = await ws.commitAndPush({ "a.yaml": "1\n" }, "one");
  let running = 0;
  let maxRunning = 0;
  const watching: GitRunner = {
    async text(args, options) {
      const networked = args[0] === "fetch" || args[0] === "ls-remote";
      if (networked) maxRunning = Math.max(maxRunning, ++running);
      try {
        return await systemGit.text(args, options);
      } finally {
        if (networked) running -= 1;
      }
    },
    buffer: (args, options) => systemGit.buffer(args, options),
  };
  const cacheDir = path.join(tmp, "shared-cache");
  const cache = createRepositoryCache({ cacheDir, timeoutMs: 20_000, git: watching });
  // Five applications, spelling the same repository differently.
  const spellings = [
    url,
    `${url}/`,
    url.replace(/^http:/, "HTTP:"),
    url.replace("//", "//someone@"),
    `${url}//`,
  ];
  const results = await Promise.all(spellings.map((u) => cache.resolve(u, "main")));
  assert.ok(results.every((r) => r.commit === c1));
  assert.equal(maxRunning, 1, "the per-mirror lock serialized every network call");
  assert.equal(cache.stats.fetches, 1, "one fetch served all five");
  assert.equal(results.filter((r) => r.fetched).length, 1);
  assert.equal(new Set(spellings.map((u) => cache.mirrorDir(u))).size, 1);
  assert.deepEqual((await fs.readdir(path.join(cacheDir, "repos"))).length, 1);
  await ws.remove();
});

test("after a force-push to an older commit, resolve returns that commit and the mirror matches", async () => {
  const { url, ws, cache } = await newRepo();
  const old = await ws.commitAndPush({ "a.yaml": "1\n" }, "old");
  const newer = await ws.commitAndPush({ "a.yaml": "2\n" }, "newer");
  assert.equal((await cache.resolve(url, "main")).commit, newer);
  await ws.resetHard(old);
  await ws.push("main", { force: true });
  const after = await cache.resolve(url, "main");
  assert.equal(after.commit, old);
  assert.equal(after.fetched, true);
  assert.equal(await mirrorRef(cache.mirrorDir(url), "refs/heads/main"), old);
  await ws.remove();
});

test("a deleted branch or tag is RevisionNotFound and is pruned from the mirror", async () => {
  const { url, ws, cache } = await newRepo();
  await ws.commitAndPush({ "a.yaml": "1\n" }, "main");
  const feature = await ws.commitAndPush({ "b.yaml": "1\n" }, "feature", "feature");
  await ws.tag("v0.1.0");
  assert.equal((await cache.resolve(url, "feature")).commit, feature);
  assert.equal(await mirrorRef(cache.mirrorDir(url), "refs/tags/v0.1.0"), feature);

  await git(["push", "--quiet", "origin", "--delete", "feature", "refs/tags/v0.1.0"], { cwd: ws.dir });
  await rejectsWith(
    cache.resolve(url, "feature"),
    "RevisionNotFound",
    /"feature": no branch or tag of that name/,
  );
  await rejectsWith(cache.resolve(url, "v0.1.0"), "RevisionNotFound");
  assert.equal(await mirrorRef(cache.mirrorDir(url), "refs/heads/feature"), "", "branch pruned");
  assert.equal(await mirrorRef(cache.mirrorDir(url), "refs/tags/v0.1.0"), "", "tag pruned");

  // With every branch gone the repository is empty again, and so is the mirror.
  // (A bare repository refuses to delete the branch its HEAD names, so HEAD moves away first.)
  const bare = path.join(server.root, path.basename(url));
  await git(["symbolic-ref", "HEAD", "refs/heads/unborn"], { cwd: bare });
  await git(["push", "--quiet", "origin", "--delete", "main"], { cwd: ws.dir });
  await rejectsWith(cache.resolve(url, "HEAD"), "RevisionNotFound", /the repository is empty/);
  assert.equal((await git(["for-each-ref"], { cwd: cache.mirrorDir(url) })).trim(), "");
  await ws.remove();
});

test("an empty repository is told apart from a failure: RevisionNotFound, 'the repository is empty'", async () => {
  const { url, ws, cache } = await newRepo();
  await rejectsWith(cache.resolve(url, "HEAD"), "RevisionNotFound", /the repository is empty/);
  await rejectsWith(cache.resolve(url, "main"), "RevisionNotFound");
  await ws.remove();
});

test("within maxAgeMs, revisions of one repository share one listing; a push is seen once it expires", async () => {
  const { url, ws, cache } = await newRepo();
  const first = await ws.commitAndPush({ "a.yaml": "v: 1\n" }, "first");
  await ws.tag("v1.0.0");
  assert.equal((await cache.resolve(url, "main", { maxAgeMs: 60_000 })).commit, first);
  assert.equal((await cache.resolve(url, "v1.0.0", { maxAgeMs: 60_000 })).commit, first);
  assert.equal((await cache.resolve(url, "HEAD", { maxAgeMs: 60_000 })).commit, first);
  assert.equal(cache.stats.lsRemotes, 1, "one ls-remote for three revisions");
  const second = await ws.commitAndPush({ "a.yaml": "v: 2\n" }, "second");
  assert.equal(
    (await cache.resolve(url, "main", { maxAgeMs: 60_000 })).commit,
    first,
    "the listing is reused",
  );
  assert.equal(
    (await cache.resolve(url, "main", { maxAgeMs: 0 })).commit,
    second,
    "an expired listing is redone",
  );
  assert.equal((await cache.resolve(url, "main")).commit, second, "no maxAgeMs: always listed");
  assert.equal(cache.stats.lsRemotes, 3);
  // A mirror gone since (its cache folder removed or made a file) is no reason to reuse the listing:
  // the error names the cache path, not a revision the mirror "lacks".
  const mirror = cache.mirrorDir(url);
  await fs.rm(mirror, { recursive: true });
  await fs.writeFile(mirror, "not a folder\n");
  await assert.rejects(cache.resolve(url, "main", { maxAgeMs: 60_000 }), (error: Error) => {
    assert.doesNotMatch(error.message, /is not a commit/);
    assert.ok(error.message.includes(mirror), error.message);
    return true;
  });
});
