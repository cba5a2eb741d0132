// The application list with 1,000 Applications, in headless chromium against the real API server
// and control plane: time to first render (navigation → all 1,000 rows shown), filter and search
// latency (input → the filtered table committed), and event-stream update latency (an app's status
// written in the cluster → its row's badge changed in the page). No controller runs: the bench
// writes each app's status itself (sync/health mix), so the figures are the UI's and the API's.
//   npx tsx bench/ui-list/main.ts [--trials N] [--quick]
// Needs the UI built (npm run build:ui) and /usr/bin/chromium (scripts/ensure-chromium.ts).
import { randomBytes } from "node:crypto";
import type { Page } from "playwright-core";
import { chromium } from "playwright-core";
import { createApiAuth } from "../../src/api/authn.js";
import { startApiServer } from "../../src/api/server.js";
import { errorStatus } from "../../src/kube/client.js";
import { typedKubeClients } from "../../src/kube/typed.js";
import type { KubeClients } from "../../src/kube/client.js";
import { ResourceClient } from "../../src/kube/resources.js";
import { startLocalEnvironment } from "../../src/localcluster/environment.js";
import { installCrds } from "../../src/localcluster/product.js";
import { ensureChromium } from "../../scripts/ensure-chromium.js";
import { benchArgs, runBench } from "../lib/run.js";
import { formatSummary } from "../lib/stats.js";

const APPS = 1_000;
const CONCURRENCY = 16;
const PATH = "/apis/tether.dev/v1alpha1/namespaces";

const name = (i: number) => `app-${String(i).padStart(4, "0")}`;
/** 80 % Synced/Healthy, 10 % OutOfSync/Healthy, 5 % Synced/Progressing, 5 % OutOfSync/Degraded. */
const statusOf = (i: number) =>
  i % 20 < 16
    ? { sync: "Synced", health: "Healthy" }
    : i % 20 < 18
      ? { sync: "OutOfSync", health: "Healthy" }
      : i % 20 === 18
        ? { sync: "Synced", health: "Progressing" }
        : { sync: "OutOfSync", health: "Degraded" };

async function inParallel(count: number, work: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < count) await work(next++);
    }),
  );
}

async function writeStatus(clients: KubeClients, ns: string, i: number, s: { sync: string; health: string }) {
  await clients.raw.request({
    method: "PATCH",
    path: `${PATH}/${ns}/applications/${name(i)}/status`,
    contentType: "application/merge-patch+json",
    body: {
      status: {
        sync: { status: s.sync, revision: randomBytes(20).toString("hex") },
        health: { status: s.health },
      },
    },
  });
}

/** In the page: set an input's or select's value as a user would, and time until the count shows `expect`. */
function timeFilter(page: Page, selector: string, value: string, expect: string): Promise<number> {
  return page.evaluate(
    async ({ selector, value, expect }) => {
      const el = document.querySelector<HTMLInputElement | HTMLSelectElement>(selector);
      const count = document.querySelector('[data-testid="shown-count"]');
      if (!el || !count) throw new Error(`no ${selector} or count`);
      const shows = () => (count.textContent ?? "").startsWith(`${expect} of`);
      const done = new Promise<number>((resolve) => {
        const observer = new MutationObserver(() => {
          if (shows()) {
            observer.disconnect();
            resolve(performance.now());
          }
        });
        observer.observe(count, { subtree: true, childList: true, characterData: true });
      });
      const proto =
        el instanceof HTMLSelectElement ? HTMLSelectElement.prototype : HTMLInputElement.prototype;
      const t0 = performance.now();
      Object.getOwnPropertyDescriptor(proto, "value")?.set?.call(el, value);
      el.dispatchEvent(new Event(el instanceof HTMLSelectElement ? "change" : "input", { bubbles: true }));
      return (await done) - t0;
    },
    { selector, value, expect },
  );
}

runBench(async (run) => {
  const args = benchArgs(20, 5);
  const progress = (line: string) => process.stderr.write(`# ${line}\n`);
  ensureChromium(progress);

  progress("starting the local control plane");
  const env = await startLocalEnvironment({ log: () => undefined });
  run.defer("stop the local environment", () => env.stop());
  const clients = typedKubeClients(env.kubeconfigPath);
  await installCrds(new ResourceClient(clients));
  const id = randomBytes(3).toString("hex");
  const ns = `bench-ui-${id}`;
  const systemNs = `bench-ui-system-${id}`;
  for (const n of [ns, systemNs]) {
    await clients.core.createNamespace({
      body: { metadata: { name: n, labels: { "tether.dev/bench": "true" } } },
    });
    run.defer(`delete namespace ${n}`, () =>
      clients.core.deleteNamespace({ name: n }).catch((e: unknown) => {
        if (errorStatus(e) !== 404) throw e;
      }),
    );
  }

  progress(`creating ${APPS} Applications and their status`);
  let t = performance.now();
  await inParallel(APPS, async (i) => {
    await clients.raw.request({
      method: "POST",
      path: `${PATH}/${ns}/applications`,
      body: {
        apiVersion: "tether.dev/v1alpha1",
        kind: "Application",
        metadata: { name: name(i), namespace: ns, labels: { team: `team-${i % 10}` } },
        spec: {
          project: `project-${i % 5}`,
          source: {
            repoURL: `https://git.example.com/org/repo-${i % 50}.git`,
            targetRevision: "main",
            path: `apps/${name(i)}`,
          },
          destination: {
            server: i % 4 === 0 ? "https://prod.example.com:6443" : "https://kubernetes.default.svc",
            namespace: `ns-${i % 20}`,
          },
        },
      },
    });
    await writeStatus(clients, ns, i, statusOf(i));
  });
  progress(`created in ${((performance.now() - t) / 1000).toFixed(1)} s`);

  const auth = await createApiAuth({ clients, namespace: systemNs });
  const password = (await auth.initialAdminPassword()) ?? "";
  const api = await startApiServer({ clients, namespace: ns, auth });
  run.defer("stop the API server", () => api.close());
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--no-first-run",
    ],
  });
  run.defer("close chromium", () => browser.close());
  const page = await browser.newPage({ baseURL: api.url, viewport: { width: 1280, height: 900 } });
  page.setDefaultTimeout(60_000);
  // tsx (esbuild) wraps named functions inside page.evaluate callbacks in __name(): give the page one.
  await page.addInitScript("globalThis.__name = (f) => f;");
  await page.goto("/");
  await page.getByLabel("Username").fill("admin");
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  const allShown = page.getByTestId("shown-count").filter({ hasText: `${APPS} of ${APPS} applications` });
  await allShown.waitFor();

  const firstRender: number[] = [];
  const domNodes: number[] = [];
  await run.trials(Math.min(args.trials, 10), async () => {
    t = performance.now();
    await page.goto("/applications");
    await allShown.waitFor();
    await page.locator(`tr[data-app="${ns}/${name(APPS - 1)}"]`).waitFor({ state: "attached" });
    firstRender.push(performance.now() - t);
    domNodes.push(await page.evaluate(() => document.getElementsByTagName("*").length));
  });

  const search: number[] = [];
  const searchMany: number[] = [];
  const project: number[] = [];
  const clear: number[] = [];
  const SEARCH = 'input[type="search"]';
  await run.trials(args.trials, async (k) => {
    search.push(await timeFilter(page, SEARCH, name((k * 37) % APPS), "1"));
    clear.push(await timeFilter(page, SEARCH, "", String(APPS)));
    searchMany.push(await timeFilter(page, SEARCH, `team-${k % 10}`, String(APPS / 10)));
    clear.push(await timeFilter(page, SEARCH, "", String(APPS)));
    const projectSelect = await page.getByLabel("Project").evaluate((el) => `#${CSS.escape(el.id)}`);
    project.push(await timeFilter(page, projectSelect, `project-${k % 5}`, String(APPS / 5)));
    clear.push(await timeFilter(page, projectSelect, "", String(APPS)));
  });

  // Event stream: write one app's status, time until its row shows the new sync badge.
  const sse: number[] = [];
  await run.trials(args.trials, async (k) => {
    const i = (k * 53 + 7) % APPS;
    const current = statusOf(i);
    const next = { sync: current.sync === "Synced" ? "OutOfSync" : "Synced", health: current.health };
    const key = `${ns}/${name(i)}`;
    await page.evaluate(
      ({ key, sync }) => {
        const w = window as unknown as { benchSeen?: Promise<number> };
        w.benchSeen = new Promise<number>((resolve) => {
          const seen = () => document.querySelector(`tr[data-app="${key}"] [data-sync="${sync}"]`) !== null;
          const observer = new MutationObserver(() => {
            if (seen()) {
              observer.disconnect();
              resolve(Date.now());
            }
          });
          observer.observe(document.body, {
            subtree: true,
            childList: true,
            attributes: true,
            characterData: true,
          });
        });
      },
      { key, sync: next.sync },
    );
    const sent = Date.now();
    await writeStatus(clients, ns, i, next);
    const seenAt = await page.evaluate(() => (window as unknown as { benchSeen: Promise<number> }).benchSeen);
    sse.push(seenAt - sent);
    await writeStatus(clients, ns, i, current);
  });

  // A burst: every app's status rewritten; time until the counts show all of them.
  t = performance.now();
  await inParallel(APPS, (i) =>
    writeStatus(clients, ns, i, { sync: "OutOfSync", health: statusOf(i).health }),
  );
  const written = performance.now() - t;
  await page
    .locator('[data-count="sync-OutOfSync"]')
    .filter({ hasText: new RegExp(`^${APPS}$`) })
    .waitFor();
  const burst = performance.now() - t;

  console.log(
    `\nUI list with ${APPS} applications (headless chromium, ${args.trials} trials; DOM elements ${domNodes[0] ?? "-"})`,
  );
  console.log(formatSummary("first render (navigate → 1,000 rows)", firstRender, 44));
  console.log(formatSummary("search, 1 match", search, 44));
  console.log(formatSummary("search, 100 matches", searchMany, 44));
  console.log(formatSummary("project filter, 200 matches", project, 44));
  console.log(formatSummary("clear → 1,000 rows", clear, 44));
  console.log(formatSummary("status write → row badge (SSE)", sse, 44));
  console.log(
    `${"burst: 1,000 status writes → counts".padEnd(44)} ${burst.toFixed(0)} ms (writes alone ${written.toFixed(0)} ms)`,
  );
});
