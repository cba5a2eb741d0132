import assert from "node:assert/strict";
import { existsSync, statSync } from "node:fs";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { KeyedMutex } from "../../src/engine/source/mutex.js";
import { TreeStore } from "../../src/engine/source/trees.js";

const COMMIT = "c".repeat(40);

async function store() {
  const root = path.join(await fs.mkdtemp(path.join(os.tmpdir(), "tether-trees-")), "trees");
  return { root, trees: new TreeStore(root) };
}

/** An extractor that writes one file and a symlink and counts its calls. */
function extractor() {
  const calls = { count: 0 };
  const extract = async (dir: string) => {
    calls.count += 1;
    await fs.mkdir(path.join(dir, "sub"));
    await fs.writeFile(path.join(dir, "sub", "app.yaml"), "kind: ConfigMap\n");
    await fs.writeFile(path.join(dir, "run.sh"), "#!/bin/sh\n", { mode: 0o755 });
    await fs.symlink("/etc/passwd", path.join(dir, "escape"));
  };
  return { calls, extract };
}

test("concurrent users of one commit share one extraction; the last release removes the tree", async () => {
  const { root, trees } = await store();
  const { calls, extract } = extractor();
  const [a, b] = await Promise.all([trees.acquire(COMMIT, extract), trees.acquire(COMMIT, extract)]);
  assert.equal(calls.count, 1);
  assert.equal(a.dir, path.join(root, COMMIT));
  assert.equal(b.dir, a.dir);
  await a.release();
  await a.release(); // a second release of the same handle must not steal b's reference
  assert.ok(existsSync(b.dir), "still held by b");
  await b.release();
  assert.equal(existsSync(b.dir), false);
  assert.deepEqual(await fs.readdir(root), [], "no temp or trash folders left");
  assert.deepEqual(trees.stats, { extracted: 1, removed: 1 });
});

test("trees are read-only; executables stay executable; symlinks are kept as they are", async () => {
  const { trees } = await store();
  const tree = await trees.acquire(COMMIT, extractor().extract);
  assert.equal(statSync(path.join(tree.dir, "sub", "app.yaml")).mode & 0o777, 0o444);
  assert.equal(statSync(path.join(tree.dir, "run.sh")).mode & 0o777, 0o555);
  assert.equal(statSync(path.join(tree.dir, "sub")).mode & 0o777, 0o555);
  assert.equal(statSync(tree.dir).mode & 0o777, 0o555);
  assert.equal(await fs.readlink(path.join(tree.dir, "escape")), "/etc/passwd");
  await tree.release();
});

test("a failed extraction leaves nothing behind and the next acquire tries again", async () => {
  const { root, trees } = await store();
  await assert.rejects(
    trees.acquire(COMMIT, async (dir) => {
      await fs.writeFile(path.join(dir, "half"), "x");
      throw new Error("archive broke");
    }),
    /archive broke/,
  );
  assert.deepEqual(await fs.readdir(root), []);
  const tree = await trees.acquire(COMMIT, extractor().extract);
  assert.ok(existsSync(path.join(tree.dir, "sub", "app.yaml")));
  await tree.release();
});

test("acquiring while the last user's removal runs gets a fresh, complete tree", async () => {
  const { trees } = await store();
  const { calls, extract } = extractor();
  const first = await trees.acquire(COMMIT, extract);
  const removal = first.release();
  const second = await trees.acquire(COMMIT, extract);
  await removal;
  assert.equal(calls.count, 2);
  assert.ok(existsSync(path.join(second.dir, "sub", "app.yaml")));
  await second.release();
});

test("the keyed mutex serializes one key and lets other keys run", async () => {
  const mutex = new KeyedMutex();
  const log: string[] = [];
  let releaseFirst!: () => void;
  const gate = new Promise<void>((resolve) => (releaseFirst = resolve));
  const first = mutex.run("repo-a", async () => {
    log.push("a1 start");
    await gate;
    log.push("a1 end");
  });
  const second = mutex.run("repo-a", () => Promise.resolve(void log.push("a2")));
  const other = await mutex.run("repo-b", () => Promise.resolve(log.push("b") && "b ran"));
  assert.equal(other, "b ran");
  assert.deepEqual(log, ["a1 start", "b"], "repo-b did not wait for repo-a");
  releaseFirst();
  await Promise.all([first, second]);
  assert.deepEqual(log, ["a1 start", "b", "a1 end", "a2"]);
  await assert.rejects(
    mutex.run("repo-a", () => Promise.reject(new Error("x"))),
    /x/,
  );
  assert.equal(await mutex.run("repo-a", () => Promise.resolve(1)), 1, "a failure releases the lock");
});

test("a released tree lingers for the next user; beyond maxIdle the oldest idle tree is removed", async () => {
  const root = path.join(await fs.mkdtemp(path.join(os.tmpdir(), "tether-trees-")), "trees");
  const trees = new TreeStore(root, { lingerMs: 60_000, maxIdle: 2 });
  const { calls, extract } = extractor();
  const commits = ["1", "2", "3"].map((c) => c.repeat(40));
  const first = await trees.acquire(commits[0] ?? "", extract);
  await first.release();
  assert.ok(existsSync(first.dir), "kept after the last release");
  assert.equal(trees.inUse, 0);
  const again = await trees.acquire(commits[0] ?? "", extract);
  assert.equal(calls.count, 1, "the next user of the commit reuses it: no second extraction");
  await again.release();
  for (const commit of commits.slice(1)) await (await trees.acquire(commit, extract)).release();
  await waitUntil(() => !existsSync(first.dir) && trees.stats.removed === 1);
  assert.deepEqual(
    commits.map((c) => existsSync(path.join(root, c))),
    [false, true, true],
    "two idle trees kept (maxIdle), the oldest removed",
  );
  await trees.drain();
  assert.deepEqual(await fs.readdir(root), [], "drain removes the idle trees");
  assert.deepEqual(trees.stats, { extracted: 3, removed: 3 });
});

test("an idle tree is removed once its linger is over", async () => {
  const root = path.join(await fs.mkdtemp(path.join(os.tmpdir(), "tether-trees-")), "trees");
  const trees = new TreeStore(root, { lingerMs: 20 });
  const tree = await trees.acquire(COMMIT, extractor().extract);
  await tree.release();
  // The tree is renamed away first, then deleted; the count follows the deletion.
  await waitUntil(() => !existsSync(tree.dir) && trees.stats.removed === 1);
  assert.deepEqual(trees.stats, { extracted: 1, removed: 1 });
});

async function waitUntil(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.ok(condition(), "condition not reached within 5 s");
}
