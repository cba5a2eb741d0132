import assert from "node:assert/strict";
import { test } from "node:test";
import type { SecretLike } from "../../src/engine/source/credentials.js";
import { pickCredentials, urlHasPrefix } from "../../src/engine/source/credentials.js";

const b64 = (text: string) => Buffer.from(text).toString("base64");

function secret(name: string, type: string, fields: Record<string, string>): SecretLike {
  return {
    metadata: { name, namespace: "tether", labels: { "tether.dev/secret-type": type } },
    data: Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, b64(v)])),
  };
}

const secrets = [
  secret("host-wide", "repo-creds", { url: "https://git.example.com", username: "host", password: "p-host" }),
  secret("org", "repo-creds", { url: "https://git.example.com/org/", username: "org", password: "p-org" }),
  secret("app", "repository", {
    url: "https://git.example.com/org/app.git",
    username: "app",
    token: "p-app",
  }),
  secret("ssh", "repo-creds", { url: "git@git.example.com:org", sshPrivateKey: "KEY", knownHosts: "HOSTS" }),
  secret("unlabelled", "", { url: "https://git.example.com/org/other", password: "never" }),
  { metadata: { name: "no-url", labels: { "tether.dev/secret-type": "repo-creds" } }, data: {} },
];

test("an exact repository Secret beats every prefix; base64 data is decoded; token counts as password", () => {
  const creds = pickCredentials("https://GIT.example.com/org/app", secrets);
  assert.equal(creds?.secretName, "tether/app");
  assert.equal(creds?.username, "app");
  assert.equal(creds?.password, "p-app");
});

test("among repo-creds the longest prefix wins", () => {
  assert.equal(pickCredentials("https://git.example.com/org/other.git", secrets)?.secretName, "tether/org");
  assert.equal(
    pickCredentials("https://git.example.com/team/x.git", secrets)?.secretName,
    "tether/host-wide",
  );
});

test("prefixes match at path boundaries only, so credentials never go to another host or org", () => {
  assert.equal(pickCredentials("https://git.example.com.evil.net/org/app.git", secrets), undefined);
  assert.equal(
    pickCredentials("https://git.example.com/organisation/x", secrets)?.secretName,
    "tether/host-wide",
  );
  assert.equal(urlHasPrefix("https://h/org/app", "https://h/org"), true);
  assert.equal(urlHasPrefix("https://h/organisation", "https://h/org"), false);
  assert.equal(
    pickCredentials("http://git.example.com/org/app.git", secrets),
    undefined,
    "scheme is part of it",
  );
});

test("ssh credentials match ssh URLs in either form", () => {
  const creds = pickCredentials("ssh://git@git.example.com/org/app.git", secrets);
  assert.equal(creds?.secretName, "tether/ssh");
  assert.equal(creds?.sshPrivateKey, "KEY");
  assert.equal(creds?.knownHosts, "HOSTS");
  assert.equal(pickCredentials("git@git.example.com:org/app.git", secrets)?.secretName, "tether/ssh");
});

test("stringData is read too; unusable Secrets and URLs are ignored; no match is undefined", () => {
  const plain: SecretLike = {
    metadata: { name: "plain", labels: { "tether.dev/secret-type": "repository" } },
    stringData: { url: "https://other.example.com/x", password: "pw" },
  };
  assert.equal(pickCredentials("https://other.example.com/x.git", [plain])?.password, "pw");
  assert.equal(pickCredentials("https://nowhere.example.com/x", secrets), undefined);
  assert.equal(pickCredentials("ext::sh", secrets), undefined);
});

test("the choice does not depend on the order of the list", () => {
  const twins = [
    secret("b", "repo-creds", { url: "https://h.example/org", password: "b" }),
    secret("a", "repo-creds", { url: "https://h.example/org/", password: "a" }),
  ];
  assert.equal(pickCredentials("https://h.example/org/x", twins)?.secretName, "tether/a");
  assert.equal(pickCredentials("https://h.example/org/x", [...twins].reverse())?.secretName, "tether/a");
});

test("credentials follow the canonical identity: dot segments get none, other spellings get the same", () => {
  for (const url of [
    "https://git.example.com/org/../team/x.git",
    "https://git.example.com/org/%2e%2e/team/x.git",
    "https://git.example.com/org/%252e%252e/team/x.git",
    "https://git.example.com/org\\..\\team/x.git",
    "https://git.example.com/org/app.git/../../team/x",
  ]) {
    assert.equal(pickCredentials(url, secrets), undefined, url);
  }
  assert.equal(
    pickCredentials("HTTPS://bot@Git.Example.com:443//org//app.git/", secrets)?.secretName,
    "tether/app",
  );
  assert.equal(pickCredentials("ssh://git@git.example.com:22/org/x.git", secrets)?.secretName, "tether/ssh");
  // A prefix Secret whose own URL holds dot segments is ignored, never widened.
  const sneaky = [secret("sneaky", "repo-creds", { url: "https://git.example.com/org/..", password: "x" })];
  assert.equal(pickCredentials("https://git.example.com/team/x.git", sneaky), undefined);
});
