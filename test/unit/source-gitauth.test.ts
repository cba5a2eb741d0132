import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import { sshCommand, withGitCredentials } from "../../src/engine/source/gitauth.js";

const run = promisify(execFile);

test("HTTP credentials go through a 0700 askpass script that holds no secret", async () => {
  let script = "";
  await withGitCredentials(
    "https",
    { username: "bot", password: "s3cr3t-pw", secretName: "ns/s" },
    async (env) => {
      script = env["GIT_ASKPASS"] ?? "";
      assert.equal(statSync(script).mode & 0o777, 0o700);
      assert.equal(statSync(path.dirname(script)).mode & 0o777, 0o700, "the folder is private");
      assert.doesNotMatch(await fs.readFile(script, "utf8"), /s3cr3t-pw/);
      // git calls the helper with its prompt as the only argument.
      const answer = async (prompt: string) =>
        (await run(script, [prompt], { env: { ...env, PATH: process.env["PATH"] } })).stdout;
      assert.equal(await answer("Username for 'https://h': "), "bot\n");
      assert.equal(await answer("Password for 'https://bot@h': "), "s3cr3t-pw\n");
    },
  );
  assert.equal(existsSync(script), false, "removed after the operation");
});

test("SSH credentials become 0600 key and known_hosts files named in GIT_SSH_COMMAND", async () => {
  let folder = "";
  await withGitCredentials(
    "ssh",
    { sshPrivateKey: "KEY", knownHosts: "h ssh-ed25519 AAA", secretName: "ns/s" },
    async (env) => {
      const command = env["GIT_SSH_COMMAND"] ?? "";
      const key = /-i '([^']+)'/.exec(command)?.[1] ?? "";
      const known = /UserKnownHostsFile='([^']+)'/.exec(command)?.[1] ?? "";
      folder = path.dirname(key);
      assert.equal(statSync(key).mode & 0o777, 0o600);
      assert.equal(statSync(known).mode & 0o777, 0o600);
      assert.equal(await fs.readFile(key, "utf8"), "KEY\n", "ssh needs the final newline");
      assert.equal(await fs.readFile(known, "utf8"), "h ssh-ed25519 AAA");
      assert.match(command, /-o IdentitiesOnly=yes .*-o StrictHostKeyChecking=yes/);
    },
  );
  assert.equal(existsSync(folder), false);
});

test("files are removed even when the operation fails; mismatched credentials add nothing", async () => {
  let folder = "";
  await assert.rejects(
    withGitCredentials("http", { password: "x", secretName: "ns/s" }, (env) => {
      folder = path.dirname(env["GIT_ASKPASS"] ?? "");
      return Promise.reject(new Error("boom"));
    }),
    /boom/,
  );
  assert.equal(existsSync(folder), false);
  await withGitCredentials("ssh", { password: "x", secretName: "ns/s" }, (env) =>
    Promise.resolve(assert.deepEqual(env, {})),
  );
  await withGitCredentials("https", undefined, (env) => Promise.resolve(assert.deepEqual(env, {})));
});

test("paths in GIT_SSH_COMMAND are shell-quoted", () => {
  assert.equal(
    sshCommand("/tmp/a b/id", "/tmp/it's"),
    "ssh -i '/tmp/a b/id' -o IdentitiesOnly=yes -o UserKnownHostsFile='/tmp/it'\\''s' -o StrictHostKeyChecking=yes -o BatchMode=yes",
  );
});
