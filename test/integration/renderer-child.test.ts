// The second wall behind the symlink checks: renders run in a child `tether renderer` that holds no
// credential. As root (these machines, CI) it runs as nobody with a scrubbed environment, so a file
// of the controller (mode 0600, like its kubeconfig) is unreadable even when a tree reaches it: the
// tests reach it with a hard link, which no symlink check sees, and show that the same tree
// rendered in the controller's own process does leak it. Also: render errors keep their reason
// across the socket, and a killed renderer fails the render in flight and is replaced.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { RenderError } from "../../src/engine/errors.js";
import { createRenderer } from "../../src/engine/render/index.js";
import type { RenderInput, RenderResult } from "../../src/engine/render/index.js";
import { RENDERER_UID } from "../../src/engine/render/remote/child.js";
import type { RenderService } from "../../src/engine/render/remote/index.js";
import { startRenderService } from "../../src/engine/render/remote/index.js";
import { ensureComponent } from "../../src/toolchain/binaries.js";
import { waitFor } from "../../src/lib/wait.js";
import { chart, cm, rejectsWithRenderError, write } from "../helpers/render.js";

const isRoot = process.getuid?.() === 0;
const CANARY = "client-key-data: c2VjcmV0LWNhbmFyeS1rZXk=";
const ENV_CANARY = "tether-env-canary-4f1d";

let tmp = "";
let credential = "";
let tools = { helmBinary: "", kustomizeBinary: "" };
let service: RenderService;
const lines: string[] = [];

const input = (repoRoot: string, source: RenderInput["source"]): RenderInput => ({
  repoRoot,
  commit: path.basename(repoRoot),
  namespace: "isolation",
  source,
});
const dump = (result: RenderResult) => JSON.stringify(result.objects);

/** A tree where the controller would extract one: in the child's trees folder. */
async function tree(name: string, files: Record<string, string>): Promise<string> {
  const root = path.join(service.treesDir ?? tmp, name);
  await write(root, files);
  return root;
}

/** Uid, gid and supplementary groups of a process (each a list of ids), from /proc. */
async function identity(pid: number): Promise<{ uid: string[]; gid: string[]; groups: string[] }> {
  const status = (await fs.readFile(`/proc/${pid}/status`, "utf8")).split("\n");
  const ids = (name: string) =>
    (status.find((l) => l.startsWith(`${name}:`)) ?? "")
      .slice(name.length + 1)
      .trim()
      .split(/\s+/)
      .filter(Boolean);
  return { uid: ids("Uid"), gid: ids("Gid"), groups: ids("Groups") };
}

async function rendererPid(): Promise<number> {
  await service.renderer.render(
    input(await tree(`warm-${Date.now()}`, { "ok/cm.yaml": cm("warm") }), { repoURL: "x", path: "ok" }),
  );
  const pid = service.pid?.();
  assert.ok(pid, "a renderer process runs");
  return pid;
}

before(async () => {
  tools = { helmBinary: await ensureComponent("helm"), kustomizeBinary: await ensureComponent("kustomize") };
  tmp = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), "tether-renderer-test-")));
  // Stands in for the controller's kubeconfig: root's, 0600, in a 0700 folder.
  const secretDir = path.join(tmp, "controller-state");
  await fs.mkdir(secretDir, { mode: 0o700 });
  credential = path.join(secretDir, "kubeconfig");
  await fs.writeFile(
    credential,
    `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: stolen\ndata:\n  kubeconfig: "${CANARY}"\n`,
    { mode: 0o600 },
  );
  // The controller's environment holds credentials; none may reach the renderer.
  process.env["KUBECONFIG"] = credential;
  process.env["TETHER_TEST_TOKEN"] = ENV_CANARY;
  service = await startRenderService("child", { ...tools, log: (line) => lines.push(line) });
});

after(async () => {
  await service?.stop();
  await fs.rm(tmp, { recursive: true, force: true });
});

describe("the child renderer holds no credentials", () => {
  test("it runs as nobody (as root), with a scrubbed environment and without the controller's groups", async (t) => {
    const pid = await rendererPid();
    const environ = (await fs.readFile(`/proc/${pid}/environ`, "utf8")).split("\0").filter(Boolean);
    const names = environ.map((e) => e.slice(0, e.indexOf("=")));
    assert.deepEqual(
      names.sort(),
      ["HOME", "LANG", "PATH", "TMPDIR"],
      `renderer environment: ${names.join(", ")}`,
    );
    for (const entry of environ) {
      assert.ok(
        !entry.includes(ENV_CANARY) && !entry.includes(credential),
        `no controller credential in ${entry}`,
      );
    }
    if (!isRoot)
      return t.skip("not root: the renderer runs under the controller's own uid (docs/security.md)");
    const id = await identity(pid);
    const nobody = String(RENDERER_UID);
    assert.deepEqual(id.uid, [nobody, nobody, nobody, nobody], "real, effective, saved and fs uid");
    assert.deepEqual(id.gid, [nobody, nobody, nobody, nobody], "real, effective, saved and fs gid");
    assert.deepEqual(id.groups, [], "no supplementary groups (root's are dropped)");
  });

  test("its uid can read neither the controller's 0600 files nor the controller process", (t) => {
    if (!isRoot) return t.skip("not root: no uid to drop to");
    const probe = `
      const fs = require("node:fs");
      for (const file of process.argv.slice(1)) {
        try { fs.readFileSync(file); console.log("READ " + file); } catch (e) { console.log(e.code + " " + file); }
      }`;
    const files = [
      credential,
      `/proc/${process.pid}/environ`,
      `/proc/${process.pid}/mem`,
      path.join(os.homedir(), ".kube/config"),
    ];
    const run = spawnSync(process.execPath, ["-e", probe, ...files], {
      uid: RENDERER_UID,
      gid: RENDERER_UID,
      encoding: "utf8",
      cwd: "/",
    });
    assert.equal(run.status, 0, run.stderr);
    assert.doesNotMatch(run.stdout, /^READ /m, run.stdout);
    assert.match(run.stdout, new RegExp(`^EACCES ${credential}$`, "m"));
  });

  for (const kind of ["directory", "helm"] as const) {
    test(`a ${kind} tree hard-linking the controller's kubeconfig renders without it`, async (t) => {
      if (!isRoot)
        return t.skip("not root: the renderer runs under the controller's uid and could read the file");
      const files: Record<string, string> =
        kind === "directory"
          ? { "app/cm.yaml": cm("ok") }
          : {
              "app/Chart.yaml": chart("hostile"),
              "app/templates/cm.yaml": `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: hostile\ndata:\n  files: {{ .Files.Get "stolen/kubeconfig" | quote }}\n  glob: {{ (.Files.Glob "stolen/*").AsConfig | quote }}\n`,
            };
      const root = await tree(`hostile-${kind}`, files);
      const link = path.join(root, "app", kind === "directory" ? "stolen.yaml" : "stolen/kubeconfig");
      await fs.mkdir(path.dirname(link), { recursive: true });
      // A hard link is no symlink: the first wall (symlink checks) does not see it, the uid does.
      await fs.link(credential, link);
      const source = { repoURL: "x", path: "app" };

      const inProcess = await createRenderer(tools)
        .render(input(root, source))
        .then(dump, (e: Error) => e.message);
      assert.match(
        inProcess,
        /c2VjcmV0LWNhbmFyeS1rZXk=/,
        "rendered by the controller's own uid, the file leaks: the input is real",
      );

      const isolated = await service.renderer.render(input(root, source)).then(dump, (e: Error) => e);
      if (typeof isolated === "string") assert.doesNotMatch(isolated, /c2VjcmV0LWNhbmFyeS1rZXk=/);
      else {
        // helm fails (HelmFailed); Tether's own reader fails with the I/O error, as it would in-process.
        assert.ok(isolated instanceof Error, String(isolated));
        assert.match(isolated.message, /permission denied|EACCES/i);
        assert.doesNotMatch(isolated.message, /c2VjcmV0LWNhbmFyeS1rZXk=/);
      }
    });
  }
});

describe("renders through the socket", () => {
  test("a render error keeps its reason and message", async () => {
    const root = await tree("errors", {
      "bad/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: [\n",
      "ok/cm.yaml": cm("ok"),
    });
    for (const [where, reason] of [
      ["nope", "PathNotFound"],
      ["bad", "InvalidManifest"],
      ["../x", "PathOutsideRepository"],
    ] as const) {
      const local = await createRenderer(tools)
        .render(input(root, { repoURL: "x", path: where }))
        .then(
          () => undefined,
          (e: RenderError) => e,
        );
      assert.ok(local instanceof RenderError, `in-process render of ${where} fails`);
      assert.equal(local.reason, reason);
      await rejectsWithRenderError(
        service.renderer.render(input(root, { repoURL: "x", path: where })),
        reason,
        new RegExp(`^${local.message.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`),
      );
    }
    const ok = await service.renderer.render(input(root, { repoURL: "x", path: "ok" }));
    assert.deepEqual(
      ok.objects.map((o) => [o.object.metadata["name"], o.sourceFile, o.line]),
      [["ok", "ok/cm.yaml", 1]],
    );
    assert.ok(
      Object.isFrozen(ok.objects[0]?.object),
      "a remote result is frozen in the cache like a local one",
    );
    assert.equal(
      service.renderer.cached({ ...input(root, { repoURL: "x", path: "ok" }) }),
      ok,
      "cached on the controller side",
    );
  });

  test("a killed renderer fails the render in flight with RendererUnavailable; the next render starts a new one", async (t) => {
    // A helm that hangs, so the render is surely in flight when its renderer is killed.
    // Where the fake helm (run as nobody) leaves its pid: not in this test's 0700 folder.
    const marks = await fs.mkdtemp(path.join(os.tmpdir(), "tether-renderer-marks-"));
    await fs.chmod(marks, 0o777);
    t.after(() => fs.rm(marks, { recursive: true, force: true }));
    const slowHelm = path.join(tmp, "slow-helm");
    await fs.writeFile(slowHelm, `#!/bin/sh\necho $$ > ${marks}/pid\nexec /bin/sleep 300\n`, { mode: 0o755 });
    const slow = await startRenderService("child", {
      ...tools,
      helmBinary: slowHelm,
      log: (line) => lines.push(line),
    });
    t.after(() => slow.stop());
    const root = path.join(slow.treesDir ?? tmp, "slow");
    await write(root, {
      "chart/Chart.yaml": chart("slow"),
      "chart/templates/cm.yaml": cm("slow"),
      "ok/cm.yaml": cm("after"),
    });
    const inFlight = slow.renderer.render(input(root, { repoURL: "x", path: "chart" }));
    inFlight.catch(() => undefined);
    const helmPid = Number(
      await waitFor(
        "the slow helm to run",
        () => fs.readFile(path.join(marks, "pid"), "utf8").catch(() => undefined),
        {
          timeoutMs: 60_000,
          abort: inFlight.then(
            () => new Error("the render ended"),
            (e: Error) => e,
          ),
        },
      ),
    );
    t.after(
      () =>
        void (() => {
          try {
            process.kill(-helmPid, "SIGKILL");
          } catch {
            /* gone */
          }
        })(),
    );
    const first = slow.pid?.();
    assert.ok(first);
    process.kill(first, "SIGKILL");
    await rejectsWithRenderError(
      inFlight,
      "RendererUnavailable",
      /renderer.*the render is tried again at the next reconcile/,
    );

    // The next reconcile's render comes after the old process is gone (a render sent while the
    // kernel is still tearing it down fails the same way and is retried at the next reconcile).
    await waitFor("the killed renderer's exit to be seen", () => slow.pid?.() === undefined, {
      timeoutMs: 30_000,
    });
    const next = await slow.renderer.render(input(root, { repoURL: "x", path: "ok" }));
    assert.deepEqual(
      next.objects.map((o) => o.object.metadata["name"]),
      ["after"],
    );
    assert.notEqual(slow.pid?.(), first, "a new renderer process");
    assert.ok(
      lines.some((l) => l.includes(`renderer process ${first} was killed by SIGKILL`)),
      lines.join("\n"),
    );
  });
});

describe("the child renderer's workspace", () => {
  test("is removed at stop, and a killed controller's is removed by the next one", async (t) => {
    const parentDir = await fs.mkdtemp(path.join(os.tmpdir(), "tether-renderer-parent-"));
    t.after(() => fs.rm(parentDir, { recursive: true, force: true }));
    // A workspace whose controller is gone (a pid that has exited), and one of a live controller.
    const gone = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], {
      encoding: "utf8",
    });
    const owners: [string, string][] = [
      ["tether-renderer-dead", gone.stdout],
      ["tether-renderer-live", String(process.pid)],
    ];
    for (const [name, pid] of owners) {
      await write(path.join(parentDir, name), { "owner.pid": `${pid}\n`, "trees/c/app/cm.yaml": cm("old") });
      await fs.chmod(path.join(parentDir, name, "trees/c/app"), 0o555);
    }
    const child = await startRenderService("child", { ...tools, log: (line) => lines.push(line), parentDir });
    assert.deepEqual(
      (await fs.readdir(parentDir)).sort(),
      ["tether-renderer-live", path.basename(path.dirname(child.treesDir ?? ""))].sort(),
    );
    await child.stop();
    assert.deepEqual(await fs.readdir(parentDir), ["tether-renderer-live"]);
  });
});
