// The renderer protocol's pure parts: a reply from the renderer (the side that reads hostile
// repositories) is trusted for nothing — malformed or oversized replies become RenderErrors, and a
// render error keeps its reason; the child's loader flags resolve outside the controller's cwd; the
// renderer's flags and its self-check for credentials.
import assert from "node:assert/strict";
import path from "node:path";
import { describe, test } from "node:test";
import { parseRendererFlags } from "../../src/cli/renderer.js";
import { UsageError } from "../../src/cli/errors.js";
import { RenderError } from "../../src/engine/errors.js";
import { loaderArgs } from "../../src/engine/render/remote/child.js";
import { heldCredentials } from "../../src/engine/render/remote/credentials.js";
import { decodeReply } from "../../src/engine/render/remote/protocol.js";

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
