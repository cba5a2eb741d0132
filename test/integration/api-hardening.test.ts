// The API's weak spots of issue 17, against the real control plane and the real API server with
// authentication on (no controller: nothing acts on the requests, which lets an app stay "stuck"):
//   - request annotations (tether.dev/sync, rollback, refresh) in a PUT or POST need the matching
//     right, and Tether's own marks cannot be set through the API;
//   - DELETE answers what is true: 200 Deleted, 202 Deleting; cascade=false frees a stuck cascade;
//   - an open event stream ends when its token is revoked, its session logged out or the password changed;
//   - /metrics names an app only to a caller whose credentials may `get` it.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { mintApiToken } from "../../src/api/authn.js";
import type { ApplicationDetail } from "../../src/api/types.js";
import { waitFor } from "../../src/lib/wait.js";
import type { Application } from "../../src/model/application.js";
import { APP_GROUP } from "../helpers/app.js";
import type { AuthApiFixture } from "../helpers/api.js";
import { bearer, openStream, startAuthApi } from "../helpers/api.js";
import { clients } from "../helpers/environment.js";

const POLICY = `
roles:
  - name: a-editor
    rules:
      - actions: [get, update, create]
        projects: [a]
        applications: ["*/*"]
  - name: a-operator
    rules:
      - actions: [get, update, sync, rollback]
        projects: [a]
        applications: ["*/*"]
  - name: b-viewer
    rules:
      - actions: [get]
        projects: [b]
        applications: ["*/*"]
bindings:
  - role: a-editor
    users: [alice]
  - role: a-operator
    users: [carol]
  - role: b-viewer
    users: [bob]
`;

describe("api: request annotations, truthful DELETE, streams closed on revocation, metrics by RBAC", () => {
  let fx: AuthApiFixture;
  let alice: Record<string, string>;
  let carol: Record<string, string>;
  let bob: Record<string, string>;
  let admin: Record<string, string>;
  let adminPassword: string;

  const appPath = (name: string, rest = "") => `/api/v1/applications/${fx.appNs}/${name}${rest}`;
  const readApp = async (name: string) =>
    (await clients().custom.getNamespacedCustomObject({
      ...APP_GROUP,
      namespace: fx.appNs,
      name,
    })) as Application;
  /** A PUT body from the app as it is now, with these annotations (or none: the key left out). */
  const putBody = async (
    name: string,
    annotations?: Record<string, string>,
    labels?: Record<string, string>,
  ) => {
    const detail = (await fx.call("GET", appPath(name), { headers: admin })).body as ApplicationDetail;
    return {
      metadata: {
        name,
        namespace: fx.appNs,
        ...(annotations ? { annotations } : {}),
        ...(labels ? { labels } : {}),
      },
      spec: detail.spec,
    };
  };
  const login = async (password: string) => {
    const reply = await fx.call("POST", "/api/v1/session", { body: { username: "admin", password } });
    assert.equal(reply.status, 200, reply.text);
    return bearer((reply.body as { token: string }).token);
  };

  before(async () => {
    fx = await startAuthApi("harden", POLICY);
    adminPassword = (await fx.auth.initialAdminPassword()) ?? "";
    admin = await login(adminPassword);
    alice = bearer(await mintApiToken(clients(), fx.systemNs, { owner: "alice", roles: ["a-editor"] }));
    carol = bearer(await mintApiToken(clients(), fx.systemNs, { owner: "carol", roles: ["a-operator"] }));
    bob = bearer(await mintApiToken(clients(), fx.systemNs, { owner: "bob", roles: ["b-viewer"] }));
  });
  after(async () => {
    await fx?.stop();
  });

  test("PUT/POST: tether.dev/sync and rollback need sync and rollback; refresh needs get; Tether's marks are refused", async () => {
    for (const [key, value] of [
      ["tether.dev/sync", "true"],
      ["tether.dev/rollback", "1"],
    ] as const) {
      const reply = await fx.call("PUT", appPath("in-a"), {
        headers: alice,
        body: await putBody("in-a", { [key]: value }),
      });
      assert.equal(reply.status, 403, reply.text);
      assert.equal((reply.body as { error: { field?: string } }).error.field, `metadata.annotations.${key}`);
      assert.equal((await readApp("in-a")).metadata.annotations?.[key], undefined, `${key} was not written`);
    }
    const refresh = await fx.call("PUT", appPath("in-a"), {
      headers: alice,
      body: await putBody("in-a", { "tether.dev/refresh": "hard", team: "a" }),
    });
    assert.equal(refresh.status, 200, refresh.text);

    // Carol may sync: her request is written; alice's later edit (not naming it) keeps it pending.
    const sync = await fx.call("PUT", appPath("in-a"), {
      headers: carol,
      body: await putBody("in-a", { "tether.dev/sync": "true" }),
    });
    assert.equal(sync.status, 200, sync.text);
    const edit = await fx.call("PUT", appPath("in-a"), {
      headers: alice,
      body: await putBody("in-a", { team: "a2" }),
    });
    assert.equal(edit.status, 200, edit.text);
    const annotations = (await readApp("in-a")).metadata.annotations ?? {};
    assert.equal(
      annotations["tether.dev/sync"],
      "true",
      "a pending request survives an edit that leaves it out",
    );
    assert.equal(annotations["team"], "a2");
    // Changing the pending request's value is a new request: sync needed again.
    const changed = await fx.call("PUT", appPath("in-a"), {
      headers: alice,
      body: await putBody("in-a", { "tether.dev/sync": '{"prune":true}' }),
    });
    assert.equal(changed.status, 403, changed.text);

    // Tether's own marks decide what owns an app (a parent app's prune, an ApplicationSet).
    const tracking = await fx.call("PUT", appPath("in-a"), {
      headers: carol,
      body: await putBody("in-a", { "tether.dev/tracking-id": "x/parent:tether.dev/Application:x/in-a" }),
    });
    assert.equal(tracking.status, 403, tracking.text);
    assert.equal(
      (tracking.body as { error: { field?: string } }).error.field,
      "metadata.annotations.tether.dev/tracking-id",
    );
    const label = await fx.call("PUT", appPath("in-a"), {
      headers: carol,
      body: await putBody("in-a", undefined, { "tether.dev/application-set": "other" }),
    });
    assert.equal(label.status, 403, label.text);

    // A create carrying a sync request needs sync too.
    const spec = (await putBody("in-a")).spec;
    const created = await fx.call("POST", "/api/v1/applications", {
      headers: alice,
      body: {
        metadata: { name: "new-a", namespace: fx.appNs, annotations: { "tether.dev/sync": "true" } },
        spec,
      },
    });
    assert.equal(created.status, 403, created.text);
    const plain = await fx.call("POST", "/api/v1/applications", {
      headers: alice,
      body: { metadata: { name: "new-a", namespace: fx.appNs }, spec },
    });
    assert.equal(plain.status, 201, plain.text);
  });

  test("DELETE answers what is true: a stuck cascade freed by cascade=false is 200 Deleted, not 404", async () => {
    const first = await fx.call("DELETE", appPath("in-b", "?cascade=true"), { headers: admin });
    assert.equal(first.status, 202, first.text);
    assert.equal(
      (first.body as { state: string }).state,
      "Deleting",
      "no controller: the cascade finalizer holds it",
    );
    assert.equal((await fx.call("DELETE", appPath("in-b", "?cascade=true"), { headers: admin })).status, 202);
    const freed = await fx.call("DELETE", appPath("in-b", "?cascade=false"), { headers: admin });
    assert.equal(freed.status, 200, freed.text);
    assert.deepEqual(freed.body, { deleted: `${fx.appNs}/in-b`, cascade: false, state: "Deleted" });
    assert.equal((await fx.call("GET", appPath("in-b"), { headers: admin })).status, 404);
    assert.equal((await fx.call("DELETE", appPath("in-b"), { headers: admin })).status, 404, "gone is gone");

    // Held by someone else's finalizer, deleted without cascade: cascade cannot be turned on now.
    const spec = (await putBody("in-a")).spec;
    await clients().custom.createNamespacedCustomObject({
      ...APP_GROUP,
      namespace: fx.appNs,
      body: {
        apiVersion: "tether.dev/v1alpha1",
        kind: "Application",
        metadata: { name: "held", namespace: fx.appNs, finalizers: ["example.com/hold"] },
        spec,
      },
    });
    const held = await fx.call("DELETE", appPath("held", "?cascade=false"), { headers: admin });
    assert.equal(held.status, 202, held.text);
    assert.equal((held.body as { state: string }).state, "Deleting");
    const late = await fx.call("DELETE", appPath("held", "?cascade=true"), { headers: admin });
    assert.equal(late.status, 409, late.text);
    assert.equal((late.body as { error: { field?: string } }).error.field, "cascade");
    await clients().custom.patchNamespacedCustomObject({
      ...APP_GROUP,
      namespace: fx.appNs,
      name: "held",
      body: [{ op: "remove", path: "/metadata/finalizers" }],
    });
  });

  test("/metrics: anonymous gets no per-app series; a token gets the apps it may get; a bad token 401", async () => {
    const anonymous = await fx.call("GET", "/metrics");
    assert.equal(anonymous.status, 200);
    assert.match(anonymous.text, /# TYPE tether_app_info gauge/);
    assert.doesNotMatch(anonymous.text, /name="in-a"/);
    assert.match(anonymous.text, /tether_api_request_duration_seconds_count/);
    const asBob = await fx.call("GET", "/metrics", { headers: bob });
    assert.equal(asBob.status, 200, asBob.text);
    assert.doesNotMatch(asBob.text, /name="in-a"/, "bob may not see project a");
    const asCarol = await fx.call("GET", "/metrics", { headers: carol });
    assert.match(
      asCarol.text,
      new RegExp(`tether_app_info\\{namespace="${fx.appNs}",name="in-a",project="a"`),
    );
    assert.equal((await fx.call("GET", "/metrics", { headers: bearer("tether_nope_nope") })).status, 401);
  });

  test("event streams end when the token is revoked, the session logged out, the password changed", async () => {
    // An API token, revoked through the API.
    const created = await fx.call("POST", "/api/v1/tokens", { headers: admin, body: { roles: ["admin"] } });
    assert.equal(created.status, 201, created.text);
    const { id, token } = created.body as { id: string; token: string };
    const byToken = await openStream(fx.api.url, bearer(token));
    await waitFor("the token's stream to be ready", () => byToken.text().includes("event: ready"), {
      timeoutMs: 20_000,
    });
    assert.equal((await fx.call("DELETE", `/api/v1/tokens/${id}`, { headers: admin })).status, 200);
    // A change after the revocation: the stream must not deliver it.
    await clients().custom.patchNamespacedCustomObject({
      ...APP_GROUP,
      namespace: fx.appNs,
      name: "in-a",
      body: [{ op: "add", path: "/metadata/labels", value: { after: "revocation-canary" } }],
    });
    await byToken.ended;
    assert.match(byToken.text(), /event: revoked/);
    assert.doesNotMatch(byToken.text(), /revocation-canary/);

    // A session, logged out.
    const session = await login(adminPassword);
    const bySession = await openStream(fx.api.url, session);
    await waitFor("the session's stream to be ready", () => bySession.text().includes("event: ready"), {
      timeoutMs: 20_000,
    });
    assert.equal((await fx.call("DELETE", "/api/v1/session", { headers: session })).status, 200);
    await bySession.ended;
    assert.match(bySession.text(), /event: revoked/);

    // The password changed: every earlier session's stream ends (last: it changes the password).
    const before = await openStream(fx.api.url, admin);
    await waitFor("the admin's stream to be ready", () => before.text().includes("event: ready"), {
      timeoutMs: 20_000,
    });
    const changed = await fx.call("PUT", "/api/v1/account/password", {
      headers: admin,
      body: { currentPassword: adminPassword, newPassword: "a-new-password-for-this-test" },
    });
    assert.equal(changed.status, 200, changed.text);
    await before.ended;
    assert.match(before.text(), /event: revoked/);
  });
});
