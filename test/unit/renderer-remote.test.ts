// The renderer protocol's pure parts: a reply from the renderer (the side that reads hostile
// repositories) is trusted for nothing — malformed or oversized replies become RenderErrors, and a
// render error keeps its reason; the child's loader flags resolve outside the controller's cwd; the
// renderer's flags and its self-check for credentials.
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { describe, test } from "node:test";
import { parseRendererFlags } from "../../src/cli/renderer.js";
import { UsageError } from "../../src/cli/errors.js";
import { RenderError } from "../../src/engine/errors.js";
import { loaderArgs } from "../../src/engine/render/remote/child.js";
import { heldCredentials } from "../../src/engine/render/remote/credentials.js";
import { remoteRenderBackend } from "../../src/engine/render/remote/client.js";
import { decodeReply, readReply } from "../../src/engine/render/remote/protocol.js";
import type { RenderInput } from "../../src/engine/render/types.js";

const work = { toolInvocations: 2, filesRead: 3 };
const object = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "a" } };

const malformed = (reply: unknown, message: RegExp) =>
  assert.throws(
    () => decodeReply(reply),
    (error: unknown) =>
      error instanceof RenderError && error.reason === "RendererUnavailable" && message.test(error.message),
  );

describe("renderer replies", () => {
  test("a result, with the work done", () => {
    const reply = {
      ok: true,
      result: { type: "Directory", objects: [{ object, sourceFile: "a.yaml", line: 1 }] },
      work,
    };
    assert.deepEqual(decodeReply(reply), { work, outcome: reply.result });
  });
  test("a render error keeps its reason and message; a plain failure stays a plain Error", () => {
    const { outcome } = decodeReply({
      ok: false,
      error: { reason: "HelmFailed", message: "helm template failed: x" },
      work,
    });
    assert.ok(outcome instanceof RenderError);
    assert.equal(outcome.reason, "HelmFailed");
    assert.equal(outcome.message, "helm template failed: x");
    const plain = decodeReply({ ok: false, error: { message: "EIO: i/o error" } }).outcome;
    assert.ok(plain instanceof Error && !(plain instanceof RenderError));
    assert.deepEqual(decodeReply({ ok: false, error: { message: "x" } }).work, {
      toolInvocations: 0,
      filesRead: 0,
    });
  });
  test("malformed replies are RendererUnavailable, never a result", () => {
    malformed(null, /not a JSON object/);
    malformed([], /not a JSON object/);
    malformed({ ok: true }, /no result/);
    malformed({ ok: "yes", result: { type: "Directory", objects: [] } }, /no result/);
    malformed({ ok: true, result: { type: "Shell", objects: [] } }, /unknown source type/);
    malformed({ ok: true, result: { type: "Helm", objects: {} } }, /objects is not a list/);
    malformed({ ok: true, result: { type: "Helm", objects: [{ object }] } }, /objects\[0\]/);
    malformed(
      {
        ok: true,
        result: { type: "Helm", objects: [{ object: { kind: "X", metadata: {} }, sourceFile: "t" }] },
      },
      /not a Kubernetes object/,
    );
    malformed(
      {
        ok: true,
        result: { type: "Helm", objects: [{ object: { ...object, metadata: "x" }, sourceFile: "t" }] },
      },
      /not a Kubernetes object/,
    );
    malformed(
      { ok: true, result: { type: "Helm", objects: [{ object, sourceFile: "t", line: "1" }] } },
      /line/,
    );
    malformed({ ok: false, error: { reason: "ApplyFailed", message: "x" } }, /unknown reason "ApplyFailed"/);
    malformed({ ok: false, error: { reason: "x".repeat(10_000), message: "x" } }, /unknown reason "x{64}"$/);
    malformed({ ok: false, error: { reason: "HelmFailed" } }, /without a message/);
  });
  test("work counts that are not counts are ignored", () => {
    const reply = {
      ok: true,
      result: { type: "Directory", objects: [] },
      work: { toolInvocations: -1, filesRead: 1e300 },
    };
    assert.deepEqual(decodeReply(reply).work, { toolInvocations: 0, filesRead: 0 });
  });
});

/** `inner` wrapped in `depth` one-key objects, as JSON text built without recursion. */
const nestedJson = (depth: number, inner = "1") => `${'{"a":'.repeat(depth)}${inner}${"}".repeat(depth)}`;

/** A well-formed success reply whose one object nests `depth` deep (what deepFreeze would recurse). */
const deepResult = (depth: number) =>
  `{"ok":true,"result":{"type":"Helm","objects":[{"sourceFile":"t","object":${nestedJson(depth)}}]}}`;

describe("reply text (readReply): nesting is bounded before anything walks the reply", () => {
  const unavailable = (fn: () => unknown, message: RegExp) =>
    assert.throws(fn, (error: unknown) => {
      assert.ok(error instanceof RenderError, String(error));
      assert.equal(error.reason, "RendererUnavailable");
      assert.match(error.message, message);
      return true;
    });
  test("a reply nested 100,000 deep is a named malformed reply, not a stack overflow", () => {
    unavailable(
      () => readReply(nestedJson(100_000), 200),
      /^the renderer sent a malformed reply: nesting deeper than \d+ levels at a\.a\.a/,
    );
    // Deep inside an object that is otherwise well formed: the path names where.
    const deepObject = deepResult(5_000);
    unavailable(
      () => readReply(deepObject, 200),
      /nesting deeper than \d+ levels at result\.objects\[0\]\.object\.a/,
    );
    const deepList = `{"ok":false,"error":{"message":"x","reason":${"[".repeat(50_000)}${"]".repeat(50_000)}}}`;
    unavailable(() => readReply(deepList, 200), /nesting deeper than \d+ levels at error\.reason\[0\]/);
  });
  test("an object as deep as the manifest parser allows still crosses the socket", () => {
    const deep = JSON.parse(nestedJson(199)) as Record<string, unknown>;
    const reply = {
      ok: true,
      result: { type: "Helm", objects: [{ sourceFile: "t", object: { ...object, spec: deep } }] },
      work,
    };
    assert.deepEqual(readReply(JSON.stringify(reply), 200), { work, outcome: reply.result });
  });
  test("a reply that is not JSON names the HTTP status", () => {
    unavailable(
      () => readReply("<html>", 502),
      /^the renderer answered HTTP 502 with a reply that is not JSON$/,
    );
  });
  test("through the socket: a hostile renderer's deep reply fails the render by name", async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "renderer-remote-"));
    const socket = path.join(dir, "r.sock");
    const server = http.createServer((_req, res) => res.end(deepResult(100_000)));
    await new Promise<void>((resolve) => server.listen(socket, resolve));
    try {
      const backend = remoteRenderBackend({ socket: () => socket, replyTimeoutMs: 30_000 });
      const input = {
        repoRoot: dir,
        commit: "c",
        source: { repoURL: "r", path: "." },
        namespace: "n",
      } as RenderInput;
      const stats = { renders: 0, cacheHits: 0, toolInvocations: 0, filesRead: 0 };
      await assert.rejects(backend(input, stats), (error: unknown) => {
        assert.ok(error instanceof RenderError, String(error));
        assert.equal(error.reason, "RendererUnavailable");
        assert.match(error.message, /malformed reply: nesting deeper than/);
        return true;
      });
    } finally {
      await new Promise((resolve) => server.close(resolve));
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});

describe("the child renderer's command line", () => {
  test("loaders become absolute (the child starts in its own folder)", () => {
    const cwd = process.cwd();
    const args = loaderArgs(
      [
        "--import",
        "tsx",
        "--max-old-space-size=100",
        "--require=./x.cjs",
        "--inspect",
        "--import",
        "file:///a/b.mjs",
      ],
      cwd,
    );
    assert.equal(args.length, 5);
    assert.equal(args[0], "--import");
    assert.match(args[1] ?? "", /^file:\/\/.*node_modules\/tsx\//);
    assert.equal(args[2], `--require=${path.join(cwd, "x.cjs")}`);
    assert.deepEqual(args.slice(3), ["--import", "file:///a/b.mjs"]);
  });
  test("renderer flags", () => {
    const flags = parseRendererFlags(["--socket", "run/r.sock"], { TETHER_HELM: "helm" });
    assert.equal(flags.socket, path.resolve("run/r.sock"));
    assert.deepEqual(flags.helm, { value: "helm", from: "$TETHER_HELM" });
    assert.equal(flags.kustomize, undefined);
    assert.equal(flags.exitWithParent, false);
    assert.equal(parseRendererFlags(["--socket=s", "--exit-with-parent"], {}).exitWithParent, true);
    assert.throws(() => parseRendererFlags([], {}), UsageError);
    assert.throws(() => parseRendererFlags(["--socket", "s", "--helm", ""], {}), UsageError);
    assert.throws(() => parseRendererFlags(["--socket", "s", "--kubeconfig", "k"], {}), UsageError);
  });
  test("credentials in the environment are found by name", async () => {
    const held = await heldCredentials({
      KUBECONFIG: "/k",
      GITHUB_TOKEN: "t",
      DB_PASSWORD: "p",
      SOPS_AGE_KEY: "k",
      AWS_SECRET_ACCESS_KEY: "s",
      PATH: "/bin",
      HOME: "/h",
      TETHER_HELM: "helm",
    });
    assert.deepEqual(held.filter((h) => h.startsWith("environment")).sort(), [
      "environment variable AWS_SECRET_ACCESS_KEY",
      "environment variable DB_PASSWORD",
      "environment variable GITHUB_TOKEN",
      "environment variable KUBECONFIG",
      "environment variable SOPS_AGE_KEY",
    ]);
  });
});
