// SSH credentials end to end without an sshd: a stand-in `ssh` first on PATH checks the identity
// file git hands it and then runs the remote command (git-upload-pack) locally, exactly as sshd
// would after a successful login. It records its arguments, so the test sees what real ssh would get.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { SourceError } from "../../src/engine/errors.js";
import type { SecretLike } from "../../src/engine/source/index.js";
import { createRepositoryCache } from "../../src/engine/source/index.js";
import { GitWorkspace } from "../../src/localcluster/gitrepo.js";
import type { GitServer } from "../../src/localcluster/gitserver.js";
import { startGitServer } from "../../src/localcluster/gitserver.js";

const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nfake-key-material-5d2e\n-----END OPENSSH PRIVATE KEY-----";
const KNOWN_HOSTS = "git.example.test ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeHostKey";

let server: GitServer;
let tmp: string;
let record: string;
let savedPath: string | undefined;

function fakeSsh(recordFile: string): string {
  return `#!/bin/sh
printf '%s\\n' "$@" > '${recordFile}'
key=""
while [ $# -gt 1 ]; do
  case "$1" in
    -i) key="$2"; shift 2 ;;
    -o|-p) shift 2 ;;
    -*) shift ;;
    *) break ;;
  esac
done
shift
stat -c 'key-mode %a' "$key" >> '${recordFile}'
if [ "$(cat "$key")" != "$(printf '%s' '${KEY}')" ]; then
  echo "git@git.example.test: Permission denied (publickey)." >&2
  exit 255
fi
exec sh -c "$*"
`;
}

before(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), "tether-source-ssh-"));
  await fs.mkdir(path.join(tmp, "git"));
  await fs.mkdir(path.join(tmp, "bin"));
  record = path.join(tmp, "ssh-args");
  await fs.writeFile(path.join(tmp, "bin", "ssh"), fakeSsh(record), { mode: 0o755 });
  server = await startGitServer({ root: path.join(tmp, "git") });
  // cleanGitEnv takes PATH from this process, so git finds the stand-in first.
  savedPath = process.env["PATH"];
  process.env["PATH"] = `${path.join(tmp, "bin")}:${savedPath ?? "/usr/bin:/bin"}`;
});
after(async () => {
  process.env["PATH"] = savedPath;
  await server.close();
  await fs.rm(tmp, { recursive: true, force: true });
});

function sshSecret(key: string): SecretLike {
  const b64 = (text: string) => Buffer.from(text).toString("base64");
  return {
    metadata: { name: "ssh", namespace: "tether", labels: { "tether.dev/secret-type": "repo-creds" } },
    data: { url: b64("ssh://git@git.example.test"), sshPrivateKey: b64(key), knownHosts: b64(KNOWN_HOSTS) },
  };
}

test("an ssh:// repository resolves with the Secret's key, strict host checking and its known_hosts", async () => {
  const url = await server.createRepository("over-ssh");
  const ws = await GitWorkspace.clone(url);
  const commit = await ws.commitAndPush({ "a.yaml": "1\n" }, "one");
  await ws.remove();
  const cache = createRepositoryCache({
    cacheDir: path.join(tmp, "cache-ok"),
    timeoutMs: 20_000,
    credentials: () => [sshSecret(KEY)],
  });
  const repoUrl = `ssh://git@git.example.test${path.join(server.root, "over-ssh.git")}`;
  assert.equal((await cache.resolve(repoUrl, "main")).commit, commit);

  const args = (await fs.readFile(record, "utf8")).split("\n");
  const keyFile = args[args.indexOf("-i") + 1] ?? "";
  assert.ok(args.includes("IdentitiesOnly=yes"));
  assert.ok(args.includes("StrictHostKeyChecking=yes"));
  assert.ok(args.includes("git@git.example.test"), "the login name is kept");
  assert.ok(args.includes("key-mode 600"), "the key file is private");
  assert.ok(!args.some((a) => a.includes("fake-key-material")), "the key itself is never an argument");
  const knownHostsFile = args.find((a) => a.startsWith("UserKnownHostsFile="))?.slice(19) ?? "";
  assert.equal(existsSync(keyFile), false, "key file removed after the call");
  assert.equal(existsSync(knownHostsFile), false);
});

test("the scp-like form works with the same Secret; a wrong key is AuthenticationFailed", async () => {
  const url = await server.createRepository("scp-like");
  const ws = await GitWorkspace.clone(url);
  const commit = await ws.commitAndPush({ "a.yaml": "1\n" }, "one");
  await ws.remove();
  const repoUrl = `git@git.example.test:${path.join(server.root, "scp-like.git")}`;
  const good = createRepositoryCache({
    cacheDir: path.join(tmp, "cache-scp"),
    credentials: () => [sshSecret(KEY)],
  });
  assert.equal((await good.resolve(repoUrl, "HEAD")).commit, commit);

  const wrongKey = "-----BEGIN OPENSSH PRIVATE KEY-----\nother-key-0a9f\n-----END OPENSSH PRIVATE KEY-----";
  const bad = createRepositoryCache({
    cacheDir: path.join(tmp, "cache-bad"),
    credentials: () => [sshSecret(wrongKey)],
  });
  await assert.rejects(bad.resolve(repoUrl, "HEAD"), (e: unknown) => {
    assert.ok(e instanceof SourceError);
    assert.equal(e.reason, "AuthenticationFailed");
    assert.doesNotMatch(`${e.message}\n${e.stack}`, /other-key-0a9f/);
    return true;
  });
});
