// The local Git server is a real smart-HTTP server: pushes are visible to ls-remote and clones,
// basic auth is enforced, and an outage is a clean HTTP error, not a hang.
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { git, GitCommandError } from "../../src/engine/source/gitcli.js";
import { GitWorkspace } from "../../src/localcluster/gitrepo.js";
import type { GitServer } from "../../src/localcluster/gitserver.js";
import { startGitServer } from "../../src/localcluster/gitserver.js";
import { testEnv, uniqueName } from "../helpers/environment.js";

async function lsRemote(url: string, env: Record<string, string> = {}): Promise<Map<string, string>> {
  const out = await git(["ls-remote", url], { env, timeoutMs: 10_000 });
  const refs = new Map<string, string>();
  for (const line of out.trim().split("\n").filter(Boolean)) {
    const [sha, ref] = line.split("\t");
    if (sha && ref) refs.set(ref, sha);
  }
  return refs;
}

describe("local Git server (the run's shared instance)", () => {
  test("a push is visible through git ls-remote, and revert makes a new commit", async () => {
    const name = uniqueName("push");
    const url = `${testEnv.gitUrl}/${name}.git`;
    await git([
      "init",
      "--quiet",
      "--bare",
      "--initial-branch=main",
      path.join(testEnv.gitRoot, `${name}.git`),
    ]);
    const ws = await GitWorkspace.clone(url);
    try {
      const first = await ws.commitAndPush({ "app/deployment.yaml": "replicas: 2\n" }, "two replicas");
      assert.equal((await lsRemote(url)).get("refs/heads/main"), first);

      const second = await ws.commitAndPush({ "app/deployment.yaml": "replicas: 5\n" }, "five replicas");
      assert.notEqual(second, first);
      assert.equal((await lsRemote(url)).get("refs/heads/main"), second);

      const reverted = await ws.revert("HEAD");
      await ws.push();
      assert.equal((await lsRemote(url)).get("refs/heads/main"), reverted);
      assert.equal(await fs.readFile(path.join(ws.dir, "app/deployment.yaml"), "utf8"), "replicas: 2\n");

      await ws.tag("v1.0.0");
      assert.equal((await lsRemote(url)).get("refs/tags/v1.0.0"), reverted);
    } finally {
      await ws.remove();
    }
  });
});

describe("local Git server options", () => {
  let server: GitServer;
  let root: string;
  const auth = { username: "tether", password: "s3cret-pass" };

  before(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), "tether-gitsrv-"));
    server = await startGitServer({ root, auth });
  });
  after(async () => {
    await server.close();
    await fs.rm(root, { recursive: true, force: true });
  });

  test("basic auth: the right credentials push and list, wrong ones are refused with 401", async () => {
    const url = await server.createRepository("private");
    const ws = await GitWorkspace.clone(url, { auth });
    try {
      const sha = await ws.commitAndPush({ "a.yaml": "a: 1\n" }, "first");
      const header = `Authorization: Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString("base64")}`;
      const withAuth = {
        GIT_CONFIG_COUNT: "3",
        GIT_CONFIG_KEY_2: "http.extraHeader",
        GIT_CONFIG_VALUE_2: header,
      };
      assert.equal((await lsRemote(url, withAuth)).get("refs/heads/main"), sha);
    } finally {
      await ws.remove();
    }
    await assert.rejects(lsRemote(url), (error: unknown) => {
      assert.ok(error instanceof GitCommandError);
      assert.match(error.message, /Authentication failed|could not read Username|401/i);
      return true;
    });
  });

  test("an offline server answers 503 at once; back online it serves again", async () => {
    const url = await server.createRepository("outage");
    const header = `Authorization: Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString("base64")}`;
    const withAuth = {
      GIT_CONFIG_COUNT: "3",
      GIT_CONFIG_KEY_2: "http.extraHeader",
      GIT_CONFIG_VALUE_2: header,
    };
    server.setOffline(true);
    await assert.rejects(lsRemote(url, withAuth), /503/);
    server.setOffline(false);
    assert.equal((await lsRemote(url, withAuth)).size, 0, "an empty repository has no refs");
  });

  test("paths outside the smart-HTTP protocol get 400, unknown repositories 404, never a file", async (t) => {
    const basic = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString("base64")}`;
    // node:http sends the path byte for byte (fetch would normalize the dot segments away).
    const status = (p: string) =>
      new Promise<number>((resolve, reject) => {
        http
          .get(
            { host: "127.0.0.1", port: server.port, path: p, headers: { authorization: basic } },
            (res) => {
              res.resume();
              resolve(res.statusCode ?? 0);
            },
          )
          .on("error", reject);
      });
    // A real repository just outside the root: dot segments are clamped to the root by URL
    // parsing, so the request looks for it inside the root and finds nothing.
    const outside = path.join(path.dirname(root), `${path.basename(root)}-outside.git`);
    await git(["init", "--quiet", "--bare", outside]);
    t.after(() => fs.rm(outside, { recursive: true, force: true }));
    const escape = `/../${path.basename(outside)}/info/refs?service=git-upload-pack`;
    assert.equal(await status(escape), 404);
    assert.equal(await status(escape.replace("..", "%2e%2e")), 404);
    assert.equal(await status("/..%2f..%2fetc/passwd"), 400);
    assert.equal(await status("/private.git/config"), 400);
    assert.equal(await status("/missing.git/info/refs?service=git-upload-pack"), 404);
  });

  test("repository names that could escape the root are refused", async () => {
    await assert.rejects(server.createRepository("../escape"), /must match/);
    await assert.rejects(server.createRepository(".hidden"), /must match/);
  });
});
