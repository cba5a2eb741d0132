// The in-cluster acceptance test: Tether installed by its Helm chart into a control plane of its
// own, its components started as the chart's pods would start them (test/helpers/podprocess.ts:
// the Deployments' args and env, a TokenRequest token and the CA at the service-account path, no
// other credential), then used only through the in-cluster server, as a new user would after the
// install guide: the initial admin password from Secret tether-initial-admin, an app from Git, a
// push announced by a GitHub-signed webhook, drift repaired, a rollback from history, and the
// list in the web UI (headless chromium). Two server replicas behind "one Service": the session
// made on one is used on the other, and the webhook lands on the other.
//
// The one departure from a pod: each pod has its own network namespace, so both server replicas
// would listen on 8080; here they share the host's, and each gets `--port` of a free port.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHmac } from "node:crypto";
import fs from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import type { KubernetesObject, V1Deployment } from "@kubernetes/client-node";
import { parseAllDocuments } from "yaml";
import { kubeClients, loadKubeConfig } from "../../src/kube/client.js";
import { ResourceClient } from "../../src/kube/resources.js";
import { ensureComponent } from "../../src/toolchain/binaries.js";
import { repoRoot } from "../../src/toolchain/components.js";
import type { LocalEnvironment } from "../../src/localcluster/environment.js";
import { startLocalEnvironment } from "../../src/localcluster/environment.js";
import { GitWorkspace } from "../../src/localcluster/gitrepo.js";
import { waitFor } from "../../src/lib/wait.js";
import { helloDeployment, helloService } from "../../src/localcluster/demo.js";
import { chromium } from "playwright-core";
import { CHROMIUM } from "../../scripts/ensure-chromium.js";
import { typedKubeClients } from "../../src/kube/typed.js";
import { callApi } from "../helpers/api.js";
import type { PodContext, PodProcess } from "../helpers/podprocess.js";
import { preparePodVolumes, startPodContainer } from "../helpers/podprocess.js";

const run = promisify(execFile);
const SYSTEM = "tether-system";
const WEBHOOK_SECRET = "in-cluster-webhook-secret";
const APP = { namespace: SYSTEM, name: "hello" };

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

// Bounded: a component that never starts or never stops must fail the run, not hold it.
describe(
  "in-cluster: the chart's pods as processes, used only through tether server",
  { timeout: 600_000 },
  () => {
    let env: LocalEnvironment;
    let resources: ResourceClient;
    let clients: ReturnType<typeof typedKubeClients>;
    let work: string;
    const processes: PodProcess[] = [];
    const servers: string[] = [];
    let ws: GitWorkspace;
    let repoURL = "";
    let firstCommit = "";

    const deploymentReplicas = async () =>
      (
        await clients.apps
          .readNamespacedDeployment({ name: "hello", namespace: "demo" })
          .catch(() => undefined)
      )?.spec?.replicas;
    const died = () => Promise.race(processes.map((p) => p.died));

    before(async () => {
      const started = performance.now();
      env = await startLocalEnvironment({ log: () => undefined });
      clients = typedKubeClients(env.kubeconfigPath);
      resources = new ResourceClient(kubeClients(loadKubeConfig(env.kubeconfigPath)));
      work = await fs.mkdtemp(path.join(os.tmpdir(), "tether-incluster-"));

      // Install: helm template of the chart with its default values, applied as `helm install` would.
      const helm = await ensureComponent("helm");
      const kustomize = await ensureComponent("kustomize");
      const { stdout } = await run(
        helm,
        ["template", "tether", path.join(repoRoot, "charts/tether"), "--namespace", SYSTEM, "--include-crds"],
        { maxBuffer: 64 * 1024 * 1024 },
      );
      const objects = parseAllDocuments(stdout)
        .map((d) => d.toJS() as KubernetesObject | null)
        .filter((o): o is KubernetesObject => !!o?.kind);
      await clients.core.createNamespace({ body: { metadata: { name: SYSTEM } } }).catch(() => undefined);
      const crdsFirst = [...objects].sort(
        (a, b) =>
          Number(b.kind === "CustomResourceDefinition") - Number(a.kind === "CustomResourceDefinition"),
      );
      for (const object of crdsFirst) {
        await resources.apply(object as KubernetesObject & { apiVersion: string; kind: string }, {
          force: true,
        });
        if (object.kind === "CustomResourceDefinition") {
          await waitFor(
            `CRD ${object.metadata?.name} Established`,
            async () => {
              const live = (await resources.read({
                apiVersion: object.apiVersion ?? "",
                kind: "CustomResourceDefinition",
                name: object.metadata?.name ?? "",
              })) as { status?: { conditions?: { type: string; status: string }[] } } | undefined;
              return (
                live?.status?.conditions?.some((c) => c.type === "Established" && c.status === "True") ??
                false
              );
            },
            { timeoutMs: 60_000 },
          );
        }
      }
      const deployments = objects.filter((o): o is V1Deployment => o.kind === "Deployment");
      const deployment = (name: string) => {
        const found = deployments.find((d) => d.metadata?.name === name);
        assert.ok(found, `the chart renders Deployment ${name}`);
        return { ...found, metadata: { ...found.metadata, namespace: SYSTEM } };
      };
      // The ConfigMap kube-root-ca.crt the projected volumes read is published by the controller manager.
      await waitFor(
        "ConfigMap kube-root-ca.crt in tether-system",
        async () =>
          !!(await clients.core
            .readNamespacedConfigMap({ name: "kube-root-ca.crt", namespace: SYSTEM })
            .catch(() => undefined)),
        { timeoutMs: 60_000 },
      );

      // The image's PATH: helm and kustomize (hard links: root's cache is in a 0700 HOME).
      const imageBin = path.join(work, "image-bin");
      await fs.mkdir(imageBin, { mode: 0o755 });
      for (const [name, file] of [
        ["helm", helm],
        ["kustomize", kustomize],
      ] as const) {
        await fs
          .link(file, path.join(imageBin, name))
          .catch(() => fs.copyFile(file, path.join(imageBin, name)));
        await fs.chmod(path.join(imageBin, name), 0o755);
      }
      const server = new URL(loadKubeConfig(env.kubeconfigPath).getCurrentCluster()?.server ?? "");
      const pod = async (d: V1Deployment, name: string): Promise<PodContext> => {
        const context: PodContext = {
          deployment: d,
          root: path.join(work, name),
          core: clients.core,
          apiserver: { host: server.hostname, port: Number(server.port) },
          imagePath: [imageBin],
        };
        await preparePodVolumes(context);
        return context;
      };

      // The operator's webhook secret, as docs/install.md says to create it.
      await clients.core.createNamespacedSecret({
        namespace: SYSTEM,
        body: { metadata: { name: "tether-webhook" }, stringData: { github: WEBHOOK_SECRET } },
      });

      const controllerPod = await pod(deployment("tether-controller"), "controller-pod");
      processes.push(
        startPodContainer(controllerPod, "renderer"),
        startPodContainer(controllerPod, "controller"),
      );
      const serverDeployment = deployment("tether-server");
      assert.equal(serverDeployment.spec?.replicas, 2, "the chart's server runs 2 replicas by default");
      for (const replica of ["a", "b"]) {
        const port = await freePort();
        const spec = structuredClone(serverDeployment);
        const container = spec.spec?.template.spec?.containers.find((c) => c.name === "server");
        assert.ok(container);
        container.args = [...(container.args ?? []), "--port", String(port)];
        processes.push(startPodContainer(await pod(spec, `server-pod-${replica}`), "server"));
        servers.push(`http://127.0.0.1:${port}`);
      }
      for (const url of servers) {
        await waitFor(
          `${url}/healthz`,
          async () => (await fetch(`${url}/healthz`).catch(() => undefined))?.ok ?? false,
          { timeoutMs: 90_000, abort: died() },
        );
      }

      repoURL = await env.git.createRepository("hello");
      ws = await GitWorkspace.clone(repoURL);
      firstCommit = await ws.commitAndPush(
        { "hello/deployment.yaml": helloDeployment(2), "hello/service.yaml": helloService },
        "hello: nginx with 2 replicas",
      );
      process.stderr.write(
        `in-cluster: installed and started in ${Math.round(performance.now() - started)} ms\n`,
      );
    });

    after(async () => {
      await Promise.all(processes.map((p) => p.stop()));
      await ws?.remove();
      await env?.stop();
      if (work) await fs.rm(work, { recursive: true, force: true });
    });

    /** On failure, what each component logged (its last lines), appended to the error. */
    const withLogs = (body: () => Promise<void>) => async () => {
      try {
        await body();
      } catch (error) {
        const logs = processes
          .map((p) => `--- ${p.name}\n${p.log().split("\n").slice(-60).join("\n")}`)
          .join("\n");
        if (error instanceof Error) error.message += `\n${logs}`;
        throw error;
      }
    };

    test(
      "log in with tether-initial-admin, create, webhook, self-heal, rollback, see it in the UI",
      withLogs(async () => {
        const [a, b] = servers as [string, string];
        const secret = await waitFor(
          "Secret tether-initial-admin",
          async () =>
            (
              await clients.core
                .readNamespacedSecret({ name: "tether-initial-admin", namespace: SYSTEM })
                .catch(() => undefined)
            )?.data?.["password"],
          { timeoutMs: 30_000 },
        );
        const password = Buffer.from(secret, "base64").toString("utf8");
        for (const p of processes)
          assert.ok(!p.log().includes(password), `${p.name} never logs the initial password`);

        const login = await callApi(a, "POST", "/api/v1/session", { body: { username: "admin", password } });
        assert.equal(login.status, 200, login.text);
        const token = (login.body as { token: string }).token;
        const auth = { authorization: `Bearer ${token}` };

        // Created through replica B with the session made on replica A.
        const created = await callApi(b, "POST", "/api/v1/applications", {
          headers: auth,
          body: {
            apiVersion: "tether.dev/v1alpha1",
            kind: "Application",
            metadata: APP,
            spec: {
              project: "default",
              source: { repoURL, targetRevision: "main", path: "hello" },
              destination: { server: "https://kubernetes.default.svc", namespace: "demo" },
              syncPolicy: {
                automated: { prune: true, selfHeal: true },
                syncOptions: ["CreateNamespace=true"],
              },
            },
          },
        });
        assert.equal(created.status, 201, created.text);
        await waitFor("2 replicas applied", async () => (await deploymentReplicas()) === 2, {
          timeoutMs: 60_000,
          abort: died(),
        });

        // A commit announced by a GitHub webhook (signed with Secret tether-webhook) to replica B.
        const fiveReplicas = await ws.commitAndPush(
          { "hello/deployment.yaml": helloDeployment(5) },
          "hello: 5 replicas",
        );
        const payload = JSON.parse(
          await fs.readFile(path.join(repoRoot, "testdata/webhooks/github-push.json"), "utf8"),
        ) as { repository: Record<string, unknown>; commits: unknown[] };
        for (const key of ["html_url", "url", "git_url", "ssh_url", "clone_url", "svn_url"])
          payload.repository[key] = repoURL;
        // What GitHub sends for this push: the file it changed (webhooks match apps by path too).
        payload.commits = [{ id: fiveReplicas, added: [], removed: [], modified: ["hello/deployment.yaml"] }];
        const body = Buffer.from(JSON.stringify(payload));
        const headers = JSON.parse(
          await fs.readFile(path.join(repoRoot, "testdata/webhooks/github-push.headers.json"), "utf8"),
        ) as Record<string, string>;
        const unsigned = await fetch(`${b}/api/webhook`, {
          method: "POST",
          body,
          headers: { ...headers, "X-Hub-Signature-256": "sha256=00" },
        });
        assert.equal(unsigned.status, 401, "a wrong signature is refused");
        const signature = `sha256=${createHmac("sha256", WEBHOOK_SECRET).update(body).digest("hex")}`;
        const delivered = await fetch(`${b}/api/webhook`, {
          method: "POST",
          body,
          headers: { ...headers, "X-Hub-Signature-256": signature },
        });
        const answer = await delivered.text();
        assert.equal(delivered.status, 200, answer);
        assert.match(answer, /"key":"tether-system\/hello"/, `the webhook refreshes the app: ${answer}`);
        // Well inside the controller's 60 s poll: the webhook did it.
        await waitFor("5 replicas after the webhook", async () => (await deploymentReplicas()) === 5, {
          timeoutMs: 30_000,
          abort: died(),
        });

        // Drift: scaled by hand, repaired by self-heal.
        await clients.apps.patchNamespacedDeploymentScale({
          name: "hello",
          namespace: "demo",
          body: [{ op: "replace", path: "/spec/replicas", value: 1 }],
        });
        await waitFor("self-heal back to 5", async () => (await deploymentReplicas()) === 5, {
          timeoutMs: 30_000,
          abort: died(),
        });

        // Rollback to the first history entry, through replica A.
        const listed = await callApi(a, "GET", `/api/v1/applications/${APP.namespace}/${APP.name}/history`, {
          headers: auth,
        });
        const history = (listed.body as { items: { id: number; revision: string }[] }).items;
        const first = history.find((h) => h.revision === firstCommit);
        assert.ok(first, `the first commit's sync is in history: ${listed.text}`);
        const rollback = await callApi(
          a,
          "POST",
          `/api/v1/applications/${APP.namespace}/${APP.name}/rollback`,
          { headers: auth, body: { id: first.id } },
        );
        assert.equal(rollback.status, 202, rollback.text);
        await waitFor("rolled back to 2", async () => (await deploymentReplicas()) === 2, {
          timeoutMs: 30_000,
          abort: died(),
        });

        // The web UI of replica B lists it.
        const browser = await chromium.launch({
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
        try {
          const page = await browser.newPage({ baseURL: b });
          await page.goto("/");
          await page.getByLabel("Username").fill("admin");
          await page.getByLabel("Password").fill(password);
          await page.getByRole("button", { name: "Sign in" }).click();
          await page.getByRole("heading", { name: "Applications", level: 1 }).waitFor();
          await page.getByRole("link", { name: APP.name, exact: true }).first().waitFor();
        } finally {
          await browser.close();
        }

        // Graceful stop, as on a rollout: every component exits 0 on SIGTERM.
        const codes = await Promise.all(
          processes.map(async (p) => [p.name, await p.stop("SIGTERM")] as const),
        );
        for (const [name, code] of codes) assert.equal(code, 0, `${name} exits 0 on SIGTERM`);
      }),
    );
  },
);
