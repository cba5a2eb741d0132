// `tether promote` with the real git CLI, the real Git server and the real control plane: one app
// per environment (Kustomize overlays), staging ahead of prod; promoting writes one commit that
// changes only the image tag's bytes, prod syncs to the promoted tag, and `promote history` shows
// it. A Helm values promotion pushed to a new branch leaves main alone, ready for a pull request.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { after, before, describe, test } from "node:test";
import { git } from "../../src/engine/source/gitcli.js";
import { repoRoot } from "../../src/toolchain/components.js";
import type { Application } from "../../src/model/application.js";
import type { ControllerFixture } from "../helpers/app.js";
import { IN_CLUSTER, deployment, startControllerFixture } from "../helpers/app.js";
import { clients } from "../helpers/environment.js";

// Async on purpose: the fixture's Git server runs in this process, so a blocking spawn would deadlock.
function tether(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  const env = { ...process.env, GIT_AUTHOR_NAME: "Release Bot", GIT_AUTHOR_EMAIL: "release@example.com" };
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--import", "tsx", "src/cli/main.ts", ...args],
      { cwd: repoRoot, env },
      (error, stdout, stderr) => {
        resolve({ status: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr });
      },
    );
  });
}

const overlay = (tag: string, comment: string) => `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../../base
images:
  - name: nginx
    newTag: "${tag}" # ${comment}
`;

const liveImage = async (namespace: string) =>
  (await clients().apps.readNamespacedDeployment({ name: "web", namespace })).spec?.template.spec
    ?.containers[0]?.image;

describe("tether promote", () => {
  let fx: ControllerFixture;
  before(async () => {
    fx = await startControllerFixture("promote");
  });
  after(async () => fx.stop());

  test("staging's image tag reaches prod through one commit, and prod syncs to it", async () => {
    const { url } = await fx.repository("web-envs", {
      "web/base/kustomization.yaml": "resources:\n  - deployment.yaml\n",
      "web/base/deployment.yaml": deployment("web", 1),
      "web/overlays/staging/kustomization.yaml": overlay("1.27.1-alpine", "staging: newest"),
      "web/overlays/prod/kustomization.yaml": overlay("1.26.0-alpine", "prod: keep this comment"),
    });
    const staging = await fx.namespace("web-staging");
    const prod = await fx.namespace("web-prod");
    for (const [env, ns] of [
      ["staging", staging],
      ["prod", prod],
    ] as const) {
      await fx.createApp(`web-${env}`, {
        source: { repoURL: url, targetRevision: "main", path: `web/overlays/${env}` },
        destination: { server: IN_CLUSTER, namespace: ns },
        syncPolicy: { automated: { prune: true } },
      });
    }
    const synced = (a: Application) => a.status?.sync?.status === "Synced";
    await fx.waitApp("web-prod", "Synced", synced);
    await fx.waitApp("web-staging", "Synced", synced);
    assert.equal(await liveImage(prod), "nginx:1.26.0-alpine");

    const run = await tether(["promote", "web", "--from", "staging", "--to", "prod", "--repo", url]);
    assert.equal(run.status, 0, run.stderr);
    assert.match(
      run.stdout,
      /web\/overlays\/prod\/kustomization.yaml: images\[nginx\]\.newTag 1\.26\.0-alpine -> 1\.27\.1-alpine/,
    );

    // The commit: message names app, environments and value; only the tag's line changed.
    const head = (await git(["ls-remote", url, "refs/heads/main"])).split("\t")[0] ?? "";
    const show = await tether(["promote", "history", "web", "--repo", url, "-o", "json"]);
    assert.equal(show.status, 0, show.stderr);
    const history = JSON.parse(show.stdout) as {
      commit: string;
      from: string;
      to: string;
      author: string;
      subject: string;
    }[];
    assert.equal(history.length, 1);
    assert.deepEqual(
      [history[0]?.commit, history[0]?.from, history[0]?.to, history[0]?.author],
      [head, "staging", "prod", "Release Bot"],
    );
    assert.equal(history[0]?.subject, "promote web from staging to prod: 1.27.1-alpine");

    const app = await fx.refresh("web-prod");
    assert.ok(app);
    await fx.waitApp("web-prod", `Synced at ${head}`, (a) => synced(a) && a.status?.sync?.revision === head);
    assert.equal(await liveImage(prod), "nginx:1.27.1-alpine");
    assert.equal(await liveImage(staging), "nginx:1.27.1-alpine");

    // Promoting again: nothing to do, no commit.
    const again = await tether(["promote", "web", "--from", "staging", "--to", "prod", "--repo", url]);
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /nothing to promote/);
    assert.equal((await git(["ls-remote", url, "refs/heads/main"])).split("\t")[0], head);
  });

  test("Helm values promoted to a new branch for a pull request; the diff is the changed values only", async () => {
    const staging = "replicaCount: 1\nimage:\n  repository: ghcr.io/example/api\n  tag: 2.10.0\n";
    const prod =
      "# prod\nreplicaCount: 3 # peak\nimage:\n  repository: ghcr.io/example/api\n  tag: '2.9.0'  # pinned by promote\n";
    const { url, ws } = await fx.repository("api-values", {
      "api/values-staging.yaml": staging,
      "api/values-prod.yaml": prod,
    });
    const main = await ws.head();
    const run = await tether([
      "promote",
      "api",
      "--from",
      "staging",
      "--to",
      "prod",
      "--repo",
      url,
      "--push-branch",
      "promote/api-prod",
    ]);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /pushed to promote\/api-prod/);
    assert.equal(
      (await git(["ls-remote", url, "refs/heads/main"])).split("\t")[0],
      main,
      "main is untouched",
    );
    await git(["fetch", "--quiet", "origin", "promote/api-prod"], { cwd: ws.dir });
    const diff = await git(["diff", "--unified=0", main, "FETCH_HEAD"], { cwd: ws.dir });
    const changed = diff.split("\n").filter((l) => /^[-+][^-+]/.test(l));
    assert.deepEqual(changed, [
      "-  tag: '2.9.0'  # pinned by promote",
      "+  tag: '2.10.0'  # pinned by promote",
    ]);
    const message = await git(["log", "-1", "--format=%B", "FETCH_HEAD"], { cwd: ws.dir });
    assert.match(message, /^promote api from staging to prod: 2\.10\.0\n/);
    assert.match(message, /Tether-Promotion: staging->prod\nTether-App: api\n/);
  });
});
