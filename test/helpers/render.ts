// Shared by the render tests: write a repository tree, small manifests, and the typed-failure check.
import assert from "node:assert/strict";
import fs from "node:fs/promises";
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
