// SSO login against a REAL OpenID provider (the `oidc-provider` package on 127.0.0.1, a random
// port, its development login and consent pages), driven browser-less: fetch with manual redirects
// and cookies, exactly the requests a browser makes. Tether runs with auth on against the real
// control plane; the groups claim is mapped to an RBAC role through the tether-rbac ConfigMap.
//
// Bad input: wrong state, a replayed code, an absent / expired (injected clock) / altered login
// cookie, the provider refusing the login, and the provider down. No answer carries the client
// secret, the code or the PKCE verifier.
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import Provider from "oidc-provider";
import type { LoginState } from "../../src/api/auth/index.js";
import { loginStateKey, openLoginState, sealLoginState } from "../../src/api/auth/index.js";
import type { AuthConfig, ApplicationList, SessionInfo } from "../../src/api/types.js";
import type { AuthApiFixture } from "../helpers/api.js";
import { startAuthApi } from "../helpers/api.js";
import { clients } from "../helpers/environment.js";

const CLIENT_ID = "tether-test";
const CLIENT_SECRET = "client-secret-canary-7c1d0e";
const POLICY = `
roles:
  - name: a-viewer
    rules:
      - actions: [get]
        projects: [a]
        applications: ["*/*"]
bindings:
  - role: a-viewer
    groups: [team-a]
`;
const ACCOUNTS: Record<string, Record<string, unknown>> = {
  alice: { email: "alice@example.com", email_verified: true, groups: ["team-a", "everyone"] },
  mallory: { email: "mallory@example.com", email_verified: true, groups: ["everyone"] },
};

/** A cookie jar good enough for one host: name → value, deletions honoured, paths ignored. */
class Jar {
  readonly cookies = new Map<string, string>();
  take(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair = "", ...attributes] = line.split(";");
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a) || /^\s*expires=.*1970/i.test(a));
      if (expired || value === "") this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }
}

interface Provided {
  server: http.Server;
  issuer: string;
}

async function startProvider(redirectUri: string): Promise<Provided> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        redirect_uris: [redirectUri],
        grant_types: ["authorization_code"],
        response_types: ["code"],
        token_endpoint_auth_method: "client_secret_post",
      },
    ],
    jwks: { keys: [{ ...privateKey.export({ format: "jwk" }), kid: "test", use: "sig", alg: "RS256" }] },
    cookies: { keys: ["test-cookie-signing-key"] },
    scopes: ["openid", "profile", "email", "groups"],
    claims: { openid: ["sub"], email: ["email", "email_verified"], groups: ["groups"] },
    // Claims in the ID token itself (Tether reads groups from it, like Argo CD).
    conformIdTokenClaims: false,
    findAccount: (_ctx, id) => ({
      accountId: id,
      claims: () => ({ sub: `${id}-sub`, ...(ACCOUNTS[id] ?? {}) }),
    }),
    features: { devInteractions: { enabled: true } },
  });
  const handle = provider.callback();
  server.on("request", (req: http.IncomingMessage, res: http.ServerResponse) => void handle(req, res));
  return { server, issuer };
}

describe("api: OIDC login with a real provider", () => {
  let fx: AuthApiFixture;
  let idp: Provided;
  let redirectUri: string;
  const logs: string[] = [];

  const oidcConfig = (issuer: string) => `name: Test IdP
issuer: ${issuer}
clientID: ${CLIENT_ID}
clientSecret: $oidc.clientSecret
redirectURL: ${redirectUri}
requestedScopes: [openid, email, groups]
groupsClaim: groups
`;
  const setOidcConfig = async (text: string) => {
    const body = { metadata: { name: "tether-oidc" }, data: { "oidc.config": text } };
    await clients()
      .core.replaceNamespacedConfigMap({ name: "tether-oidc", namespace: fx.systemNs, body })
      .catch(() => clients().core.createNamespacedConfigMap({ namespace: fx.systemNs, body }));
  };

  /** Logs `account` in at the provider; returns the callback URL the provider sends the browser to. */
  async function authorize(account: string, options: { abort?: boolean } = {}) {
    const tether = new Jar();
    const start = await fetch(`${fx.api.url}/api/v1/auth/oidc/login?return=/applications/x`, {
      redirect: "manual",
    });
    assert.equal(start.status, 303, await start.text());
    tether.take(start);
    assert.ok(tether.cookies.has("tether_oidc"), "login-state cookie set");
    assert.match(start.headers.getSetCookie()[0] ?? "", /HttpOnly; SameSite=Lax; Max-Age=600/);
    const authorizeUrl = new URL(start.headers.get("location") ?? "");
    assert.equal(authorizeUrl.origin, idp.issuer);
    assert.equal(authorizeUrl.searchParams.get("code_challenge_method"), "S256");
    for (const p of ["state", "nonce", "code_challenge"]) assert.ok(authorizeUrl.searchParams.get(p), p);

    const jar = new Jar();
    let url = authorizeUrl.href;
    for (let hop = 0; hop < 12; hop++) {
      if (url.startsWith(redirectUri)) return { callback: url, tether };
      const interaction = /\/interaction\/[^/?]+$/.test(new URL(url).pathname);
      let response = await fetch(url, { redirect: "manual", headers: { cookie: jar.header() } });
      jar.take(response);
      if (interaction) {
        const page = await response.text();
        const prompt = /name="prompt" value="(\w+)"/.exec(page)?.[1];
        const form = options.abort
          ? undefined
          : new URLSearchParams(
              prompt === "login" ? { prompt, login: account, password: "any" } : { prompt: prompt ?? "" },
            );
        response = form
          ? await fetch(url, {
              method: "POST",
              redirect: "manual",
              headers: { cookie: jar.header(), "content-type": "application/x-www-form-urlencoded" },
              body: form,
            })
          : await fetch(`${url}/abort`, { redirect: "manual", headers: { cookie: jar.header() } });
        jar.take(response);
      }
      assert.ok([302, 303].includes(response.status), `${url}: ${response.status} ${await response.text()}`);
      url = new URL(response.headers.get("location") ?? "", url).href;
    }
    throw new Error("the provider never redirected back to Tether");
  }

  async function callback(url: string, cookie: string) {
    const response = await fetch(url, { redirect: "manual", headers: { cookie } });
    const text = await response.text();
    for (const secret of [CLIENT_SECRET, new URL(url).searchParams.get("code") ?? "no-code"]) {
      assert.ok(!text.includes(secret), `the answer leaks a secret: ${text}`);
    }
    return { response, text, body: text ? (JSON.parse(text) as { error?: { message: string } }) : undefined };
  }

  before(async () => {
    fx = await startAuthApi("oidc", POLICY, { log: (line) => logs.push(line) });
    redirectUri = `${fx.api.url}/api/v1/auth/oidc/callback`;
    idp = await startProvider(redirectUri);
    await clients().core.createNamespacedSecret({
      namespace: fx.systemNs,
      body: { metadata: { name: "tether-oidc" }, stringData: { "oidc.clientSecret": CLIENT_SECRET } },
    });
  });
  after(async () => {
    idp?.server.closeAllConnections();
    await new Promise((resolve) => idp?.server.close(resolve));
    await fx?.stop();
  });

  test("auth config: SSO off without oidc.config, on with it, in the shape the UI reads", async () => {
    const off = await fx.call("GET", "/api/v1/auth/config");
    assert.equal(off.status, 200);
    assert.deepEqual(off.body, {
      local: true,
      oidc: { enabled: false, name: "", loginUrl: "/api/v1/auth/oidc/login" },
    });
    assert.equal((await fx.call("GET", "/api/v1/auth/oidc/login")).status, 404);

    // A client secret pasted into the ConfigMap is refused (SSO stays off) and never echoed.
    await setOidcConfig(oidcConfig(idp.issuer).replace("$oidc.clientSecret", CLIENT_SECRET));
    assert.equal(((await fx.call("GET", "/api/v1/auth/config")).body as AuthConfig).oidc.enabled, false);
    assert.ok(
      logs.some((l) => l.includes("clientSecret: must reference a Secret")),
      logs.join("\n"),
    );
    assert.ok(!logs.join("\n").includes(CLIENT_SECRET));

    await setOidcConfig(oidcConfig(idp.issuer));
    const on = await fx.call("GET", "/api/v1/auth/config");
    assert.deepEqual(on.body, {
      local: true,
      oidc: { enabled: true, name: "Test IdP", loginUrl: "/api/v1/auth/oidc/login" },
    } satisfies AuthConfig);
  });

  test("full login: provider login + consent → Tether session; groups claim grants the RBAC role", async () => {
    const { callback: url, tether } = await authorize("alice");
    const done = await callback(url, tether.header());
    assert.equal(done.response.status, 303, done.text);
    assert.equal(done.response.headers.get("location"), "/applications/x");
    tether.take(done.response);
    assert.ok(!tether.cookies.has("tether_oidc"), "the login-state cookie is cleared");
    const session = tether.cookies.get("tether_session");
    assert.ok(session, "session cookie set");
    assert.match(
      done.response.headers.getSetCookie().join("\n"),
      /tether_session=[^;]+; Path=\/; HttpOnly; SameSite=Lax/,
    );

    const cookie = `tether_session=${session}`;
    const me = await fx.call("GET", "/api/v1/session", { headers: { cookie } });
    assert.equal(me.status, 200);
    const info = me.body as SessionInfo;
    assert.equal(info.user, "sso:alice@example.com");
    assert.deepEqual(info.groups, ["team-a", "everyone"]);
    assert.equal(info.via, "session-cookie");
    const list = await fx.call("GET", "/api/v1/applications", { headers: { cookie } });
    assert.equal(list.status, 200);
    assert.deepEqual(
      (list.body as ApplicationList).items.map((a) => a.name),
      ["in-a"],
    );
    assert.equal(
      (await fx.call("GET", `/api/v1/applications/${fx.appNs}/in-b`, { headers: { cookie } })).status,
      404,
    );
    // Like a local session: state changes need the CSRF token; a refresh is a `get` right.
    const refresh = `/api/v1/applications/${fx.appNs}/in-a/refresh`;
    assert.equal((await fx.call("POST", refresh, { headers: { cookie } })).status, 403);
    assert.equal(
      (await fx.call("POST", refresh, { headers: { cookie, "x-csrf-token": info.csrfToken ?? "" } })).status,
      202,
    );

    // Someone outside team-a logs in fine but sees nothing.
    const other = await authorize("mallory");
    const second = await callback(other.callback, other.tether.header());
    assert.equal(second.response.status, 303, second.text);
    other.tether.take(second.response);
    const theirs = await fx.call("GET", "/api/v1/applications", {
      headers: { cookie: `tether_session=${other.tether.cookies.get("tether_session")}` },
    });
    assert.deepEqual((theirs.body as ApplicationList).items, []);
  });

  test("wrong state → 400 and no session; the login cookie is cleared", async () => {
    const { callback: url, tether } = await authorize("alice");
    const forged = new URL(url);
    forged.searchParams.set("state", "attacker-state");
    const reply = await callback(forged.href, tether.header());
    assert.equal(reply.response.status, 400, reply.text);
    assert.match(reply.body?.error?.message ?? "", /state parameter does not match/);
    assert.ok(!reply.response.headers.getSetCookie().some((c) => c.startsWith("tether_session=")));
    assert.match(reply.response.headers.getSetCookie().join(), /tether_oidc=; .*Max-Age=0/);
  });

  test("replayed code → 401 from the provider's refusal; no second session", async () => {
    const { callback: url, tether } = await authorize("alice");
    const first = await callback(url, tether.header());
    assert.equal(first.response.status, 303, first.text);
    // An attacker who captured the redirect URL and the login cookie tries it again.
    const again = await callback(url, tether.header());
    assert.equal(again.response.status, 401, again.text);
    assert.match(again.body?.error?.message ?? "", /refused the authorization code: invalid_grant/);
    assert.ok(!again.response.headers.getSetCookie().some((c) => c.startsWith("tether_session=")));
  });

  test("absent, expired (injected clock) or altered login cookie → 400 naming the problem", async () => {
    const { callback: url, tether } = await authorize("alice");
    const absent = await callback(url, "");
    assert.equal(absent.response.status, 400);
    assert.match(absent.body?.error?.message ?? "", /no login in progress/);

    const sealed = tether.cookies.get("tether_oidc") ?? "";
    const altered = sealed.slice(0, 20) + (sealed[20] === "A" ? "B" : "A") + sealed.slice(21);
    const bad = await callback(url, `tether_oidc=${altered}`);
    assert.equal(bad.response.status, 400);
    assert.match(bad.body?.error?.message ?? "", /login cookie is invalid/);

    fx.skewMs = 10 * 60_000 + 1;
    try {
      const expired = await callback(url, tether.header());
      assert.equal(expired.response.status, 400, expired.text);
      assert.match(expired.body?.error?.message ?? "", /longer than 10 minutes/);
    } finally {
      fx.skewMs = 0;
    }
    // The same cookie is still good within its 10 minutes: nothing above consumed the code.
    const ok = await callback(url, tether.header());
    assert.equal(ok.response.status, 303, ok.text);
  });

  test("nonce and PKCE are enforced: a login cookie resealed with another nonce or verifier → 401", async () => {
    // Only someone holding the server key can reseal the cookie; the test does, to prove the checks bite.
    const key = loginStateKey(await fx.sessionKey());
    const reseal = (sealed: string, change: Partial<LoginState>) => {
      const opened = openLoginState(sealed, key, Date.now);
      assert.ok(opened.ok);
      return `tether_oidc=${sealLoginState({ ...opened.value, ...change }, key)}`;
    };
    const nonce = await authorize("alice");
    const badNonce = await callback(
      nonce.callback,
      reseal(nonce.tether.cookies.get("tether_oidc") ?? "", { nonce: "another-nonce" }),
    );
    assert.equal(badNonce.response.status, 401, badNonce.text);
    assert.match(badNonce.body?.error?.message ?? "", /the ID token was rejected: .*nonce/);

    const pkce = await authorize("alice");
    const badVerifier = await callback(
      pkce.callback,
      reseal(pkce.tether.cookies.get("tether_oidc") ?? "", { verifier: "x".repeat(43) }),
    );
    assert.equal(badVerifier.response.status, 401, badVerifier.text);
    assert.match(badVerifier.body?.error?.message ?? "", /refused the authorization code: invalid_grant/);
    for (const reply of [badNonce, badVerifier]) {
      assert.ok(!reply.response.headers.getSetCookie().some((c) => c.startsWith("tether_session=")));
    }
  });

  test("the user refuses at the provider → 401 with the provider's error code", async () => {
    const { callback: url, tether } = await authorize("alice", { abort: true });
    assert.equal(new URL(url).searchParams.get("error"), "access_denied");
    const reply = await callback(url, tether.header());
    assert.equal(reply.response.status, 401, reply.text);
    assert.match(reply.body?.error?.message ?? "", /refused the login: access_denied/);
  });

  // Last: it stops the provider.
  test("provider down → 502 naming the issuer; the client secret is never shown", async () => {
    const { callback: url, tether } = await authorize("alice");
    idp.server.closeAllConnections();
    await new Promise((resolve) => idp.server.close(resolve));
    const reply = await callback(url, tether.header());
    assert.equal(reply.response.status, 502, reply.text);
    assert.match(
      reply.body?.error?.message ?? "",
      new RegExp(`cannot reach the OIDC provider ${idp.issuer}`),
    );
    // A provider that cannot even be discovered: the login itself answers 502.
    await setOidcConfig(oidcConfig(idp.issuer.replace(/:\d+$/, ":1")));
    const login = await fx.call("GET", "/api/v1/auth/oidc/login");
    assert.equal(login.status, 502, login.text);
    assert.match(
      (login.body as { error: { message: string } }).error.message,
      /cannot use the OIDC provider http:\/\/127\.0\.0\.1:1/,
    );
    assert.ok(!login.text.includes(CLIENT_SECRET));
  });
});
