// Read-only trees per commit from a real mirror: content exactly as committed, shared between
// applications, removed with the last release, and only for commits the repository really has.
import assert from "node:assert/strict";
import { existsSync, statSync } from "node:fs";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { SourceError } from "../../src/engine/errors.js";
import { createRepositoryCache } from "../../src/engine/source/index.js";
import { git } from "../../src/engine/source/gitcli.js";
import { GitWorkspace } from "../../src/localcluster/gitrepo.js";
import type { GitServer } from "../../src/localcluster/gitserver.js";
import { startGitServer } from "../../src/localcluster/gitserver.js";

let server: GitServer;
let tmp: string;

before(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), "tether-source-trees-"));
  await fs.mkdir(path.join(tmp, "git"));
  server = await startGitServer({ root: path.join(tmp, "git") });
});
after(async () => {
  await server.close();
  await fs.rm(tmp, { recursive: true, force: true });
});

test("a tree holds the commit's files exactly, read-only, with symlinks kept as committed", async () => {
  const url = await server.createRepository("content");
  const ws = await GitWorkspace.clone(url);
  await ws.write({
    "apps/web/deploy.yaml": "kind: Deployment\n",
    "scripts/gen.sh": "#!/bin/sh\necho hi\n",
    // export-ignore / export-subst must not change what Tether deploys.
    ".gitattributes": "apps/web/hidden.yaml export-ignore\nsubst.txt export-subst\n",
    "apps/web/hidden.yaml": "kind: Secret\n",
    "subst.txt": "$Format:%H$\n",
  });
  await fs.chmod(path.join(ws.dir, "scripts/gen.sh"), 0o755);
  await fs.symlink("../../../etc/passwd", path.join(ws.dir, "apps/escape"));
  const commit = await ws.commit("content");
  await ws.push();

  const cacheDir = path.join(tmp, "cache-content");
  const cache = createRepositoryCache({ cacheDir, timeoutMs: 20_000, treeLingerMs: 0 });
  assert.equal((await cache.resolve(url, "main")).commit, commit);
  const tree = await cache.acquireTree(url, commit);
  assert.equal(tree.dir, path.join(cacheDir, "trees", commit));
  assert.equal(await fs.readFile(path.join(tree.dir, "apps/web/deploy.yaml"), "utf8"), "kind: Deployment\n");
  assert.equal(await fs.readFile(path.join(tree.dir, "apps/web/hidden.yaml"), "utf8"), "kind: Secret\n");
  assert.equal(await fs.readFile(path.join(tree.dir, "subst.txt"), "utf8"), "$Format:%H$\n");
  assert.equal(statSync(path.join(tree.dir, "apps/web/deploy.yaml")).mode & 0o777, 0o444);
  assert.equal(statSync(path.join(tree.dir, "scripts/gen.sh")).mode & 0o777, 0o555);
  assert.equal(statSync(path.join(tree.dir, "apps")).mode & 0o777, 0o555);
  // Kept as is; the render stage refuses links that leave the repository root.
  assert.equal(await fs.readlink(path.join(tree.dir, "apps/escape")), "../../../etc/passwd");
  assert.equal(existsSync(path.join(tree.dir, ".git")), false);
  await tree.release();
  assert.equal(existsSync(tree.dir), false);
  await ws.remove();
});

test("applications at one commit share one tree; it goes away with the last release", async () => {
  const url = await server.createRepository("shared");
  const ws = await GitWorkspace.clone(url);
  const c1 = await ws.commitAndPush({ "a.yaml": "1\n" }, "one");
  const c2 = await ws.commitAndPush({ "a.yaml": "2\n" }, "two");
  const cache = createRepositoryCache({
    cacheDir: path.join(tmp, "cache-shared"),
    timeoutMs: 20_000,
    treeLingerMs: 0,
  });
  await cache.resolve(url, "main");

  const [a, b, old] = await Promise.all([
    cache.acquireTree(url, c2),
    cache.acquireTree(url, c2),
    cache.acquireTree(url, c1),
  ]);
  assert.equal(a.dir, b.dir);
  assert.notEqual(a.dir, old.dir);
  assert.equal(await fs.readFile(path.join(old.dir, "a.yaml"), "utf8"), "1\n");
  assert.deepEqual([cache.stats.treesExtracted, cache.stats.treesInUse], [2, 2]);
  await a.release();
  assert.equal(await fs.readFile(path.join(b.dir, "a.yaml"), "utf8"), "2\n", "b still holds it");
  await b.release();
  await old.release();
  assert.deepEqual([existsSync(a.dir), existsSync(old.dir)], [false, false]);
  assert.deepEqual([cache.stats.treesRemoved, cache.stats.treesInUse], [2, 0]);
  await ws.remove();
});

test("a tree is only given for a full commit id that the application's own repository holds", async () => {
  const mine = await server.createRepository("mine");
  const theirs = await server.createRepository("theirs");
  const wsMine = await GitWorkspace.clone(mine);
  const wsTheirs = await GitWorkspace.clone(theirs);
  await wsMine.commitAndPush({ "a.yaml": "mine\n" }, "mine");
  const theirCommit = await wsTheirs.commitAndPush({ "a.yaml": "theirs\n" }, "theirs");
  const cache = createRepositoryCache({ cacheDir: path.join(tmp, "cache-isolation"), timeoutMs: 20_000 });
  await cache.resolve(mine, "main");
  await cache.resolve(theirs, "main");

  const held = await cache.acquireTree(theirs, theirCommit);
  // Even while the tree exists and is shared, another repository cannot name its commit.
  await assert.rejects(
    cache.acquireTree(mine, theirCommit),
    (e: unknown) =>
      e instanceof SourceError && e.reason === "RevisionNotFound" && /not in the mirror/.test(e.message),
  );
  await assert.rejects(
    cache.acquireTree(theirs, theirCommit.slice(0, 10)),
    (e: unknown) => e instanceof SourceError && e.reason === "InvalidRevision",
  );
  await held.release();
  await wsMine.remove();
  await wsTheirs.remove();
});

test("a crafted tree with a file below a symlink (`a -> /outside`, `a/b`) cannot write outside: the extraction fails", async () => {
  // Git's own tools never make such a tree (a name with a slash beside a symlink of the same
  // prefix), but a hostile push can: objects written with `--literally` are not checked by a server
  // without receive.fsckObjects. GNU tar extracts a link leading out as a placeholder file first, so
  // `a/b` cannot go through it; the tree fails to extract and nothing is written outside.
  const victim = path.join(tmp, "victim");
  await fs.mkdir(victim);
  const url = await server.createRepository("crafted");
  const ws = await GitWorkspace.clone(url);
  await ws.commitAndPush({ "README.md": "x\n" }, "first");
  const author = {
    GIT_AUTHOR_NAME: "Mallory",
    GIT_AUTHOR_EMAIL: "m@example.com",
    GIT_COMMITTER_NAME: "Mallory",
    GIT_COMMITTER_EMAIL: "m@example.com",
  };
  const run = (args: string[], input?: Buffer) =>
    git(args, { cwd: ws.dir, env: author, ...(input ? { input } : {}) });
  const blob = (await run(["hash-object", "-w", "--stdin"], Buffer.from("pwned\n"))).trim();
  const link = (await run(["hash-object", "-w", "--stdin"], Buffer.from(victim))).trim();
  const entry = (mode: string, name: string, id: string) =>
    Buffer.concat([Buffer.from(`${mode} ${name}\0`), Buffer.from(id, "hex")]);
  const tree = (
    await run(
      ["hash-object", "-t", "tree", "-w", "--literally", "--stdin"],
      Buffer.concat([entry("120000", "a", link), entry("100644", "a/b", blob)]),
    )
  ).trim();
  const commit = (await run(["commit-tree", tree, "-p", "HEAD", "-m", "crafted"])).trim();
  await run(["push", "--quiet", "origin", `${commit}:refs/heads/main`]);

  const cache = createRepositoryCache({
    cacheDir: path.join(tmp, "cache-crafted"),
    timeoutMs: 20_000,
    treeLingerMs: 0,
  });
  assert.equal((await cache.resolve(url, "main")).commit, commit);
  await assert.rejects(cache.acquireTree(url, commit), (error: unknown) => {
    assert.ok(error instanceof SourceError);
    assert.equal(error.reason, "GitCommandFailed");
    assert.match(error.message, /extracting/);
    return true;
  });
  assert.deepEqual(await fs.readdir(victim), [], "nothing written outside the tree");
  await ws.remove();
});
