// Shared by the render tests: write a repository tree, small manifests, and the typed-failure check.
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { ErrorReason } from "../../src/engine/errors.js";
import { RenderError } from "../../src/engine/errors.js";

export async function write(root: string, files: Record<string, string>): Promise<void> {
  for (const [rel, text] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(root, rel)), { recursive: true });
    await fs.writeFile(path.join(root, rel), text);
  }
}

export const cm = (name: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n`;
export const chart = (name: string) => `apiVersion: v2\nname: ${name}\nversion: 0.1.0\n`;

/** The render fails with a RenderError of this reason whose message matches. */
export async function rejectsWithRenderError(render: Promise<unknown>, reason: ErrorReason, message: RegExp) {
  await assert.rejects(render, (error: unknown) => {
    assert.ok(error instanceof RenderError, `expected a RenderError, got ${String(error)}`);
    assert.equal(error.reason, reason, error.message);
    assert.match(error.message, message);
    return true;
  });
}

/**
 * The tree the bad-input tests render from: `repo/` (a plain dir and a chart) and, beside it,
 * `outside/` with files a hostile repository would try to reach.
 */
export async function makeBadInputTree(): Promise<{ tmp: string; repo: string; outside: string }> {
  const tmp = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), "render-bad-")));
  const repo = path.join(tmp, "repo");
  const outside = path.join(tmp, "outside");
  await write(outside, {
    "secret.yaml": cm("stolen"),
    "values.yaml": "stolen: true\n",
    "base/kustomization.yaml": "resources: [cm.yaml]\n",
    "base/cm.yaml": cm("outside-base"),
  });
  await write(repo, {
    "ok/cm.yaml": cm("ok"),
    "chart/Chart.yaml": chart("chart"),
    "chart/templates/cm.yaml": cm("{{ .Release.Name }}"),
  });
  return { tmp, repo, outside };
}

/**
 * Runs `body` with a symlink in place, then removes it: the renderer refuses a tree holding any
 * link that leads out, so a link left behind would fail every later render of the shared tree.
 */
export async function withSymlink(target: string, link: string, body: () => Promise<void>): Promise<void> {
  await fs.symlink(target, link);
  try {
    await body();
  } finally {
    await fs.rm(link, { force: true });
  }
}
