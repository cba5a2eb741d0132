// A chart's values.schema.json may only refer inside itself (hostile testing, issue 17 round 2:
// helm's schema loader followed `$ref: file:///etc/hostname` and `http://127.0.0.1:…`, leaking a
// host file's first byte through the parse error and reaching loopback services). Real helm,
// charts in a folder, behind a folder link, packaged in charts/, and served by a Helm repository;
// a loopback listener proves no request was made.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import fs from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { createRenderer } from "../../src/engine/render/index.js";
import type { RendererOptions } from "../../src/engine/render/index.js";
import { ensureComponent } from "../../src/toolchain/binaries.js";
import { chart, rejectsWithRenderError, write } from "../helpers/render.js";

const run = promisify(execFile);
let tmp = "";
let tools: Pick<RendererOptions, "helmBinary" | "kustomizeBinary"> = { helmBinary: "", kustomizeBinary: "" };
let probe: http.Server;
let probeUrl = "";
const probed: string[] = [];
let helmEnv: NodeJS.ProcessEnv = {};

const template =
  "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  x: {{ .Values.x | quote }}\n";
const schema = (properties: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ type: "object", properties, ...extra });

/** A fresh repository holding `files`; returns its folder. */
async function repository(files: Record<string, string>): Promise<string> {
  const repo = await fs.mkdtemp(path.join(tmp, "repo-"));
  await write(repo, files);
  return repo;
}

const render = (repoRoot: string, source: Record<string, unknown>) =>
  createRenderer(tools).render({
    repoRoot,
    commit: "c0ffee",
    namespace: "ns",
    source: { repoURL: "x", ...source },
  });

before(async () => {
  tools = { helmBinary: await ensureComponent("helm"), kustomizeBinary: await ensureComponent("kustomize") };
  tmp = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), "render-schema-")));
  helmEnv = {
    PATH: process.env.PATH,
    HOME: tmp,
    HELM_CACHE_HOME: path.join(tmp, "h/c"),
    HELM_CONFIG_HOME: path.join(tmp, "h/f"),
    HELM_DATA_HOME: path.join(tmp, "h/d"),
  };
  probe = http.createServer((req, res) => {
    probed.push(req.url ?? "");
    res.writeHead(200, { "content-type": "application/json" }).end('{"type":"integer"}');
  });
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  probeUrl = `http://127.0.0.1:${(probe.address() as AddressInfo).port}`;
});
after(async () => {
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  await fs.rm(tmp, { recursive: true, force: true });
});

describe("a chart in Git", () => {
  // Schemas are made at test time: the listener's port is known only then.
  const cases: [string, () => string, string][] = [
    ["$ref to a host file", () => schema({ x: { $ref: "file:///etc/hostname" } }), "/properties/x/\\$ref"],
    ["$ref relative to the schema", () => schema({ x: { $ref: "other.json" } }), "/properties/x/\\$ref"],
    [
      "$ref to a loopback URL, inside allOf",
      () => schema({ x: { allOf: [{ $ref: `${probeUrl}/allof` }] } }),
      "/properties/x/allOf/0/\\$ref",
    ],
    [
      "$dynamicRef to a URL",
      () => schema({ x: { $dynamicRef: `${probeUrl}/dyn` } }),
      "/properties/x/\\$dynamicRef",
    ],
    [
      "$schema naming a loopback meta-schema",
      () => schema({}, { $schema: `${probeUrl}/meta` }),
      "/\\$schema",
    ],
    ["$ref that is not a string", () => schema({ x: { $ref: { a: 1 } } }), "/properties/x/\\$ref"],
  ];
  for (const [name, bad, pointer] of cases) {
    test(`refused: ${name}`, async () => {
      const repo = await repository({
        "c/Chart.yaml": chart("c"),
        "c/values.yaml": "x: a\n",
        "c/templates/cm.yaml": template,
        "c/values.schema.json": bad(),
      });
      await rejectsWithRenderError(
        render(repo, { path: "c" }),
        "HelmFailed",
        new RegExp(
          `c/values\\.schema\\.json at ${pointer}: .*(refers outside the schema|not a standard JSON Schema draft)`,
        ),
      );
    });
  }

  test("refused: the schema of a subchart reached through a folder link, and one packaged in charts/", async () => {
    const bad = schema({ x: { $ref: `${probeUrl}/linked` } });
    const linked = await repository({
      "c/Chart.yaml": chart("c"),
      "c/templates/cm.yaml": template,
      "other/sub/Chart.yaml": chart("sub"),
      "other/sub/values.schema.json": bad,
    });
    await fs.mkdir(path.join(linked, "c/charts"));
    await fs.symlink("../../other/sub", path.join(linked, "c/charts/sub"));
    await rejectsWithRenderError(
      render(linked, { path: "c" }),
      "HelmFailed",
      /c\/charts\/sub\/values\.schema\.json at \/properties\/x\/\$ref/,
    );

    // A packaged subchart holding a subchart with the bad schema (helm package keeps it a folder).
    const src = path.join(tmp, "pkg");
    await write(src, {
      "inner/Chart.yaml": chart("inner"),
      "inner/values.schema.json": schema({ x: { $ref: "file:///etc/passwd" } }),
      "outer/Chart.yaml": chart("outer"),
    });
    await fs.mkdir(path.join(src, "outer/charts"));
    await run(tools.helmBinary, ["package", path.join(src, "inner"), "-d", path.join(src, "outer/charts")], {
      env: helmEnv,
    });
    const packaged = await repository({ "c/Chart.yaml": chart("c"), "c/templates/cm.yaml": template });
    await fs.mkdir(path.join(packaged, "c/charts"));
    await run(tools.helmBinary, ["package", path.join(src, "outer"), "-d", path.join(packaged, "c/charts")], {
      env: helmEnv,
    });
    await rejectsWithRenderError(
      render(packaged, { path: "c" }),
      "HelmFailed",
      /c\/charts\/outer-0\.1\.0\.tgz!outer\/charts\/inner\/values\.schema\.json at \/properties\/x\/\$ref: \$ref "file:\/\/\/etc\/passwd"/,
    );
    assert.deepEqual(probed, [], "no request reached the loopback listener");
  });

  test("a schema referring inside itself still validates the values", async () => {
    const good = schema(
      { x: { $ref: "#/$defs/word" } },
      {
        $schema: "https://json-schema.org/draft/2020-12/schema",
        $defs: { word: { type: "string", pattern: "^[a-z]+$" } },
      },
    );
    const repo = await repository({
      "c/Chart.yaml": chart("c"),
      "c/values.yaml": "x: abc\n",
      "c/templates/cm.yaml": template,
      "c/values.schema.json": good,
    });
    const result = await render(repo, { path: "c" });
    assert.equal((result.objects[0]?.object.data as { x: string }).x, "abc");
    await rejectsWithRenderError(
      render(repo, { path: "c", helm: { parameters: [{ name: "x", value: "ABC1" }] } }),
      "HelmFailed",
      /values don't meet the specifications of the schema|does not match pattern/,
    );
  });
});

describe("a chart from a Helm repository", () => {
  test("is pulled and its schema checked before helm template loads anything", async () => {
    const served = path.join(tmp, "served");
    await write(path.join(tmp, "evil"), {
      "Chart.yaml": chart("evil"),
      "values.yaml": "x: a\n",
      "templates/cm.yaml": template,
      "values.schema.json": schema({ x: { $ref: `${probeUrl}/remote` } }),
    });
    await fs.mkdir(served);
    await run(tools.helmBinary, ["package", path.join(tmp, "evil"), "-d", served], { env: helmEnv });
    await run(tools.helmBinary, ["repo", "index", served], { env: helmEnv });
    const server = http.createServer((req, res) => {
      fs.readFile(path.join(served, path.basename(req.url ?? ""))).then(
        (body) => res.writeHead(200).end(body),
        () => res.writeHead(404).end(),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const repoURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const repo = await repository({ "README.md": "values live here\n" });
      await rejectsWithRenderError(
        render(repo, { repoURL, chart: "evil", targetRevision: "0.1.0" }),
        "HelmFailed",
        /evil evil\/values\.schema\.json at \/properties\/x\/\$ref: \$ref "http:\/\/127\.0\.0\.1:\d+\/remote" refers outside/,
      );
      assert.deepEqual(probed, [], "no request reached the loopback listener");
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
