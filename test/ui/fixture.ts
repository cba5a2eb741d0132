// One browser test file's world: a controller fixture (its own Git server, Application namespace
// and controller), the API server with authentication on serving the built UI, and headless
// chromium (Debian's, installed by scripts/ensure-chromium.ts through test/run.ts). Every dialog
// the page opens is recorded (and dismissed): a test of hostile input asserts there were none.
import path from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { chromium } from "playwright-core";
import { createApiAuth } from "../../src/api/authn.js";
import type { ApiServer } from "../../src/api/server.js";
import { startApiServer } from "../../src/api/server.js";
import { repoRoot } from "../../src/toolchain/components.js";
import type { ControllerFixture } from "../helpers/app.js";
import { startControllerFixture } from "../helpers/app.js";
import { clients } from "../helpers/environment.js";
import { CHROMIUM } from "../../scripts/ensure-chromium.js";

export const SCREENSHOTS = path.join(repoRoot, "docs/img");

export interface UiFixture {
  readonly fx: ControllerFixture;
  readonly api: ApiServer;
  readonly password: string;
  readonly browser: Browser;
  readonly context: BrowserContext;
  readonly page: Page;
  /** Messages of every alert/confirm/prompt the page opened. */
  readonly dialogs: string[];
  /** Console errors and uncaught page errors (CSP violations show up here). */
  readonly pageErrors: string[];
  /** Signs in through the login page. */
  login(page?: Page): Promise<void>;
  stop(): Promise<void>;
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--no-first-run",
    ],
  });
}

export async function startUiFixture(prefix: string): Promise<UiFixture> {
  const fx = await startControllerFixture(prefix);
  const systemNs = await fx.namespace(`${prefix}-system`);
  const auth = await createApiAuth({ clients: clients(), namespace: systemNs });
  const password = (await auth.initialAdminPassword()) ?? "";
  const api = await startApiServer({
    clients: clients(),
    namespace: fx.appNs,
    systemNamespace: fx.systemNamespace,
    auth,
    heartbeatMs: 2_000,
  });
  const browser = await launchChromium();
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, baseURL: api.url });
  const page = await context.newPage();
  const dialogs: string[] = [];
  const pageErrors: string[] = [];
  context.on("page", (p) => watch(p));
  const watch = (p: Page) => {
    p.on("dialog", (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss().catch(() => undefined);
    });
    p.on("pageerror", (error) => pageErrors.push(error.message));
    p.on("console", (message) => {
      if (message.type() === "error") pageErrors.push(message.text());
    });
  };
  watch(page);
  page.setDefaultTimeout(30_000);
  return {
    fx,
    api,
    password,
    browser,
    context,
    page,
    dialogs,
    pageErrors,
    async login(p = page) {
      await p.goto("/");
      await p.getByLabel("Username").fill("admin");
      await p.getByLabel("Password").fill(password);
      await p.getByRole("button", { name: "Sign in" }).click();
      await p.getByRole("heading", { name: "Applications", level: 1 }).waitFor();
    },
    async stop() {
      await browser.close().catch(() => undefined);
      await api.close();
      await fx.stop();
    },
  };
}

/** Saves a screenshot for the docs, once in the light and once in the dark theme. */
export async function screenshots(page: Page, name: string): Promise<void> {
  for (const scheme of ["light", "dark"] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.waitForFunction((s) => document.documentElement.dataset["theme"] === s, scheme);
    await page.screenshot({ path: path.join(SCREENSHOTS, `${name}-${scheme}.png`), fullPage: false });
  }
  await page.emulateMedia({ colorScheme: "light" });
}
