// Bad input and bad weather for the source stage: missing repositories, unreachable or hanging
// servers, fetches that fail half way, and URLs Tether refuses. Real git, real local Git server.
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import net from "node:net";
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

before(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), "tether-source-failures-"));
  await fs.mkdir(path.join(tmp, "git"));
  server = await startGitServer({ root: path.join(tmp, "git") });
});
after(async () => {
  await server.close();
  await fs.rm(tmp, { recursive: true, force: true });
});

let caches = 0;
const newCache = (options: { timeoutMs?: number; git?: GitRunner } = {}) =>
  createRepositoryCache({ cacheDir: path.join(tmp, `cache${++caches}`), timeoutMs: 20_000, ...options });

const rejectsWith = (promise: Promise<unknown>, reason: string, text?: RegExp) =>
  assert.rejects(promise, (e: unknown) => {
    assert.ok(e instanceof SourceError, String(e));
    assert.equal(e.reason, reason, e.message);
    if (text) assert.match(e.message, text);
    return true;
  });

/** A TCP port nothing listens on: bound by the OS, then released. */
async function closedPort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

test("a repository that does not exist is RepositoryNotFound (http and file://)", async () => {
  const cache = newCache();
  await rejectsWith(
    cache.resolve(server.repositoryUrl("missing"), "main"),
    "RepositoryNotFound",
    /missing\.git.*not found/,
  );
  await rejectsWith(cache.resolve(`file://${tmp}/nowhere.git`, "main"), "RepositoryNotFound");
});

test("a file:// repository resolves like any other", async () => {
  const url = await server.createRepository("local");
  const ws = await GitWorkspace.clone(url);
  const commit = await ws.commitAndPush({ "a.yaml": "1\n" }, "one");
  const resolved = await newCache().resolve(`file://${path.join(server.root, "local.git")}`, "main");
  assert.equal(resolved.commit, commit);
  await ws.remove();
});

test("an offline server is RepositoryUnreachable; the mirror stays usable and recovers", async () => {
  const url = await server.createRepository("flaky");
  const ws = await GitWorkspace.clone(url);
  const commit = await ws.commitAndPush({ "a.yaml": "1\n" }, "one");
  const cache = newCache();
  assert.equal((await cache.resolve(url, "main")).commit, commit);

  server.setOffline(true);
  try {
    await rejectsWith(cache.resolve(url, "main"), "RepositoryUnreachable", /flaky\.git.*503/);
    // What was fetched before is still there: a tree of the last good commit can be had offline.
    const tree = await cache.acquireTree(url, commit);
    assert.equal(await fs.readFile(path.join(tree.dir, "a.yaml"), "utf8"), "1\n");
    await tree.release();
  } finally {
    server.setOffline(false);
  }
  const again = await cache.resolve(url, "main");
  assert.deepEqual([again.commit, again.fetched], [commit, false], "nothing moved, so no fetch");
  await ws.remove();
});

test("a closed port is RepositoryUnreachable", async () => {
  const port = await closedPort();
  await rejectsWith(
    newCache().resolve(`http://127.0.0.1:${port}/app.git`, "main"),
    "RepositoryUnreachable",
    /Failed to connect/,
  );
});

test("a server that accepts but never answers hits the timeout: RepositoryUnreachable", async () => {
  const sockets = new Set<net.Socket>();
  const blackhole = net.createServer((socket) => void sockets.add(socket));
  await new Promise<void>((resolve) => blackhole.listen(0, "127.0.0.1", resolve));
  const { port } = blackhole.address() as net.AddressInfo;
  try {
    const cache = newCache({ timeoutMs: 1_000 });
    await rejectsWith(
      cache.resolve(`http://127.0.0.1:${port}/app.git`, "main"),
      "RepositoryUnreachable",
      /timed out/,
    );
  } finally {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => blackhole.close(() => resolve()));
  }
});

test("a fetch that fails after ls-remote succeeded changes nothing; the next resolve fetches", async () => {
  const url = await server.createRepository("halfway");
  const ws = await GitWorkspace.clone(url);
  const first = await ws.commitAndPush({ "a.yaml": "1\n" }, "one");
  let failNextFetch = false;
  // Real git throughout; for one fetch the server goes down between ls-remote and fetch.
  const runner: GitRunner = {
    async text(args, options) {
      if (args[0] !== "fetch" || !failNextFetch) return systemGit.text(args, options);
      failNextFetch = false;
      server.setOffline(true);
      try {
        return await systemGit.text(args, options);
      } finally {
        server.setOffline(false);
      }
    },
    buffer: (args, options) => systemGit.buffer(args, options),
  };
  const cache = newCache({ git: runner });
  assert.equal((await cache.resolve(url, "main")).commit, first);
  const second = await ws.commitAndPush({ "a.yaml": "2\n" }, "two");

  failNextFetch = true;
  await rejectsWith(cache.resolve(url, "main"), "RepositoryUnreachable", /fetching/);
  const mirrorMain = (await git(["rev-parse", "refs/heads/main"], { cwd: cache.mirrorDir(url) })).trim();
  assert.equal(mirrorMain, first, "the mirror still holds the previous state, whole");
  assert.equal((await git(["fsck", "--no-dangling"], { cwd: cache.mirrorDir(url) })).trim(), "");

  const recovered = await cache.resolve(url, "main");
  assert.deepEqual([recovered.commit, recovered.fetched], [second, true]);
  await ws.remove();
});

test("unsupported URLs are refused before any git command runs", async () => {
  let calls = 0;
  const counting: GitRunner = {
    text: (args, options) => (calls++, systemGit.text(args, options)),
    buffer: (args, options) => (calls++, systemGit.buffer(args, options)),
  };
  const cache = newCache({ git: counting });
  const refused = [
    "ext::sh -c touch% /tmp/tether-pwned",
    "fd::3",
    path.join(server.root, "local.git"),
    "ftp://example.com/repo.git",
    "ssh://-oProxyCommand=touch%20/tmp/tether-pwned/repo",
  ];
  for (const url of refused) {
    await rejectsWith(cache.resolve(url, "main"), "UnsupportedURL", /spec\.source\.repoURL/);
    await rejectsWith(cache.acquireTree(url, "a".repeat(40)), "UnsupportedURL");
  }
  assert.equal(calls, 0);
});
