// Helm charts that do not live in Git: a Helm HTTP repository (a packaged chart and index.yaml
// served by a node:http server on loopback) and an OCI registry (the real CNCF distribution
// registry, built by the local build system, with the chart pushed by the real helm).
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import fs from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { RenderError } from "../../src/engine/errors.js";
import { createRenderer } from "../../src/engine/render/index.js";
import type { RendererOptions } from "../../src/engine/render/index.js";
import { ensureComponent } from "../../src/toolchain/binaries.js";
import { freePort } from "../../src/localcluster/ports.js";
import { ManagedProcess } from "../../src/localcluster/process.js";
import { waitFor } from "../../src/lib/wait.js";
import { isolatedHelmEnv } from "../helpers/helm.js";

const run = promisify(execFile);
let tmp = "";
let repo = "";
let packaged = "";
let helmEnv: NodeJS.ProcessEnv = {};
let tools: Pick<RendererOptions, "helmBinary" | "kustomizeBinary"> = { helmBinary: "", kustomizeBinary: "" };

async function write(root: string, files: Record<string, string>) {
  for (const [rel, text] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(root, rel)), { recursive: true });
    await fs.writeFile(path.join(root, rel), text);
  }
}

before(async () => {
  tools = { helmBinary: await ensureComponent("helm"), kustomizeBinary: await ensureComponent("kustomize") };
  tmp = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), "render-remote-")));
  // helm used by the test itself (package/index/push) also stays away from the user's config.
  helmEnv = isolatedHelmEnv(tmp);
  await write(path.join(tmp, "src/demo"), {
    "Chart.yaml": "apiVersion: v2\nname: demo\nversion: 0.1.0\n",
    "values.yaml": "greeting: hello\n",
    "templates/cm.yaml":
      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-demo\ndata:\n  greeting: {{ .Values.greeting | quote }}\n",
  });
  await fs.mkdir(path.join(tmp, "served"));
  await run(tools.helmBinary, ["package", path.join(tmp, "src/demo"), "-d", path.join(tmp, "served")], {
    env: helmEnv,
  });
  await run(tools.helmBinary, ["repo", "index", path.join(tmp, "served")], { env: helmEnv });
  packaged = path.join(tmp, "served/demo-0.1.0.tgz");
  // Value files still come from the Git checkout, confined to it.
  repo = path.join(tmp, "repo");
  await write(repo, { "env/prod.yaml": "greeting: bonjour\n" });
});
after(() => fs.rm(tmp, { recursive: true, force: true }));

describe("helm HTTP repository", () => {
  let server: http.Server;
  let url = "";
  const requests: string[] = [];
  before(async () => {
    server = http.createServer((req, res) => {
      requests.push(req.url ?? "");
      const name = path.basename(req.url ?? "");
      fs.readFile(path.join(tmp, "served", name)).then(
        (body) => res.writeHead(200).end(body),
        () => res.writeHead(404).end(),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  test("renders a chart by name and version, with a value file from the repository", async () => {
    const renderer = createRenderer(tools);
    const input = {
      repoRoot: repo,
      commit: "0.1.0",
      namespace: "shop",
      appName: "remote",
      source: {
        repoURL: url,
        chart: "demo",
        targetRevision: "0.1.0",
        helm: { valueFiles: ["env/prod.yaml"] },
      },
    };
    const result = await renderer.render(input);
    assert.equal(result.type, "Helm");
    assert.deepEqual(
      result.objects.map((o) => [
        o.sourceFile,
        o.object.metadata.name,
        (o.object.data as { greeting: string }).greeting,
      ]),
      [["demo/templates/cm.yaml", "remote-demo", "bonjour"]],
    );
    assert.ok(requests.includes("/index.yaml") && requests.includes("/demo-0.1.0.tgz"), requests.join(","));
    const before = requests.length;
    assert.equal(await renderer.render(input), result, "second render is served from the cache");
    assert.equal(requests.length, before, "no request for a cached render");
    assert.equal(renderer.stats.toolInvocations, 2, "helm pull, then helm template of the pulled folder");
  });

  test("a version that does not exist fails with HelmFailed", async () => {
    const renderer = createRenderer(tools);
    await assert.rejects(
      renderer.render({
        repoRoot: repo,
        commit: "9.9.9",
        namespace: "shop",
        source: { repoURL: url, chart: "demo", targetRevision: "9.9.9" },
      }),
      (error: unknown) =>
        error instanceof RenderError && error.reason === "HelmFailed" && /9\.9\.9/.test(error.message),
    );
  });

  test("a repository URL that is neither http(s) nor oci is refused", async () => {
    const renderer = createRenderer(tools);
    await assert.rejects(
      renderer.render({
        repoRoot: repo,
        commit: "1",
        namespace: "shop",
        source: { repoURL: "file:///etc", chart: "demo", targetRevision: "0.1.0" },
      }),
      (error: unknown) =>
        error instanceof RenderError && /spec\.source\.repoURL "file:\/\/\/etc"/.test(error.message),
    );
  });
});

describe("helm OCI registry", () => {
  let registry: ManagedProcess | undefined;
  let host = "";
  before(async () => {
    const binary = await ensureComponent("registry");
    const port = await freePort();
    host = `127.0.0.1:${port}`;
    const config = path.join(tmp, "registry.yaml");
    await fs.writeFile(
      config,
      [
        "version: 0.1",
        "log: { level: warn }",
        `storage: { filesystem: { rootdirectory: ${JSON.stringify(path.join(tmp, "registry-data"))} } }`,
        `http: { addr: "${host}" }`,
        "",
      ].join("\n"),
    );
    registry = await ManagedProcess.start({
      name: "registry",
      binary,
      args: ["serve", config],
      logFile: path.join(tmp, "registry.log"),
      pidDir: path.join(tmp, "pids"),
    });
    await waitFor("the OCI registry to answer /v2/", async () => (await fetch(`http://${host}/v2/`)).ok, {
      timeoutMs: 30_000,
      abort: registry.exited.then(() => new Error("registry exited")),
    });
    await run(tools.helmBinary, ["push", packaged, `oci://${host}/charts`, "--plain-http"], { env: helmEnv });
  });
  after(async () => {
    await registry?.stop();
  });

  test("renders a chart pulled from oci:// with --plain-http", async () => {
    const renderer = createRenderer({ ...tools, ociPlainHttp: true });
    const result = await renderer.render({
      repoRoot: repo,
      commit: "0.1.0",
      namespace: "shop",
      appName: "oci",
      source: {
        repoURL: `oci://${host}/charts`,
        chart: "demo",
        targetRevision: "0.1.0",
        helm: { parameters: [{ name: "greeting", value: "hallo" }] },
      },
    });
    assert.deepEqual(
      result.objects.map((o) => [
        o.sourceFile,
        o.object.metadata.name,
        (o.object.data as { greeting: string }).greeting,
      ]),
      [["demo/templates/cm.yaml", "oci-demo", "hallo"]],
    );
  });

  test("a missing chart version fails with HelmFailed", async () => {
    const renderer = createRenderer({ ...tools, ociPlainHttp: true });
    await assert.rejects(
      renderer.render({
        repoRoot: repo,
        commit: "0.2.0",
        namespace: "shop",
        source: { repoURL: `oci://${host}/charts`, chart: "demo", targetRevision: "0.2.0" },
      }),
      (error: unknown) => error instanceof RenderError && error.reason === "HelmFailed",
    );
  });
});
