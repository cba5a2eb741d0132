// The pure parts of SSO login: the oidc.config parser, the sealed login-state cookie (tamper,
// wrong key, expiry by injected clock), the return-path guard, claims → identity, and SSO groups
// signed into sessions.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  identityFromClaims,
  issueSession,
  loginStateKey,
  MAX_SESSION_GROUPS,
  OidcError,
  openLoginState,
  parseOidcConfig,
  parseSecretRef,
  readLoginStateCookie,
  safeReturnPath,
  sealLoginState,
  verifySessionToken,
} from "../../src/api/auth/index.js";

const GOOD = `name: Corp
issuer: https://idp.example.com/
clientID: tether
clientSecret: $oidc.clientSecret
redirectURL: https://tether.example.com/api/v1/auth/oidc/callback
`;

test("oidc.config: absent → off; a good config with defaults", () => {
  assert.deepEqual(parseOidcConfig(undefined), { ok: true, enabled: false });
  assert.deepEqual(parseOidcConfig({ other: "x" }), { ok: true, enabled: false });
  assert.deepEqual(parseOidcConfig({ "oidc.config": GOOD }), {
    ok: true,
    enabled: true,
    config: {
      name: "Corp",
      issuer: "https://idp.example.com",
      clientID: "tether",
      clientSecret: { secret: "tether-oidc", key: "oidc.clientSecret" },
      redirectURL: "https://tether.example.com/api/v1/auth/oidc/callback",
      requestedScopes: ["openid", "profile", "email", "groups"],
      groupsClaim: "groups",
      usernameClaim: "email",
    },
  });
  assert.deepEqual(parseSecretRef("$sso-secret:client.secret"), {
    secret: "sso-secret",
    key: "client.secret",
  });
  assert.equal(parseSecretRef("plain"), undefined);
  assert.equal(parseSecretRef("$Bad_Name:key"), undefined);
});

test("oidc.config: every problem reported; a pasted secret is refused and never echoed", () => {
  const result = parseOidcConfig({
    "oidc.config": `issuer: http://idp.example.com
clientSecret: hunter2-the-real-secret
redirectURL: https://tether.example.com/elsewhere
requestedScopes: [profile]
groupClaim: groups
`,
  });
  assert.equal(result.ok, false);
  const issues = result.ok ? [] : result.issues;
  for (const expected of [
    /groupClaim: unknown field/,
    /issuer: must be https \(plain http only on a loopback host\)/,
    /clientID: is required/,
    /clientSecret: must reference a Secret/,
    /redirectURL: the path must end with \/api\/v1\/auth\/oidc\/callback/,
    /requestedScopes: must contain openid/,
  ]) {
    assert.ok(
      issues.some((i) => expected.test(i)),
      `${expected} in ${issues.join("\n")}`,
    );
  }
  assert.ok(!issues.join("\n").includes("hunter2"));
  assert.equal(parseOidcConfig({ "oidc.config": "[a" }).ok, false);
  assert.equal(parseOidcConfig({ "oidc.config": "- a" }).ok, false);
  // Plain http is fine on loopback (development and tests).
  assert.equal(
    parseOidcConfig({ "oidc.config": GOOD.replace("https://idp.example.com/", "http://127.0.0.1:5556") }).ok,
    true,
  );
});

const KEY = loginStateKey(Buffer.alloc(32, 3));
const STATE = { state: "s", nonce: "n", verifier: "v".repeat(43), returnTo: "/apps", expiresAt: 1_000_000 };

test("login state: sealed round trip; tampered, wrong key, garbage → malformed; expiry by the clock", () => {
  const sealed = sealLoginState(STATE, KEY, (n) => Buffer.alloc(n, 9));
  assert.ok(!sealed.includes("v".repeat(10)), "the verifier is not readable in the cookie");
  assert.deepEqual(
    openLoginState(sealed, KEY, () => 999_999),
    { ok: true, value: STATE },
  );
  assert.deepEqual(
    openLoginState(sealed, KEY, () => 1_000_000),
    { ok: false, reason: "expired" },
  );
  const flipped = sealed.slice(0, 30) + (sealed[30] === "A" ? "B" : "A") + sealed.slice(31);
  assert.deepEqual(
    openLoginState(flipped, KEY, () => 0),
    { ok: false, reason: "malformed" },
  );
  assert.deepEqual(
    openLoginState(sealed, loginStateKey(Buffer.alloc(32, 4)), () => 0),
    { ok: false, reason: "malformed" },
  );
  for (const junk of ["", "!!", "AAAA", "x".repeat(5000)]) {
    assert.deepEqual(
      openLoginState(junk, KEY, () => 0),
      { ok: false, reason: "malformed" },
    );
  }
  assert.equal(readLoginStateCookie("a=1; tether_oidc=abc", false), "abc");
  assert.equal(
    readLoginStateCookie("tether_oidc=abc; tether_oidc=def", false),
    undefined,
    "repeated → refused",
  );
  assert.equal(readLoginStateCookie("tether_oidc=abc", true), undefined, "secure mode reads __Host- only");
});

test("return path: only paths on this server", () => {
  assert.equal(safeReturnPath("/applications/ns/x?tab=diff"), "/applications/ns/x?tab=diff");
  for (const bad of [
    undefined,
    "",
    "https://evil.example/",
    "//evil.example",
    "/\\evil.example",
    "evil",
    "/a\nb",
    `/${"a".repeat(1100)}`,
  ]) {
    assert.equal(safeReturnPath(bad), "/", JSON.stringify(bad));
  }
});

test("claims → identity: sso: prefix, groups list or string, unverified email and missing claim refused", () => {
  const settings = { usernameClaim: "email", groupsClaim: "groups" };
  assert.deepEqual(identityFromClaims({ sub: "1", email: "a@x", groups: ["g1", "g1", 7, "g2"] }, settings), {
    user: "sso:a@x",
    groups: ["g1", "g2"],
  });
  assert.deepEqual(identityFromClaims({ email: "admin", groups: "ops" }, settings), {
    user: "sso:admin",
    groups: ["ops"],
  });
  assert.deepEqual(identityFromClaims({ sub: "42" }, { usernameClaim: "sub", groupsClaim: "roles" }), {
    user: "sso:42",
    groups: [],
  });
  const refused = (claims: Record<string, unknown>, reason: string) =>
    assert.throws(
      () => identityFromClaims(claims, settings),
      (e) => e instanceof OidcError && e.status === 401 && e.reason === reason,
    );
  refused({ sub: "1" }, "no-username");
  refused({ email: "a@x", email_verified: false }, "email-unverified");
  refused(
    { email: "a@x", groups: Array.from({ length: MAX_SESSION_GROUPS + 1 }, (_, i) => `g${i}`) },
    "too-many-groups",
  );
});

test("sessions carry SSO groups, signed; too many groups are refused at issue", () => {
  const key = Buffer.alloc(32, 1);
  const { token, payload } = issueSession("sso:a@x", key, { now: () => 0, groups: ["team-a"] });
  assert.deepEqual(payload.groups, ["team-a"]);
  assert.deepEqual(verifySessionToken(token, { current: key }, { now: () => 1000 }), {
    ok: true,
    session: payload,
  });
  // Altering the groups breaks the signature.
  const [body = "", sig = ""] = token.split(".");
  const forged = Buffer.from(Buffer.from(body, "base64url").toString().replace("team-a", "admins")).toString(
    "base64url",
  );
  assert.equal(verifySessionToken(`${forged}.${sig}`, { current: key }, { now: () => 1000 }).ok, false);
  assert.throws(() =>
    issueSession("u", key, { now: () => 0, groups: Array.from({ length: 101 }, (_, i) => `g${i}`) }),
  );
  assert.throws(
    () =>
      issueSession("u", key, { now: () => 0, groups: Array.from({ length: 100 }, () => "g".repeat(200)) }),
    /over 3800/,
  );
});
