// The web UI's safety and usability against the real API server: static serving (content types,
// SPA fallback, CSP, confinement), the SSO button only for an announced provider with an http(s)
// or same-origin login URL, hostile markup in commit messages, authors, specs and API errors
// rendered as text (no element, no script, no dialog), the create/edit form showing the API's
// field-naming messages next to the field, and keyboard use with labelled controls.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Page } from "playwright-core";
import type { GitWorkspace } from "../../src/localcluster/gitrepo.js";
import { configMap, deployment, IN_CLUSTER } from "../helpers/app.js";
import { clients } from "../helpers/environment.js";
import type { UiFixture } from "./fixture.js";
import { startUiFixture } from "./fixture.js";

// No double quotes: messages that quote a value JSON-style would escape them.
const MARKUP = `<img src=x onerror=alert(document.domain)><script>alert(document.cookie)</script>`;

/** No element or script the hostile text would have made, and nothing it would have run. */
async function assertInert(ui: UiFixture, page: Page): Promise<void> {
  assert.equal(await page.locator('img[src="x"]').count(), 0, "no <img> from user text");
  const scripts = await page.locator("script").evaluateAll((els) => els.map((e) => e.textContent ?? ""));
  assert.ok(!scripts.some((s) => s.includes("alert(")), "no <script> from user text");
  assert.equal(await page.evaluate(() => (window as unknown as { xssFired?: boolean }).xssFired), undefined);
  assert.deepEqual(ui.dialogs, [], "no dialog fired");
}

/** Every form control and button has an accessible name (label, aria-label or text). */
async function unlabelled(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const missing: string[] = [];
    for (const el of document.querySelectorAll<HTMLElement>("input, select, textarea, button, a[href]")) {
      const labels = (el as HTMLInputElement).labels;
      const named =
        (labels && labels.length > 0 && [...labels].some((l) => (l.textContent ?? "").trim() !== "")) ||
        (el.getAttribute("aria-label") ?? "").trim() !== "" ||
        el.hasAttribute("aria-labelledby") ||
        ((el.tagName === "BUTTON" || el.tagName === "A") && (el.textContent ?? "").trim() !== "");
      if (!named) missing.push(el.outerHTML.slice(0, 120));
    }
    return missing;
  });
}

describe("ui: serving, SSO button, hostile input as text, form errors, keyboard and labels", () => {
  let ui: UiFixture;
  let url: string;
  let ws: GitWorkspace;
  let dest: string;

  before(async () => {
    ui = await startUiFixture("ui-safety");
    ({ url, ws } = await ui.fx.repository("safe", {
      "cfg/settings.yaml": configMap("settings", { level: "1" }),
    }));
    dest = await ui.fx.namespace("ui-safe");
    await ui.fx.createApp("xss", {
      source: { repoURL: url, targetRevision: "main", path: "cfg" },
      destination: { server: IN_CLUSTER, namespace: dest },
      syncPolicy: { automated: { prune: true } },
    });
    // A path full of markup: the render fails and the condition message quotes it.
    await ui.fx.createApp("xss-path", {
      source: { repoURL: url, targetRevision: "main", path: MARKUP },
      destination: { server: IN_CLUSTER, namespace: dest },
    });
  });
  after(async () => {
    await ui?.stop();
  });

  test("static serving: index.html with CSP, asset content types, SPA fallback, API 404s stay JSON, confinement", async () => {
    const index = await fetch(`${ui.api.url}/`);
    assert.equal(index.status, 200);
    assert.match(index.headers.get("content-type") ?? "", /^text\/html/);
    const csp = index.headers.get("content-security-policy") ?? "";
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.equal(index.headers.get("x-content-type-options"), "nosniff");
    const html = await index.text();
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    assert.ok(script, html);
    const js = await fetch(`${ui.api.url}${script}`);
    assert.equal(js.status, 200);
    assert.match(js.headers.get("content-type") ?? "", /^text\/javascript/);
    assert.match(js.headers.get("cache-control") ?? "", /immutable/);
    const deep = await fetch(`${ui.api.url}/applications/some-ns/some-app/history`);
    assert.equal(deep.status, 200);
    assert.match(await deep.text(), /<div id="root">/);
    assert.equal((await fetch(`${ui.api.url}/assets/missing.js`)).status, 404);
    const api404 = await fetch(`${ui.api.url}/api/nope`);
    assert.equal(api404.status, 404);
    assert.match(api404.headers.get("content-type") ?? "", /json/);
    assert.equal(
      (await fetch(`${ui.api.url}/api/v1/applications`)).status,
      401,
      "the API still needs a login",
    );
    for (const probe of [
      "/..%2f..%2fpackage.json",
      "/assets/..%2f..%2f..%2fpackage.json",
      "/%2e%2e/%2e%2e/package.json",
    ]) {
      const reply = await fetch(`${ui.api.url}${probe}`);
      assert.ok(!(await reply.text()).includes('"name": "tether"'), `${probe} must not leave dist/ui`);
    }
  });

  test("SSO button: absent when /api/v1/auth/config is missing; shown for an announced provider; never a javascript: link", async () => {
    const page = await ui.context.newPage();
    try {
      await page.goto("/");
      await page.getByRole("button", { name: "Sign in" }).waitFor();
      assert.equal(await page.getByRole("link", { name: /Log in with/ }).count(), 0);

      await page.route("**/api/v1/auth/config", (route) =>
        route.fulfill({
          json: { oidc: { enabled: true, name: "Example SSO", loginUrl: "/api/v1/auth/oidc/login" } },
        }),
      );
      await page.reload();
      const sso = page.getByRole("link", { name: "Log in with Example SSO" });
      await sso.waitFor();
      assert.equal(await sso.getAttribute("href"), `${ui.api.url}/api/v1/auth/oidc/login`);

      await page.unroute("**/api/v1/auth/config");
      await page.route("**/api/v1/auth/config", (route) =>
        route.fulfill({ json: { oidc: { enabled: true, name: MARKUP, loginUrl: "javascript:alert(1)" } } }),
      );
      await page.reload();
      await page.getByRole("button", { name: "Sign in" }).waitFor();
      await page.waitForLoadState("networkidle");
      assert.equal(await page.getByRole("link", { name: /Log in with/ }).count(), 0);
      await assertInert(ui, page);
    } finally {
      await page.close();
    }
  });

  test("keyboard only: sign in, reach an app, open and close the Sync dialog; every control is labelled", async () => {
    const { page } = ui;
    await page.goto("/");
    await page.getByLabel("Username").focus();
    await page.keyboard.press("Control+A");
    await page.keyboard.type("admin");
    await page.keyboard.press("Tab");
    await page.keyboard.type(ui.password);
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: "Applications", level: 1 }).waitFor();
    assert.deepEqual(await unlabelled(page), []);
    await page.getByRole("link", { name: "xss", exact: true }).focus();
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: "xss", level: 1 }).waitFor();
    await page.getByRole("button", { name: "Sync", exact: true }).focus();
    await page.keyboard.press("Enter");
    const dialog = page.getByRole("dialog", { name: "Sync xss" });
    await dialog.waitFor();
    assert.deepEqual(await unlabelled(page), []);
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "hidden" });
  });

  test("hostile markup in a commit message, an author, a spec path and an API error renders as text", async () => {
    const { page } = ui;
    await page.evaluate(() => {
      // If any payload ever ran, it would set this instead of (or as well as) opening a dialog.
      (window as unknown as { alert: () => void }).alert = () =>
        ((window as unknown as { xssFired: boolean }).xssFired = true);
    });
    await ws.write({ "cfg/settings.yaml": configMap("settings", { level: "2" }) });
    // git strips < and > from author names (and quotes at either end): entities and quotes inside.
    const author = `Mallory "&lt;img src=x&gt;" & Co`;
    const sha = await ws.commit(`level 2 ${MARKUP}`, { name: author, email: "x@example.com" });
    await ws.push();
    await ui.fx.refresh("xss");
    await page.goto(`/applications/${ui.fx.appNs}/xss/history`);
    const newest = page.locator("table.history tbody tr", { has: page.getByText(sha.slice(0, 7)) });
    await newest.getByText(`level 2 ${MARKUP}`).waitFor({ timeout: 60_000 });
    await newest.getByText(`${author} <x@example.com>`, { exact: true }).waitFor();
    await assertInert(ui, page);

    await page.goto(`/applications/${ui.fx.appNs}/xss-path`);
    // The render fails on that path; the condition quotes it.
    await page.locator(".conditions").waitFor({ timeout: 60_000 });
    assert.ok(
      (await page.locator(".conditions").innerText()).includes("<img src=x"),
      await page.locator(".conditions").innerText(),
    );
    await page.getByText(MARKUP).first().waitFor(); // the path in the facts, as text
    await assertInert(ui, page);

    // An API error echoing the input: the apiserver rejects the name and quotes it.
    await page.getByRole("link", { name: "New application" }).click();
    await page.getByLabel("Name", { exact: true }).fill(MARKUP);
    await page.getByLabel("Repository URL").fill(url);
    await page.getByLabel("Namespace", { exact: true }).last().fill(dest);
    await page.getByRole("button", { name: "Create" }).click();
    await page.getByRole("alert").filter({ hasText: "<img src=x" }).first().waitFor();
    await assertInert(ui, page);
  });

  test("policy violations of an audited project are listed per object, with rule and message, as text", async () => {
    const { page } = ui;
    const project = "audited";
    await clients().custom.createNamespacedCustomObject({
      group: "tether.dev",
      version: "v1alpha1",
      plural: "appprojects",
      namespace: ui.fx.systemNamespace,
      body: {
        apiVersion: "tether.dev/v1alpha1",
        kind: "AppProject",
        metadata: { name: project },
        spec: {
          sourceNamespaces: ["*"],
          sourceRepos: ["*"],
          destinations: [{ server: "*", namespace: "*" }],
          policy: { enforcement: "audit", rules: ["builtin"], trustedRegistries: ["registry.example.com"] },
        },
      },
    });
    const repo = await ui.fx.repository("audited", { "web/web.yaml": deployment("web", 1) });
    await ui.fx.createApp("audited", {
      project,
      source: { repoURL: repo.url, targetRevision: "main", path: "web" },
      destination: { server: IN_CLUSTER, namespace: await ui.fx.namespace("ui-audit") },
      syncPolicy: { automated: { prune: true } },
    });
    const app = await ui.fx.waitApp(
      "audited",
      "violations recorded",
      (a) => (a.status?.policyViolations?.length ?? 0) > 0,
      60_000,
    );
    await page.goto(`/applications/${ui.fx.appNs}/audited`);
    const table = page.getByRole("table", { name: "Policy violations" });
    await table.waitFor();
    for (const v of app.status?.policyViolations ?? []) {
      const cells = table.locator(`tr[data-rule="${v.rule}"]`).filter({ hasText: `Deployment` });
      await cells.first().waitFor();
      assert.match((await cells.first().textContent()) ?? "", new RegExp(`${v.rule}.*audit`));
    }
    assert.ok((app.status?.policyViolations ?? []).some((v) => v.rule === "trusted-registries"));
    await assertInert(ui, page);
  });

  test("the form shows the API's validation messages at the field they name; create and edit round-trip", async () => {
    const { page } = ui;
    await page.goto("/new");
    await page.getByLabel("Name", { exact: true }).fill("made-in-ui");
    await page.getByRole("button", { name: "Create" }).click();
    const repo = page.locator('[data-field="spec.source.repoURL"]');
    await repo.getByRole("alert").filter({ hasText: "spec.source.repoURL" }).waitFor();
    assert.equal(await page.getByLabel("Repository URL").getAttribute("aria-invalid"), "true");
    assert.ok(
      await page.getByLabel("Repository URL").evaluate((el) => el === document.activeElement),
      "focus on the field at fault",
    );

    await page.getByLabel("Repository URL").fill(url);
    await page.locator('[data-field="spec.destination.namespace"] input').fill("Not_A_Namespace");
    await page.getByRole("button", { name: "Create" }).click();
    await page
      .locator('[data-field="spec.destination.namespace"]')
      .getByRole("alert")
      .filter({ hasText: "Not_A_Namespace" })
      .waitFor();
    assert.equal(await repo.getByRole("alert").count(), 0, "the earlier message is gone");

    await page.locator('[data-field="spec.destination.namespace"] input').fill(dest);
    await page.getByLabel("Path").fill("cfg");
    await page.getByLabel("Labels").fill("team=ui");
    await page.getByRole("button", { name: "Create" }).click();
    await page
      .getByRole("heading", { name: "made-in-ui", level: 1, exact: true })
      .waitFor()
      .catch(async (e: Error) => {
        throw new Error(`${e.message}\n${await page.locator("body").innerText()}`);
      });
    await page.getByRole("link", { name: "Edit" }).click();
    await page.getByLabel("Target revision").fill("main");
    await page.getByRole("button", { name: "Save" }).click();
    await page.getByRole("heading", { name: "made-in-ui", level: 1, exact: true }).waitFor();
    const saved = await ui.fx.readApp("made-in-ui");
    assert.equal(saved.spec.source.targetRevision, "main");
    assert.equal(saved.spec.source.path, "cfg");
    assert.deepEqual(saved.metadata.labels, { team: "ui" });
    await assertInert(ui, page);
  });
});
