// Credentials from Kubernetes Secrets against the real Git server with basic auth. The password must
// work when right, fail as AuthenticationFailed when wrong, and never appear in a git argument list,
// an error message or stack, or a file left in the cache.
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { SourceError } from "../../src/engine/errors.js";
import type { GitRunner, SecretLike } from "../../src/engine/source/index.js";
import { createRepositoryCache } from "../../src/engine/source/index.js";
import { systemGit } from "../../src/engine/source/mirror.js";
import { GitWorkspace } from "../../src/localcluster/gitrepo.js";
import type { GitServer } from "../../src/localcluster/gitserver.js";
import { startGitServer } from "../../src/localcluster/gitserver.js";

const PASSWORD = "correct-horse-battery-staple-7f3a";
const WRONG = "wrong-password-91bc";
const auth = { username: "tether-bot", password: PASSWORD };

let server: GitServer;
let tmp: string;
let url: string;
let commit: string;

before(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), "tether-source-auth-"));
  await fs.mkdir(path.join(tmp, "git"));
  server = await startGitServer({ root: path.join(tmp, "git"), auth });
  url = await server.createRepository("private");
  const ws = await GitWorkspace.clone(url, { auth });
  commit = await ws.commitAndPush({ "secret-app.yaml": "kind: ConfigMap\n" }, "private content");
  await ws.remove();
});
after(async () => {
  await server.close();
  await fs.rm(tmp, { recursive: true, force: true });
});

const b64 = (text: string) => Buffer.from(text).toString("base64");
function secret(type: "repository" | "repo-creds", repoUrl: string, password: string): SecretLike {
  return {
    metadata: { name: `${type}-secret`, namespace: "tether", labels: { "tether.dev/secret-type": type } },
    data: { url: b64(repoUrl), username: b64(auth.username), password: b64(password) },
  };
}

/** The real git, recording every argument list and environment it is given. */
function recordingGit() {
  const calls: { args: readonly string[]; env: Readonly<Record<string, string>> }[] = [];
  const runner: GitRunner = {
    text: (args, options) => (calls.push({ args, env: options.env ?? {} }), systemGit.text(args, options)),
    buffer: (args, options) => (
      calls.push({ args, env: options.env ?? {} }),
      systemGit.buffer(args, options)
    ),
  };
  return { calls, runner };
}

let caches = 0;
function newCache(secrets: SecretLike[], runner?: GitRunner) {
  const cacheDir = path.join(tmp, `cache${++caches}`);
  const cache = createRepositoryCache({
    cacheDir,
    timeoutMs: 20_000,
    credentials: () => secrets,
    git: runner,
  });
  return { cache, cacheDir };
}

/** Every file under `dir` whose bytes contain `needle`. */
async function filesContaining(dir: string, needle: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await fs.readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    if ((await fs.readFile(file)).includes(needle)) found.push(file);
  }
  return found;
}

function assertNoSecretIn(error: unknown, secretText: string) {
  assert.ok(error instanceof SourceError);
  assert.doesNotMatch(error.message, new RegExp(secretText));
  assert.doesNotMatch(String(error.stack), new RegExp(secretText));
  assert.doesNotMatch(String((error.cause as Error | undefined)?.message), new RegExp(secretText));
}

test("the right password from a repository Secret works, passed through GIT_ASKPASS only", async () => {
  const { calls, runner } = recordingGit();
  const { cache, cacheDir } = newCache([secret("repository", url, PASSWORD)], runner);
  const resolved = await cache.resolve(url, "main");
  assert.equal(resolved.commit, commit);
  const tree = await cache.acquireTree(url, commit);
  assert.equal(await fs.readFile(path.join(tree.dir, "secret-app.yaml"), "utf8"), "kind: ConfigMap\n");
  await tree.release();

  const networked = calls.filter((c) => c.args[0] === "ls-remote" || c.args[0] === "fetch");
  assert.equal(networked.length, 2);
  for (const call of calls) {
    assert.ok(!call.args.some((a) => a.includes(PASSWORD)), `password in argv: git ${call.args.join(" ")}`);
    assert.ok(!call.args.some((a) => /\/\/[^/]*@/.test(a)), "no user info in any URL");
  }
  for (const call of networked) {
    assert.match(call.env["GIT_ASKPASS"] ?? "", /askpass\.sh$/);
    assert.equal(call.env["TETHER_GIT_PASSWORD"], PASSWORD, "the secret travels in the environment");
  }
  assert.deepEqual(await filesContaining(cacheDir, PASSWORD), [], "nothing in the cache holds the password");
});

test("a repo-creds prefix Secret for the whole server works too", async () => {
  const { cache } = newCache([secret("repo-creds", server.url, PASSWORD)]);
  assert.equal((await cache.resolve(url, "HEAD")).commit, commit);
});

test("a wrong password is AuthenticationFailed and never appears in the error", async () => {
  const { calls, runner } = recordingGit();
  const { cache } = newCache([secret("repository", url, WRONG)], runner);
  const error = await cache.resolve(url, "main").then(
    () => assert.fail("resolved with a wrong password"),
    (e: unknown) => e,
  );
  assert.ok(error instanceof SourceError);
  assert.equal(error.reason, "AuthenticationFailed");
  assert.match(error.message, /private\.git.*authentication failed/);
  assertNoSecretIn(error, WRONG);
  assert.ok(calls.every((c) => !c.args.some((a) => a.includes(WRONG))));
});

test("no credentials at all is AuthenticationFailed (git never prompts)", async () => {
  const { cache } = newCache([]);
  await assert.rejects(cache.resolve(url, "main"), { name: "SourceError", reason: "AuthenticationFailed" });
});

test("a password written into repoURL is dropped, not sent, and not echoed", async () => {
  const { calls, runner } = recordingGit();
  const { cache } = newCache([], runner);
  const withPassword = url.replace("//", `//${auth.username}:${PASSWORD}@`);
  const error = await cache.resolve(withPassword, "main").then(
    () => assert.fail("the inline password must not be used"),
    (e: unknown) => e,
  );
  assert.equal((error as SourceError).reason, "AuthenticationFailed");
  assertNoSecretIn(error, PASSWORD);
  assert.ok(calls.every((c) => !c.args.some((a) => a.includes(PASSWORD))));
});
