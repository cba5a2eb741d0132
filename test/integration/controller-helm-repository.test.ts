// Charts from a Helm HTTP repository synced end to end: charts made by the real `helm package`
// and indexed by `helm repo index`, served by node:http on loopback (with ETag, so polls are
// 304s), and a controller on the local control plane. The controller fetches and verifies the
// archive; the sandboxed renderer templates the extracted chart. Bad archives (wrong digest, a
// `../` entry) and unknown versions stop the reconcile: nothing applied, nothing pruned.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import { parse, stringify } from "yaml";
import type { Application } from "../../src/model/application.js";
import { ensureComponent } from "../../src/toolchain/binaries.js";
import type { ControllerFixture } from "../helpers/app.js";
import { condition, IN_CLUSTER, isGone, startControllerFixture } from "../helpers/app.js";
import { clients } from "../helpers/environment.js";
import { isolatedHelmEnv } from "../helpers/helm.js";

const run = promisify(execFile);

let tmp = "";
let served = "";
let helm = "";
let helmEnv: NodeJS.ProcessEnv = {};
/** Entries added to the index after `helm repo index` (archives helm itself would not index). */
const extraEntries: Record<string, unknown>[] = [];

async function write(root: string, files: Record<string, string>) {
  for (const [rel, text] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(root, rel)), { recursive: true });
    await fs.writeFile(path.join(root, rel), text);
  }
}

/** A chart whose one ConfigMap says which chart and version rendered it. */
async function packageChart(name: string, version: string, into = served): Promise<string> {
  const dir = path.join(tmp, "src", `${name}-${version}`);
  await write(dir, {
    "Chart.yaml": `apiVersion: v2\nname: ${name}\nversion: ${version}\n`,
    "values.yaml": "greeting: hello\n",
    "templates/cm.yaml":
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-${name}\n` +
      `data:\n  greeting: {{ .Values.greeting | quote }}\n  version: {{ .Chart.Version | quote }}\n`,
  });
  await run(helm, ["package", dir, "-d", into], { env: helmEnv });
  return path.join(into, `${name}-${version}.tgz`);
}

/** `helm repo index` of what is served, plus the hand-made entries. */
async function publishIndex() {
  await run(helm, ["repo", "index", served], { env: helmEnv });
  const file = path.join(served, "index.yaml");
  const index = parse(await fs.readFile(file, "utf8")) as { entries: Record<string, unknown[]> };
  for (const entry of extraEntries) index.entries[entry["name"] as string] = [entry];
  await fs.writeFile(file, stringify(index));
}

/** One ustar header + data blocks. */
function tarEntry(name: string, text: string): Buffer[] {
  const data = Buffer.from(text);
  const header = Buffer.alloc(512);
  header.write(name, 0, 100);
  header.write("0000644\0", 100);
  header.write("0000000\0", 108);
  header.write("0000000\0", 116);
  header.write(`${data.length.toString(8).padStart(11, "0")}\0`, 124);
  header.write("00000000000\0", 136);
  header.write("0", 156);
  header.write("ustar\u000000", 257, "latin1");
  header.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of header) sum += b;
  header.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148);
  return [header, data, Buffer.alloc((512 - (data.length % 512)) % 512)];
}

before(async () => {
  helm = await ensureComponent("helm");
  tmp = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), "ctl-helmrepo-")));
  served = path.join(tmp, "served");
  await fs.mkdir(served);
  helmEnv = isolatedHelmEnv(tmp);
  await packageChart("demo", "0.1.0");
  // Indexed with its real digest (kept in the index from then on), then replaced by another
  // valid chart's archive under the same name.
  const tampered = await packageChart("tampered", "0.1.0");
  await publishIndex();
  const index = parse(await fs.readFile(path.join(served, "index.yaml"), "utf8")) as {
    entries: Record<string, Record<string, unknown>[]>;
  };
  const [original] = index.entries["tampered"] ?? [];
  assert.ok(original);
  extraEntries.push(original);
  await fs.mkdir(path.join(tmp, "elsewhere"));
  await fs.copyFile(await packageChart("tampered", "0.2.0", path.join(tmp, "elsewhere")), tampered);
  // An archive with a `../` entry, listed with its true digest: the bytes are right, the content
  // is not. Served outside the indexed folder (helm repo index would refuse to load it), through a
  // relative URL that leaves the repository's path.
  const evil = gzipSync(
    Buffer.concat([
      ...tarEntry("evil/Chart.yaml", "apiVersion: v2\nname: evil\nversion: 0.1.0\n"),
      ...tarEntry(
        "evil/templates/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: evil\ndata: {}\n",
      ),
      ...tarEntry("evil/../../escaped.yaml", "escaped: true\n"),
      Buffer.alloc(1024),
    ]),
  );
  await fs.mkdir(path.join(tmp, "bad"));
  await fs.writeFile(path.join(tmp, "bad", "evil-0.1.0.tgz"), evil);
  extraEntries.push({
    apiVersion: "v2",
    name: "evil",
    version: "0.1.0",
    digest: createHash("sha256").update(evil).digest("hex"),
    urls: ["../bad/evil-0.1.0.tgz"],
    created: "2026-12-01T00:00:00Z",
  });
  await publishIndex();
});
after(() => fs.rm(tmp, { recursive: true, force: true }));

describe("controller: charts from a Helm repository", () => {
  let fx: ControllerFixture;
  let server: http.Server;
  let url = "";
  const answers: string[] = [];

  before(async () => {
    server = http.createServer((req, res) => {
      if (req.url === "/huge/index.yaml") {
        // Over the controller's 64 KiB limit (set below), sent in pieces without a length.
        answers.push(`200 ${req.url}`);
        res.writeHead(200, { "content-type": "text/yaml" });
        for (let i = 0; i < 64; i++) res.write(`# ${"x".repeat(4096)}\n`);
        res.end();
        return;
      }
      const name = path.basename(req.url ?? "");
      const root = req.url?.startsWith("/bad/") ? path.join(tmp, "bad") : served;
      fs.readFile(path.join(root, name)).then(
        (body) => {
          const etag = `"${createHash("sha256").update(body).digest("hex").slice(0, 16)}"`;
          const status = req.headers["if-none-match"] === etag ? 304 : 200;
          answers.push(`${status} ${req.url ?? ""}`);
          res.writeHead(status, { etag });
          res.end(status === 304 ? undefined : body);
        },
        () => {
          answers.push(`404 ${req.url ?? ""}`);
          res.writeHead(404).end();
        },
      );
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    // A path below the host, as most repositories have: relative archive URLs resolve under it.
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/charts`;
    fx = await startControllerFixture("ctl-helmrepo", { helmRepositories: { maxIndexBytes: 64 * 1024 } });
  });
  after(async () => {
    await fx?.stop();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const readConfigMap = (ns: string, name: string) =>
    clients().core.readNamespacedConfigMap({ name, namespace: ns });
  const comparisonError = (a: Application) => condition(a, "ComparisonError");

  const createChartApp = (name: string, ns: string, chart: string, targetRevision: string) =>
    fx.createApp(name, {
      source: {
        repoURL: url,
        chart,
        targetRevision,
        helm: { parameters: [{ name: "greeting", value: "bonjour" }] },
      },
      destination: { server: IN_CLUSTER, namespace: ns },
      syncPolicy: { automated: { prune: true, selfHeal: true } },
    });

  test("chart demo at 0.1.0 syncs; the revision is the version and history keeps the digest", async () => {
    const ns = await fx.namespace("helmrepo-exact");
    await createChartApp("exact", ns, "demo", "0.1.0");
    const app = await fx.waitApp(
      "exact",
      "Synced at 0.1.0",
      (a) => a.status?.sync?.status === "Synced" && a.status.sync.revision === "0.1.0",
      60_000,
    );
    const cm = await readConfigMap(ns, "exact-demo");
    assert.deepEqual(cm.data, { greeting: "bonjour", version: "0.1.0" });
    const digest = createHash("sha256")
      .update(await fs.readFile(path.join(served, "demo-0.1.0.tgz")))
      .digest("hex");
    const history = app.status?.history?.at(-1);
    assert.equal(history?.revision, "0.1.0");
    assert.match(history?.message ?? "", new RegExp(`sha256:${digest}`));
    assert.ok(answers.includes("200 /charts/demo-0.1.0.tgz"), answers.join(", "));
  });

  test("a range ~0.1 follows a newly published 0.1.1 after a refresh (the index is re-read, 304 when unchanged); a rollback pins 0.1.0 again", async () => {
    const ns = await fx.namespace("helmrepo-range");
    await createChartApp("range", ns, "demo", "~0.1");
    await fx.waitApp(
      "range",
      "Synced at 0.1.0",
      (a) => a.status?.sync?.status === "Synced" && a.status.sync.revision === "0.1.0",
      60_000,
    );
    await fx.refresh("range");
    assert.ok(
      answers.includes("304 /charts/index.yaml"),
      `an unchanged index is a 304: ${answers.join(", ")}`,
    );

    await packageChart("demo", "0.1.1");
    await publishIndex();
    await fx.refresh("range");
    await fx.waitApp(
      "range",
      "Synced at 0.1.1",
      (a) => a.status?.sync?.status === "Synced" && a.status.sync.revision === "0.1.1",
      60_000,
    );
    assert.equal((await readConfigMap(ns, "range-demo")).data?.["version"], "0.1.1");

    // A rollback to the 0.1.0 entry resolves that exact version again, though the range says 0.1.1.
    const entry = (await fx.readApp("range")).status?.history?.find((h) => h.revision === "0.1.0");
    assert.ok(entry, "history has the 0.1.0 sync");
    await fx.annotate("range", { "tether.dev/rollback": String(entry.id) });
    await fx.waitApp(
      "range",
      "rolled back to 0.1.0",
      (a) => a.status?.sync?.revision === "0.1.0" && a.status.sync.status === "Synced",
      60_000,
    );
    assert.equal((await readConfigMap(ns, "range-demo")).data?.["version"], "0.1.0");
  });

  test("a version that does not exist names spec.source.targetRevision; nothing is pruned", async () => {
    const ns = await fx.namespace("helmrepo-missing");
    await createChartApp("missing", ns, "demo", "0.1.0");
    await fx.waitApp("missing", "Synced", (a) => a.status?.sync?.status === "Synced", 60_000);
    await fx.patchApp("missing", { spec: { source: { targetRevision: "9.9.9" } } });
    const app = await fx.waitApp(
      "missing",
      "a ComparisonError",
      (a) => comparisonError(a) !== undefined,
      60_000,
    );
    const error = comparisonError(app);
    assert.equal(error?.reason, "RevisionNotFound");
    assert.match(error?.message ?? "", /spec\.source\.targetRevision/);
    assert.match(error?.message ?? "", /"demo"/);
    assert.equal((await readConfigMap(ns, "missing-demo")).data?.["version"], "0.1.0", "still there");
  });

  test("an archive whose digest does not match the index is refused; nothing is applied", async () => {
    const ns = await fx.namespace("helmrepo-tampered");
    await createChartApp("tampered", ns, "tampered", "0.1.0");
    const app = await fx.waitApp(
      "tampered",
      "a ComparisonError",
      (a) => comparisonError(a) !== undefined,
      60_000,
    );
    const error = comparisonError(app);
    assert.equal(error?.reason, "DigestMismatch");
    assert.match(error?.message ?? "", /chart "tampered" 0\.1\.0/);
    assert.ok(await isGone(() => readConfigMap(ns, "tampered-tampered")), "nothing applied");
    assert.notEqual(app.status?.sync?.status, "Synced");
  });

  test("an archive with a ../ entry is refused; nothing is applied or written outside the tree", async () => {
    const ns = await fx.namespace("helmrepo-evil");
    await createChartApp("evil", ns, "evil", "0.1.0");
    const app = await fx.waitApp(
      "evil",
      "a ComparisonError",
      (a) => comparisonError(a) !== undefined,
      60_000,
    );
    const error = comparisonError(app);
    assert.equal(error?.reason, "UnsafeArchive");
    assert.match(error?.message ?? "", /"evil\/\.\.\/\.\.\/escaped\.yaml" has a '\.\.' segment/);
    assert.ok(await isGone(() => readConfigMap(ns, "evil")), "nothing applied");
  });

  test("an index over the size limit, or a repository that does not answer, names the repository; nothing is pruned", async () => {
    const ns = await fx.namespace("helmrepo-down");
    await createChartApp("down", ns, "demo", "0.1.0");
    await fx.waitApp("down", "Synced", (a) => a.status?.sync?.status === "Synced", 60_000);
    const host = new URL(url).host;
    await fx.patchApp("down", { spec: { source: { repoURL: `http://${host}/huge` } } });
    let app = await fx.waitApp("down", "a ComparisonError", (a) => comparisonError(a) !== undefined, 60_000);
    assert.equal(comparisonError(app)?.reason, "LimitExceeded");
    assert.match(
      comparisonError(app)?.message ?? "",
      new RegExp(`Helm repository "http://${host}/huge".*65536 bytes`),
    );

    await fx.patchApp("down", { spec: { source: { repoURL: "http://127.0.0.1:1/charts" } } });
    app = await fx.waitApp(
      "down",
      "RepositoryUnreachable",
      (a) => comparisonError(a)?.reason === "RepositoryUnreachable",
      60_000,
    );
    assert.match(comparisonError(app)?.message ?? "", /127\.0\.0\.1:1\/charts/);
    assert.equal((await readConfigMap(ns, "down-demo")).data?.["version"], "0.1.0", "still there");
  });
});
