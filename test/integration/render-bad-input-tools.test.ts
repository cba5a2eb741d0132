// Bad input for helm and kustomize, each refused with its typed RenderError, with the real
// binaries (only the timeout tests use a fake slow helm: a real one is too fast to time out
// deterministically). Each test asserts the promise rejects: no partial or empty render.
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import type { ApplicationSource } from "../../src/model/application.js";
import type { ErrorReason } from "../../src/engine/errors.js";
import { RenderError } from "../../src/engine/errors.js";
import { createRenderer } from "../../src/engine/render/index.js";
import type { RenderLimits, RendererOptions } from "../../src/engine/render/index.js";
import { RenderContext } from "../../src/engine/render/context.js";
import { runKustomizeBuild } from "../../src/engine/render/kustomize.js";
import { resolveLimits } from "../../src/engine/render/types.js";
import {
  chart,
  cm,
  makeBadInputTree,
  rejectsWithRenderError,
  withSymlink,
  write,
} from "../helpers/render.js";
import { ensureComponent } from "../../src/toolchain/binaries.js";
import { waitFor } from "../../src/lib/wait.js";

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

/**
 * Gone, or a zombie: an orphaned grandchild is re-parented to PID 1, and in a container whose
 * PID 1 does not reap, a killed process stays a zombie (state Z) — dead, but still listed.
 */
async function killed(pid: number): Promise<boolean> {
  const stat = await fs.readFile(`/proc/${pid}/stat`, "utf8").catch(() => undefined);
  if (stat === undefined) return true;
  return stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
}

before(async () => {
  tools = { helmBinary: await ensureComponent("helm"), kustomizeBinary: await ensureComponent("kustomize") };
  ({ tmp, repo, outside } = await makeBadInputTree());
});
after(() => fs.rm(tmp, { recursive: true, force: true }));

describe("helm", () => {
  test("valueFiles ../ leaves the repository", () =>
    renderFails(
      { path: "chart", helm: { valueFiles: ["../../outside/values.yaml"] } },
      "PathOutsideRepository",
      /spec\.source\.helm\.valueFiles\[0\] "\.\.\/\.\.\/outside\/values\.yaml" leaves the repository/,
    ));
  test("valueFiles absolute", () =>
    renderFails(
      { path: "chart", helm: { valueFiles: ["/etc/passwd"] } },
      "PathOutsideRepository",
      /spec\.source\.helm\.valueFiles\[0\] "\/etc\/passwd" is absolute/,
    ));
  test("valueFiles through a symlink", async () => {
    // Refused by the whole-tree check (naming the link) before the field's own check is reached.
    await withSymlink(path.join(outside, "values.yaml"), path.join(repo, "chart-values-link.yaml"), () =>
      renderFails(
        { path: "chart", helm: { valueFiles: ["../chart-values-link.yaml"] } },
        "PathOutsideRepository",
        /^chart-values-link\.yaml is a symlink that leaves the repository/,
      ),
    );
  });
  test("valueFiles URL", () =>
    renderFails(
      { path: "chart", helm: { valueFiles: ["https://example.com/v.yaml"] } },
      "PathOutsideRepository",
      /valueFiles\[0\] .* is a URL/,
    ));
  test("missing value file", () =>
    renderFails(
      { path: "chart", helm: { valueFiles: ["nope.yaml"] } },
      "PathNotFound",
      /valueFiles\[0\] "nope\.yaml" does not exist/,
    ));
  test("chart with a template symlinked outside", async () => {
    await write(repo, { "linkchart/Chart.yaml": chart("linkchart") });
    await fs.mkdir(path.join(repo, "linkchart/templates"));
    await withSymlink(
      path.join(outside, "secret.yaml"),
      path.join(repo, "linkchart/templates/leak.yaml"),
      () =>
        renderFails(
          { path: "linkchart" },
          "PathOutsideRepository",
          /linkchart\/templates\/leak\.yaml is a symlink that leaves the repository/,
        ),
    );
  });
  test("chart that fails to template", async () => {
    await write(repo, {
      "failchart/Chart.yaml": chart("failchart"),
      "failchart/templates/x.yaml": '{{ fail "boom" }}\n',
    });
    await renderFails({ path: "failchart" }, "HelmFailed", /helm template failchart failed: .*boom/);
  });
  test("template rendering a non-object names the template", async () => {
    await write(repo, {
      "objchart/Chart.yaml": chart("objchart"),
      "objchart/templates/x.yaml": "kind: ConfigMap\nmetadata:\n  name: x\n",
    });
    await renderFails(
      { path: "objchart" },
      "InvalidManifest",
      /objchart\/templates\/x\.yaml:\d+: document is not a Kubernetes object: it has no apiVersion/,
    );
  });
  test("output over the byte limit kills helm", async () => {
    await write(repo, {
      "bigchart/Chart.yaml": chart("bigchart"),
      "bigchart/templates/x.yaml": `${cm("big")}data:\n  x: "{{ repeat 100000 "x" }}"\n`,
    });
    await renderFails(
      { path: "bigchart" },
      "LimitExceeded",
      /helm template bigchart output exceeds the limit of 50000 bytes/,
      { limits: { maxOutputBytes: 50_000 } },
    );
  });
  test("real helm over a 1 ms time limit", () =>
    renderFails({ path: "chart" }, "RenderTimeout", /time limit/, { limits: { timeoutMs: 1 } }));
  test("a slow helm is SIGKILLed at the time limit", async () => {
    const pidFile = path.join(tmp, "slow.pid");
    const slowHelm = path.join(tmp, "slow-helm.sh");
    await fs.writeFile(slowHelm, `#!/bin/sh\necho $$ > ${pidFile}\nexec /bin/sleep 120\n`, { mode: 0o755 });
    await renderFails(
      { path: "chart" },
      "RenderTimeout",
      /helm template chart was killed after the render time limit/,
      { helmBinary: slowHelm, limits: { timeoutMs: 1500 } },
    );
    const pid = Number(await fs.readFile(pidFile, "utf8"));
    assert.ok(await killed(pid), "the slow helm must be dead, not orphaned");
  });
});

describe("kustomize", () => {
  test("time limit kills kustomize's own children too (process group)", async () => {
    // Real kustomize, inflating a vendored chart with a fake helm that hangs: the SIGKILL goes to
    // the whole group, so the grandchild helm must be gone once the render has failed.
    const pidFile = path.join(tmp, "slow-grandchild.pid");
    const slowHelm = path.join(tmp, "slow-grandchild-helm.sh");
    await fs.writeFile(slowHelm, `#!/bin/sh\necho $$ > ${pidFile}\nexec /bin/sleep 120\n`, { mode: 0o755 });
    await write(repo, {
      "khelm/kustomization.yaml": "helmCharts:\n  - name: c\n    releaseName: r\n",
      "khelm/charts/c/Chart.yaml": chart("c"),
      "khelm/charts/c/templates/cm.yaml": cm("x"),
    });
    await renderFails(
      { path: "khelm", kustomize: { buildOptions: ["--enable-helm"] } },
      "RenderTimeout",
      /kustomize build khelm was killed after the render time limit/,
      { helmBinary: slowHelm, limits: { timeoutMs: 3000 } },
    );
    const pid = Number(await fs.readFile(pidFile, "utf8"));
    // The group's SIGKILL is sent when the render fails; the kernel finishes it a moment later.
    await waitFor("the helm started by kustomize to be dead", () => killed(pid), { timeoutMs: 5_000 });
  });

  test("remote base refused", async () => {
    await write(repo, {
      "remote/kustomization.yaml": "resources:\n  - cm.yaml\n  - github.com/example/repo//deploy?ref=v1\n",
      "remote/cm.yaml": cm("r"),
    });
    await renderFails(
      { path: "remote" },
      "RemoteBaseRefused",
      /remote\/kustomization\.yaml: resources\[1\] "github\.com\/example\/repo\/\/deploy\?ref=v1" is a remote base/,
    );
  });
  test("remote base refused inside a local base", async () => {
    await write(repo, {
      "remote2/base/kustomization.yaml":
        "resources:\n  - https://raw.githubusercontent.com/example/repo/main/cm.yaml\n",
      "remote2/overlay/kustomization.yaml": "resources:\n  - ../base\n",
    });
    await renderFails(
      { path: "remote2/overlay" },
      "RemoteBaseRefused",
      /remote2\/base\/kustomization\.yaml: resources\[0\]/,
    );
  });
  test("helmCharts with a repo refused", async () => {
    await write(repo, {
      "kchart/kustomization.yaml":
        "helmCharts:\n  - name: redis\n    repo: https://charts.example.com\n    version: 1.0.0\n",
    });
    await renderFails(
      { path: "kchart", kustomize: { buildOptions: ["--enable-helm"] } },
      "RemoteBaseRefused",
      /helmCharts\[0\]\.repo/,
    );
  });
  test("resource folder outside the repository", async () => {
    await write(repo, { "outres/kustomization.yaml": "resources:\n  - ../../outside/base\n" });
    await renderFails(
      { path: "outres" },
      "PathOutsideRepository",
      /outres\/kustomization\.yaml resources\[0\] "\.\.\/\.\.\/outside\/base" leaves the repository/,
    );
  });
  test("resource file outside the kustomization root (kustomize's own restrictor)", async () => {
    await write(repo, {
      "rootonly/app/kustomization.yaml": "resources:\n  - ../cm.yaml\n",
      "rootonly/cm.yaml": cm("x"),
    });
    await renderFails({ path: "rootonly/app" }, "KustomizeFailed", /security; file .* is not in or below/);
  });
  test("kustomization folder symlinked outside", async () => {
    await write(repo, { "klink/kustomization.yaml": "resources:\n  - base\n" });
    await withSymlink(path.join(outside, "base"), path.join(repo, "klink/base"), () =>
      renderFails(
        { path: "klink" },
        "PathOutsideRepository",
        /^klink\/base is a symlink that leaves the repository/,
      ),
    );
  });
  test("helm chart home outside the repository", async () => {
    await write(repo, {
      "kchome/kustomization.yaml": "helmGlobals:\n  chartHome: ../../outside\nhelmCharts:\n  - name: c\n",
    });
    await renderFails(
      { path: "kchome", kustomize: { buildOptions: ["--enable-helm"] } },
      "PathOutsideRepository",
      /kchome\/kustomization\.yaml helmGlobals\.chartHome "\.\.\/\.\.\/outside" leaves the repository/,
    );
  });
  test("absolute resource path", async () => {
    await write(repo, { "kabs/kustomization.yaml": "resources:\n  - /etc/kubernetes/admin.yaml\n" });
    await renderFails(
      { path: "kabs" },
      "PathOutsideRepository",
      /kabs\/kustomization\.yaml resources\[0\] "\/etc\/kubernetes\/admin\.yaml" is absolute/,
    );
  });
  test("alias bomb in a kustomization", async () => {
    const levels = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
    for (let i = 1; i < 8; i++) {
      const prev = String.fromCharCode(96 + i);
      levels.push(
        `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill(`*${prev}`).join(", ")}]`,
      );
    }
    await write(repo, {
      "kbomb/kustomization.yaml": `resources: []\nlabels:\n  - pairs:\n      ${levels.join("\n      ")}\n`,
    });
    await renderFails(
      { path: "kbomb" },
      "LimitExceeded",
      /kbomb\/kustomization\.yaml: YAML aliases expand beyond the limit/,
    );
  });
  test("build option not on the allow-list", () =>
    renderFails(
      { path: "ok", type: "Kustomize", kustomize: { buildOptions: ["--enable-exec"] } },
      "KustomizeFailed",
      /spec\.source\.kustomize\.buildOptions\[0\] "--enable-exec" is not an allowed/,
    ));
  test("kustomize failure is typed", async () => {
    await write(repo, { "kbroken/kustomization.yaml": "resources:\n  - missing.yaml\n" });
    await renderFails(
      { path: "kbroken" },
      "PathNotFound",
      /kbroken\/kustomization\.yaml resources\[0\] "missing\.yaml" does not exist/,
    );
  });
  test("backstop: kustomize alone cannot fetch a remote base (no git, no network)", async () => {
    await write(repo, {
      "backstop/kustomization.yaml": "resources:\n  - https://github.com/example/repo//deploy?ref=v1\n",
    });
    const ctx = new RenderContext(repo, resolveLimits({ timeoutMs: 20_000 }), {
      renders: 0,
      cacheHits: 0,
      toolInvocations: 0,
      filesRead: 0,
    });
    try {
      await assert.rejects(
        runKustomizeBuild(ctx, path.join(repo, "backstop"), "backstop", undefined, {
          ...tools,
          allowRemoteBases: false,
        }),
        (error: unknown) => error instanceof RenderError && error.reason === "KustomizeFailed",
      );
    } finally {
      await ctx.dispose();
    }
  });
});
