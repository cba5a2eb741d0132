// The web UI driven as a user drives it, in headless chromium, against the real API server,
// controller and local control plane: sign in, see the app Synced/Healthy in the list (live), its
// resource tree, drift made by hand (self-heal off) shown as OutOfSync with a diff naming the field,
// Sync from the dialog, history with commit links, and Roll back from a history entry.
// Screenshots for the README are saved under docs/img/ (light and dark).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { PatchStrategy } from "@kubernetes/client-node";
import type { GitWorkspace } from "../../src/localcluster/gitrepo.js";
import { deployment, IN_CLUSTER, service } from "../helpers/app.js";
import { clients } from "../helpers/environment.js";
import type { UiFixture } from "./fixture.js";
import { screenshots, startUiFixture } from "./fixture.js";

describe("ui: list, tree, drift and diff, sync, history and rollback", () => {
  let ui: UiFixture;
  let ws: GitWorkspace;
  let url: string;
  let dest: string;
  let firstSha: string;

  before(async () => {
    ui = await startUiFixture("ui-gitops");
    ({ url, ws } = await ui.fx.repository("shop", {
      "web/deployment.yaml": deployment("web", 1),
      "web/service.yaml": service("web"),
    }));
    firstSha = await ws.head();
    dest = await ui.fx.namespace("ui-shop");
    // Automated sync and prune, self-heal OFF: drift stays visible until someone syncs.
    await ui.fx.createApp("web", {
      source: { repoURL: url, targetRevision: "main", path: "web" },
      destination: { server: IN_CLUSTER, namespace: dest },
      syncPolicy: { automated: { prune: true } },
    });
    await ui.fx.createApp("api", {
      project: "default",
      source: { repoURL: url, targetRevision: "main", path: "web" },
      destination: { server: IN_CLUSTER, namespace: await ui.fx.namespace("ui-api") },
    });
  });
  after(async () => {
    await ui?.stop();
  });

  const row = (name: string) => ui.page.locator(`tr[data-app="${ui.fx.appNs}/${name}"]`);

  test("sign in; the list shows the app Synced and Healthy, counts, filters and search", async () => {
    const { page } = ui;
    await page.goto("/");
    await page.getByRole("heading", { name: "Sign in to Tether" }).waitFor();
    await page.getByLabel("Username").fill("admin");
    await page.getByLabel("Password").fill("wrong-password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("alert").filter({ hasText: "invalid username or password" }).waitFor();
    await ui.login();

    // Live: no reload between the app being created and it turning Synced + Healthy.
    await row("web").locator('[data-sync="Synced"]').waitFor({ timeout: 60_000 });
    await row("web").locator('[data-health="Healthy"]').waitFor({ timeout: 60_000 });
    await row("api").locator('[data-sync="OutOfSync"]').waitFor({ timeout: 60_000 }); // manual: never synced
    await page.locator('[data-count="sync-Synced"]').filter({ hasText: /^1$/ }).waitFor();
    await page.locator('[data-count="sync-OutOfSync"]').filter({ hasText: /^1$/ }).waitFor();

    await page.getByRole("searchbox", { name: "Search" }).fill("api");
    await page.getByTestId("shown-count").filter({ hasText: "1 of 2 applications" }).waitFor();
    assert.equal(await row("web").count(), 0);
    await page.getByRole("searchbox", { name: "Search" }).fill("");
    await page.getByLabel("Namespace", { exact: true }).selectOption(dest);
    await page.getByTestId("shown-count").filter({ hasText: "1 of 2 applications" }).waitFor();
    await row("web").waitFor();
    await page.getByLabel("Namespace", { exact: true }).selectOption("");
    await page
      .getByRole("button", { name: /OutOfSync/ })
      .first()
      .click(); // the count is a filter too
    await page.getByTestId("shown-count").filter({ hasText: "1 of 2 applications" }).waitFor();
    await row("api").waitFor();
    await page
      .getByRole("button", { name: /OutOfSync/ })
      .first()
      .click();
    await page.getByTestId("shown-count").filter({ hasText: "2 of 2 applications" }).waitFor();
    assert.equal(await page.getByLabel("Project").inputValue(), "");
    assert.equal(
      await page.getByLabel("Cluster").locator("option").count(),
      2,
      "All + the in-cluster server",
    );
    await screenshots(page, "list");
  });

  test("detail: resource tree Application → Deployment → ReplicaSet → Pod, and the Service, by health", async () => {
    const { page } = ui;
    await row("web").getByRole("link", { name: "web" }).click();
    await page.getByRole("heading", { name: "web", level: 1 }).waitFor();
    const tree = page.locator(".tree");
    await tree.locator('li[data-kind="Application"][data-name="web"]').waitFor();
    const deploymentNode = tree.locator('li[data-kind="Deployment"][data-name="web"]');
    await deploymentNode.waitFor();
    await tree.locator('li[data-kind="Service"][data-name="web"]').waitFor();
    // Pods appear once the ReplicaSet made them: the tree reloads on the app's changes.
    const pod = deploymentNode.locator('li[data-kind="ReplicaSet"] li[data-kind="Pod"]').first();
    await pod.waitFor({ timeout: 60_000 }).catch(async () => {
      await page.getByRole("button", { name: "Refresh" }).click(); // a pod change alone does not touch the app
      await pod.waitFor({ timeout: 60_000 });
    });
    await deploymentNode.locator(":scope > .node-box [data-health]").first().waitFor();
    assert.match((await deploymentNode.getAttribute("class")) ?? "", /health-(Healthy|Progressing)/);
    await screenshots(page, "tree");
  });

  test("drift with self-heal off: OutOfSync, the diff names the field side by side; Sync makes it Synced", async () => {
    const { page } = ui;
    await clients().objects.patch(
      {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "web", namespace: dest },
        spec: { replicas: 3 },
      },
      undefined,
      undefined,
      "kubectl-edit",
      undefined,
      PatchStrategy.MergePatch,
    );
    await page.locator(".page-head [data-sync='OutOfSync']").waitFor({ timeout: 60_000 });
    await page.getByRole("link", { name: /^Diff/ }).click();
    const diff = page.locator('section[data-resource="Deployment/web"]');
    await diff.waitFor();
    await diff.locator("code.field", { hasText: "/spec/replicas" }).waitFor();
    await diff.getByText("Live (cluster)").waitFor();
    // The drifted line is highlighted on both sides: live `replicas: 3`, Git side marked.
    await diff.getByText("replicas: 3").first().waitFor();
    await diff
      .getByText(/replicas: .?<differs from Git>/)
      .first()
      .waitFor();
    await screenshots(page, "diff");

    await page.getByRole("button", { name: "Sync", exact: true }).click();
    const dialog = page.getByRole("dialog", { name: "Sync web" });
    await dialog.waitFor();
    // Dry run first: shows what would change, asks nothing of the controller.
    await dialog.getByRole("checkbox", { name: /Dry run/ }).check();
    await dialog.getByRole("button", { name: "Preview" }).click();
    await dialog.getByText(/Dry run: 1 resource\(s\) would change/).waitFor();
    assert.equal((await ui.fx.readApp("web")).metadata.annotations?.["tether.dev/sync"], undefined);
    await dialog.getByRole("checkbox", { name: /Dry run/ }).uncheck();
    await dialog.getByRole("checkbox", { name: /Prune/ }).check();
    await dialog.getByRole("button", { name: "Synchronize" }).click();
    await dialog.waitFor({ state: "hidden" });
    await page.locator(".page-head [data-sync='Synced']").waitFor({ timeout: 60_000 });
    await page.getByTestId("no-drift").waitFor();
    const live = await clients().apps.readNamespacedDeployment({ name: "web", namespace: dest });
    assert.equal(live.spec?.replicas, 1, "Git's value is back");
  });

  test("history shows commit, author, message and a commit link; Roll back from an entry", async () => {
    const { page } = ui;
    const secondSha = await ws.commitAndPush(
      { "web/deployment.yaml": deployment("web", 2) },
      "web: 2 replicas for the sale",
    );
    await page.getByRole("button", { name: "Refresh" }).click();
    await page.getByRole("link", { name: "History" }).click();
    const newest = page.locator("table.history tbody tr").first();
    await newest.getByText("web: 2 replicas for the sale").waitFor({ timeout: 60_000 });
    const link = newest.getByRole("link", { name: `commit ${secondSha}` });
    assert.equal(await link.getAttribute("href"), `${url.replace(/\.git$/, "")}/commit/${secondSha}`);
    assert.equal(await link.getAttribute("rel"), "noopener noreferrer");
    await newest.getByText(secondSha.slice(0, 7)).waitFor();
    const first = page
      .locator("table.history tbody tr", { has: page.getByText(firstSha.slice(0, 7)) })
      .first();
    await first.getByText("shop: initial commit").waitFor();
    await screenshots(page, "history");

    const id = await first.getAttribute("data-history");
    await first.getByRole("button", { name: /^Roll back to history entry/ }).click();
    const dialog = page.getByRole("dialog", { name: "Roll back" });
    await dialog.getByRole("button", { name: `Roll back to ${firstSha.slice(0, 7)}` }).click();
    await dialog.waitFor({ state: "hidden" });
    await page.getByRole("note").getByText(`rolled back to history entry ${id}`).waitFor({ timeout: 60_000 });
    await page
      .getByTestId("revision")
      .filter({ hasText: firstSha.slice(0, 7) })
      .waitFor({ timeout: 60_000 });
    await ui.fx.waitApp("web", "rolled back", (a) => a.status?.rollback?.revision === firstSha);
    const live = await clients().apps.readNamespacedDeployment({ name: "web", namespace: dest });
    assert.equal(live.spec?.replicas, 1, "the first commit's manifest is applied");

    await page.getByRole("button", { name: "Follow Git again" }).click();
    await page
      .getByTestId("revision")
      .filter({ hasText: secondSha.slice(0, 7) })
      .waitFor({ timeout: 60_000 });
  });

  test("events and the theme toggle; no page errors (CSP) along the way", async () => {
    const { page } = ui;
    await page.getByRole("link", { name: "Events" }).click();
    await page.locator("table.events tbody tr").first().waitFor({ timeout: 30_000 });
    await page.getByLabel("Theme").selectOption("dark");
    await page.waitForFunction(() => document.documentElement.dataset["theme"] === "dark");
    await page.reload();
    await page.waitForFunction(() => document.documentElement.dataset["theme"] === "dark"); // remembered
    await page.getByLabel("Theme").selectOption("system");
    assert.deepEqual(
      ui.pageErrors.filter((e) => !/401|Unauthorized|invalid username/.test(e)),
      [],
    );
    assert.deepEqual(ui.dialogs, []);
  });
});
