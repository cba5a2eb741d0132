// Local accounts from ConfigMap tether-accounts (accounts.ts): the argocd-cm shape, defaults for
// admin, and every bad entry named by ConfigMap and key while only that account is disabled.
import assert from "node:assert/strict";
import { test } from "node:test";
import { accountAllows, isLocalSubject, parseAccountsConfigMap } from "../../src/api/auth/accounts.js";

const caps = (config: ReturnType<typeof parseAccountsConfigMap>, name: string) =>
  [...(config.accounts.get(name)?.capabilities ?? [])].sort();

test("accounts.<name> declares capabilities; admin is declared with login and apiKey by default", () => {
  const config = parseAccountsConfigMap({
    "accounts.alice": "login, apiKey",
    "accounts.ci": "apiKey",
    "accounts.bob": "login",
    "accounts.bob.enabled": "false",
  });
  assert.deepEqual(config.issues, []);
  assert.deepEqual([...config.accounts.keys()], ["admin", "alice", "bob", "ci"]);
  assert.deepEqual(caps(config, "alice"), ["apiKey", "login"]);
  assert.deepEqual(caps(config, "admin"), ["apiKey", "login"]);
  assert.equal(config.accounts.get("bob")?.enabled, false);
  assert.equal(accountAllows(config, "alice", "login").ok, true);
  assert.equal(accountAllows(config, "ci", "login").ok, false, "no login capability");
  assert.equal(accountAllows(config, "ci", "apiKey").ok, true);
  assert.match(String((accountAllows(config, "bob", "login") as { reason: string }).reason), /disabled/);
  assert.match(
    String((accountAllows(config, "zed", "login") as { reason: string }).reason),
    /not declared in ConfigMap tether-accounts/,
  );
});

test("an absent ConfigMap: admin only; admin can be narrowed or disabled", () => {
  assert.deepEqual([...parseAccountsConfigMap(undefined).accounts.keys()], ["admin"]);
  const narrowed = parseAccountsConfigMap({ "accounts.admin": "login", "accounts.admin.enabled": "false" });
  assert.deepEqual(caps(narrowed, "admin"), ["login"]);
  assert.equal(narrowed.accounts.get("admin")?.enabled, false);
});

test("bad entries name the ConfigMap and key; only that account is disabled, the others work", () => {
  const config = parseAccountsConfigMap({
    "accounts.alice": "login",
    "accounts.bob": "login, fly",
    "accounts.carol": "login",
    "accounts.carol.enabled": "maybe",
    "accounts.Bad Name": "login",
    "accounts.ghost.enabled": "true",
    "users.dave": "login",
  });
  const issues = config.issues.join("\n");
  assert.match(issues, /ConfigMap tether-accounts key accounts\.bob: unknown capabilities "fly"/);
  assert.match(
    issues,
    /ConfigMap tether-accounts key accounts\.carol\.enabled: must be "true" or "false", not "maybe"/,
  );
  assert.match(issues, /key accounts\.Bad Name: "Bad Name" is not a valid account name/);
  assert.match(issues, /key accounts\.ghost\.enabled: no account ghost is declared/);
  assert.match(issues, /key users\.dave: unknown key/);
  assert.equal(config.accounts.get("bob")?.enabled, false);
  assert.match(config.accounts.get("bob")?.problem ?? "", /accounts\.bob/);
  assert.equal(config.accounts.get("carol")?.enabled, false);
  assert.equal(accountAllows(config, "alice", "login").ok, true);
  assert.equal(config.accounts.has("Bad Name"), false);
});

test("SSO subjects are never local accounts (names cannot hold ':')", () => {
  assert.equal(isLocalSubject("sso:alice"), false);
  assert.equal(isLocalSubject("alice"), true);
  assert.equal(parseAccountsConfigMap({ "accounts.sso:alice": "login" }).accounts.has("sso:alice"), false);
});
