// Issue 17, item 1, Tether's own reads and writes in a clone: image update automation and `tether
// promote` read YAML files of a repository and write them back. A symlink committed to the
// repository must not let either read or overwrite a file outside the clone. Real repositories on
// the real Git server, the real git CLI, and the functions the controller and the CLI run.
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { runGitUpdate } from "../../src/controller/images/gitupdate.js";
import type { GitServer } from "../../src/localcluster/gitserver.js";
import { startGitServer } from "../../src/localcluster/gitserver.js";
import { GitWorkspace } from "../../src/localcluster/gitrepo.js";
import { promote } from "../../src/promote/git.js";

const AUTHOR = { name: "Tether Bot", email: "bot@tether.dev" };
const MARKED =
  'apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n    - name: web\n      image: example/app:1.0.0 # {"$imagepolicy": "ns:web"}\n';
const overlay = (tag: string) =>
  `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nimages:\n  - name: nginx\n    newTag: "${tag}"\n`;

describe("Tether's own edits stay in the clone", () => {
  let tmp: string;
  let outside: string;
  let server: GitServer;
  const workspaces: GitWorkspace[] = [];

  before(async () => {
    tmp = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), "repo-symlink-writes-")));
    outside = path.join(tmp, "outside");
    await fs.mkdir(path.join(outside, "prod"), { recursive: true });
    await fs.mkdir(path.join(tmp, "git"));
    server = await startGitServer({ root: path.join(tmp, "git") });
  });
  after(async () => {
    await server?.close();
    for (const ws of workspaces) await ws.remove();
    if (tmp) await fs.rm(tmp, { recursive: true, force: true });
  });

  /** Files outside the clone, written fresh; returns a check that they are unchanged. */
  async function plantOutside(files: Record<string, string>) {
    for (const [name, text] of Object.entries(files)) await fs.writeFile(path.join(outside, name), text);
    return async () => {
      for (const [name, text] of Object.entries(files))
        assert.equal(
          await fs.readFile(path.join(outside, name), "utf8"),
          text,
          `${name} outside the clone changed`,
        );
    };
  }

  async function repository(name: string, files: Record<string, string>, links: Record<string, string>) {
    const url = await server.createRepository(name);
    const ws = await GitWorkspace.clone(url);
    workspaces.push(ws);
    await ws.write(files);
    for (const [link, target] of Object.entries(links)) {
      await fs.mkdir(path.dirname(path.join(ws.dir, link)), { recursive: true });
      await fs.symlink(target, path.join(ws.dir, link));
    }
    await ws.commit(`${name}: initial commit`);
    await ws.push();
    return url;
  }

  const update = (url: string, updatePath: string) =>
    runGitUpdate({
      url,
      checkoutBranch: "main",
      pushBranch: "main",
      path: updatePath,
      author: AUTHOR,
      messageTemplate: "images",
      automation: "ns/web",
      choose: () => ({ name: "example/app", tag: "9.9.9" }),
      timeoutMs: 20_000,
    });

  test("image automation: spec.update.path through a link out of the clone (absolute, or climbing) is refused", async () => {
    const unchanged = await plantOutside({ "pod.yaml": MARKED });
    const url = await repository(
      "img-root",
      { "README.md": "x\n" },
      { deploy: outside, up: "../../../../../../../.." },
    );
    await assert.rejects(
      update(url, "deploy"),
      /spec\.update\.path "deploy" leaves the repository through a symlink/,
    );
    await assert.rejects(
      update(url, "up"),
      /spec\.update\.path "up" leaves the repository through a symlink/,
    );
    await unchanged();
  });

  test("image automation: links below the folder are neither read nor written; regular files are updated", async () => {
    const unchanged = await plantOutside({ "linked.yaml": MARKED, "prod/pod.yaml": MARKED });
    const url = await repository(
      "img-below",
      { "deploy/pod.yaml": MARKED },
      { "deploy/linked.yaml": path.join(outside, "linked.yaml"), "deploy/sub": path.join(outside, "prod") },
    );
    const result = await update(url, "deploy");
    assert.deepEqual(
      result.files.map((f) => f.file),
      ["deploy/pod.yaml"],
    );
    assert.ok(result.pushed);
    await unchanged();
  });

  test("image automation: a folder link inside the clone is followed to the files git knows", async () => {
    const url = await repository("img-inside", { "real/pod.yaml": MARKED }, { deploy: "real" });
    const result = await update(url, "deploy");
    assert.deepEqual(
      result.files.map((f) => f.file),
      ["real/pod.yaml"],
    );
  });

  test("promote: a target overlay folder or values file linked out of the clone is refused, nothing written", async () => {
    const unchanged = await plantOutside({
      "prod/kustomization.yaml": overlay("1.0.0"),
      "values-prod.yaml": "image:\n  tag: 1.0.0\n",
    });
    const kustomize = await repository(
      "promote-overlay",
      { "shop/overlays/staging/kustomization.yaml": overlay("2.0.0") },
      { "shop/overlays/prod": path.join(outside, "prod") },
    );
    await assert.rejects(
      promote({ repo: kustomize, app: "shop", from: "staging", to: "prod", author: AUTHOR }),
      /shop\/overlays\/prod\/kustomization\.yaml is a symlink or passes through one/,
    );
    const helm = await repository(
      "promote-values",
      { "shop/values-staging.yaml": "image:\n  tag: 2.0.0\n" },
      { "shop/values-prod.yaml": path.join(outside, "values-prod.yaml") },
    );
    await assert.rejects(
      promote({ repo: helm, app: "shop", from: "staging", to: "prod", author: AUTHOR }),
      /shop\/values-prod\.yaml is a symlink or passes through one/,
    );
    await unchanged();
  });
});
