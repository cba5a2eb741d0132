// Bad input for the app path and directory mode, each refused with its typed RenderError. Each
// test asserts the promise rejects: no bad input may produce a partial or empty render.
import fs from "node:fs/promises";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import type { ApplicationSource } from "../../src/model/application.js";
import type { ErrorReason } from "../../src/engine/errors.js";
import { createRenderer } from "../../src/engine/render/index.js";
import type { RenderLimits, RendererOptions } from "../../src/engine/render/index.js";
import { cm, makeBadInputTree, rejectsWithRenderError, withSymlink, write } from "../helpers/render.js";
import { ensureComponent } from "../../src/toolchain/binaries.js";

let tmp = "";
let repo = "";
let outside = "";
let tools: Pick<RendererOptions, "helmBinary" | "kustomizeBinary"> = { helmBinary: "", kustomizeBinary: "" };

async function renderFails(
  source: Partial<ApplicationSource>,
  reason: ErrorReason,
  message: RegExp,
  options: { limits?: Partial<RenderLimits>; helmBinary?: string } = {},
) {
  const renderer = createRenderer({ ...tools, ...options });
  const render = renderer.render({
    repoRoot: repo,
    commit: "c0ffee",
    namespace: "bad",
    source: { repoURL: "x", ...source },
  });
  await rejectsWithRenderError(render, reason, message);
}

before(async () => {
  tools = { helmBinary: await ensureComponent("helm"), kustomizeBinary: await ensureComponent("kustomize") };
  ({ tmp, repo, outside } = await makeBadInputTree());
});
after(() => fs.rm(tmp, { recursive: true, force: true }));

describe("app path", () => {
  test("../ leaves the repository", () =>
    renderFails(
      { path: "ok/../../outside" },
      "PathOutsideRepository",
      /spec\.source\.path "ok\/\.\.\/\.\.\/outside" leaves the repository/,
    ));
  test("absolute path", () =>
    renderFails({ path: "/etc" }, "PathOutsideRepository", /spec\.source\.path "\/etc" is absolute/));
  test("missing path", () =>
    renderFails({ path: "nope" }, "PathNotFound", /spec\.source\.path "nope" does not exist/));
  test("symlink leaving the repository", () =>
    withSymlink(outside, path.join(repo, "escape"), () =>
      renderFails(
        { path: "escape" },
        "PathOutsideRepository",
        /spec\.source\.path "escape" leaves the repository through a symlink/,
      ),
    ));
});

describe("directory mode", () => {
  test("symlinked file pointing outside", async () => {
    await write(repo, { "linkfile/cm.yaml": cm("inside") });
    await withSymlink(path.join(outside, "secret.yaml"), path.join(repo, "linkfile/leak.yaml"), () =>
      renderFails(
        { path: "linkfile" },
        "PathOutsideRepository",
        /linkfile\/leak\.yaml is a symlink that leaves the repository/,
      ),
    );
  });
  test("symlinked directory pointing outside, recursive", async () => {
    await write(repo, { "linkdir/cm.yaml": cm("inside") });
    await withSymlink(outside, path.join(repo, "linkdir/sub"), () =>
      renderFails(
        { path: "linkdir", directory: { recurse: true } },
        "PathOutsideRepository",
        /linkdir\/sub is a symlink that leaves the repository/,
      ),
    );
  });
  test("YAML alias bomb", async () => {
    const lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 9; i++)
      lines.push(
        `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9)
          .fill(`*${String.fromCharCode(96 + i)}`)
          .join(",")}]`,
      );
    await write(repo, {
      "bomb/bomb.yaml": `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bomb\ndata:\n  ${lines.join("\n  ")}\n`,
    });
    await renderFails(
      { path: "bomb" },
      "LimitExceeded",
      /bomb\/bomb\.yaml:1: YAML aliases expand beyond the limit/,
    );
  });
  test("oversized file", async () => {
    await write(repo, { "big/big.yaml": cm("big") + `data:\n  blob: "${"x".repeat(5000)}"\n` });
    await renderFails(
      { path: "big" },
      "LimitExceeded",
      /big\/big\.yaml is \d+ bytes, over the per-file limit of 4096/,
      { limits: { maxFileBytes: 4096 } },
    );
  });
  test("too many documents", async () => {
    await write(repo, {
      "many/many.yaml": Array.from({ length: 11 }, (_, i) => cm(`cm-${i}`)).join("---\n"),
    });
    await renderFails({ path: "many" }, "LimitExceeded", /many\/many\.yaml: more than 10 documents/, {
      limits: { maxDocuments: 10 },
    });
  });
  test("total output over the byte limit", async () => {
    await write(repo, { "bytes/a.yaml": cm("a"), "bytes/b.yaml": cm("b") });
    await renderFails(
      { path: "bytes" },
      "LimitExceeded",
      /bytes\/b\.yaml: manifests exceed the output limit of 80 bytes/,
      { limits: { maxOutputBytes: 80 } },
    );
  });
  test("document that is not a Kubernetes object", async () => {
    await write(repo, {
      "notobj/x.yaml": `${cm("fine")}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {}\n`,
    });
    await renderFails(
      { path: "notobj" },
      "InvalidManifest",
      /notobj\/x\.yaml:6: document is not a Kubernetes object: it has no metadata\.name/,
    );
  });
  test("document that is a list, not a mapping", async () => {
    await write(repo, { "seq/x.yaml": "- a\n- b\n" });
    await renderFails({ path: "seq" }, "InvalidManifest", /seq\/x\.yaml:1: .*is a sequence, not a mapping/);
  });
  test("invalid YAML", async () => {
    await write(repo, { "broken/x.yaml": `${cm("fine")}data:\n  a: [unclosed\n` });
    await renderFails({ path: "broken" }, "InvalidManifest", /broken\/x\.yaml:\d+: invalid YAML/);
  });
});
