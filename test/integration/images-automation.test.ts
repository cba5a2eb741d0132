// Image update automation end to end: an Application syncs a Deployment from the real Git server;
// ImageRepository + ImagePolicy (semver ^1.2) + ImageUpdateAutomation run in the controller against
// a real registry (Debian's docker-registry). A new tag in the registry becomes a commit in Git that
// changes only the tag bytes, the app syncs it, and the Deployment runs the new image. Also: tags
// outside the range are ignored, a registry outage is a clear condition and no commit, and a push
// that loses a race is retried on the new head.
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import type { Condition } from "../../src/model/application.js";
import type { ImagePolicy, ImageRepository, ImageUpdateAutomation } from "../../src/model/images.js";
import { git } from "../../src/engine/source/gitcli.js";
import type { GitWorkspace } from "../../src/localcluster/gitrepo.js";
import { waitFor } from "../../src/lib/wait.js";
import type { ControllerFixture } from "../helpers/app.js";
import { IN_CLUSTER, startControllerFixture } from "../helpers/app.js";
import { clients } from "../helpers/environment.js";
import type { TestRegistry } from "../helpers/registry.js";
import { startTestRegistry } from "../helpers/registry.js";

const GROUP = { group: "tether.dev", version: "v1alpha1" } as const;
const ready = (o: { status?: { conditions?: Condition[] } }) =>
  o.status?.conditions?.find((c) => c.type === "Ready");

function deploymentYaml(image: string): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web   # the app's web tier
spec:
  replicas: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: ${image} # {"$imagepolicy": "NS:web"}
          ports:
            - containerPort: 80
`;
}

describe("image update automation: registry tag → Git commit → sync", () => {
  let fx: ControllerFixture;
  let registry: TestRegistry;
  let tmp: string;
  let ws: GitWorkspace;
  let url: string;
  let bare: string;
  let destination: string;
  /** Set by a test to push a competing commit right before the automation's next push. */
  let raceOnce: (() => Promise<void>) | undefined;

  const create = async (plural: string, kind: string, name: string, spec: object): Promise<void> => {
    await clients().custom.createNamespacedCustomObject({
      ...GROUP,
      plural,
      namespace: fx.appNs,
      body: { apiVersion: "tether.dev/v1alpha1", kind, metadata: { name }, spec },
    });
  };
  const read = async <T>(plural: string, name: string) =>
    (await clients().custom.getNamespacedCustomObject({ ...GROUP, plural, namespace: fx.appNs, name })) as T;
  const waitObject = <T extends { status?: unknown }>(
    plural: string,
    name: string,
    what: string,
    check: (o: T) => boolean,
    timeoutMs = 30_000,
  ) =>
    waitFor(
      `${plural}/${name}: ${what}`,
      async () => {
        const o = await read<T>(plural, name);
        return check(o) ? o : undefined;
      },
      { timeoutMs },
    ).catch(async (error: Error) => {
      const status = JSON.stringify((await read<T>(plural, name).catch(() => undefined))?.status, null, 1);
      throw new Error(`${error.message}\nstatus: ${status}\nlog:\n${fx.lines.join("\n")}`);
    });
  const head = async () => (await git(["--git-dir", bare, "rev-parse", "refs/heads/main"])).trim();
  const deployedImage = async () =>
    (
      await clients()
        .apps.readNamespacedDeployment({ name: "web", namespace: destination })
        .catch(() => undefined)
    )?.spec?.template.spec?.containers[0]?.image;

  before(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), "tether-images-e2e-"));
    registry = await startTestRegistry(path.join(tmp, "registry"));
    await registry.pushImage("example/app", "1.2.3");
    fx = await startControllerFixture("images", {
      images: {
        registryTimeoutMs: 2_000,
        beforePush: async () => {
          const race = raceOnce;
          raceOnce = undefined;
          await race?.();
        },
      },
    });
    destination = await fx.namespace("images-dest");
    ({ url, ws } = await fx.repository("images", {
      "deploy/deployment.yaml": deploymentYaml(`${registry.host}/example/app:1.2.3`).replace("NS", fx.appNs),
      "README.md": "images demo\n",
    }));
    bare = path.join(fx.git.root, "images.git");
    await fx.createApp("web", {
      source: { repoURL: url, targetRevision: "main", path: "deploy" },
      destination: { server: IN_CLUSTER, namespace: destination },
      syncPolicy: { automated: { prune: true } },
    });
    await create("imagerepositories", "ImageRepository", "web", {
      image: `${registry.host}/example/app`,
      interval: "1s",
      insecure: true,
    });
    await create("imagepolicies", "ImagePolicy", "web", {
      imageRepositoryRef: { name: "web" },
      policy: { semver: { range: "^1.2" } },
    });
    await create("imageupdateautomations", "ImageUpdateAutomation", "web", {
      sourceRef: { url, branch: "main" },
      interval: "2s",
      git: {
        commit: {
          author: { name: "Tether Bot", email: "bot@tether.dev" },
          messageTemplate: "chore(images): {{ images }}\n\n{{ changes }}\n\nAutomation: {{ automation }}",
        },
        push: { branch: "main" },
      },
      update: { path: "deploy", strategy: "Setters" },
    });
  });
  after(async () => {
    await fx?.stop();
    await registry?.stop();
    if (tmp) await fs.rm(tmp, { recursive: true, force: true });
  });

  test("steady state: the policy resolves 1.2.3, the app runs it, the automation has nothing to do", async () => {
    await fx.waitApp("web", "Synced", (a) => a.status?.sync?.status === "Synced");
    assert.equal(await deployedImage(), `${registry.host}/example/app:1.2.3`);
    const repo = await waitObject<ImageRepository>(
      "imagerepositories",
      "web",
      "scanned",
      (r) => ready(r)?.status === "True",
    );
    assert.equal(repo.status?.lastScanResult?.tagCount, 1);
    assert.equal(repo.status?.canonicalImageName, `${registry.host}/example/app`);
    const policy = await waitObject<ImagePolicy>(
      "imagepolicies",
      "web",
      "latest 1.2.3",
      (p) => p.status?.latestTag === "1.2.3",
    );
    assert.equal(policy.status?.latestImage, `${registry.host}/example/app:1.2.3`);
    const auto = await waitObject<ImageUpdateAutomation>(
      "imageupdateautomations",
      "web",
      "ran",
      (a) => ready(a)?.status === "True",
    );
    assert.match(ready(auto)?.message ?? "", /no updates made/);
    assert.equal(auto.status?.lastPushCommit, undefined);
  });

  test("a 2.0.0 tag is ignored by ^1.2: no commit", async () => {
    const before = await head();
    await registry.pushImage("example/app", "2.0.0");
    await waitObject<ImageRepository>(
      "imagerepositories",
      "web",
      "2 tags",
      (r) => r.status?.lastScanResult?.tagCount === 2,
    );
    const policy = await waitObject<ImagePolicy>(
      "imagepolicies",
      "web",
      "evaluated over 2 tags",
      (p) => p.status?.tagCount === 2,
    );
    assert.equal(policy.status?.latestTag, "1.2.3");
    // The automation runs at least once more after the policy saw 2.0.0; Git is untouched.
    const seen =
      (await read<ImageUpdateAutomation>("imageupdateautomations", "web")).status?.lastAutomationRunTime ??
      "";
    await waitObject<ImageUpdateAutomation>(
      "imageupdateautomations",
      "web",
      "ran again",
      (a) => (a.status?.lastAutomationRunTime ?? "") > seen,
    );
    assert.equal(await head(), before);
  });

  test("tag 1.2.4 → a commit changing only the tag bytes, by the templated author/message → the Deployment runs 1.2.4", async () => {
    const before = await head();
    const beforeText = await git(["--git-dir", bare, "show", `${before}:deploy/deployment.yaml`]);
    await registry.pushImage("example/app", "1.2.4");
    const auto = await waitObject<ImageUpdateAutomation>("imageupdateautomations", "web", "pushed", (a) =>
      Boolean(a.status?.lastPushCommit),
    );
    const commit = auto.status?.lastPushCommit ?? "";
    assert.equal(await head(), commit);
    assert.deepEqual(auto.status?.lastPushImages, [`${registry.host}/example/app:1.2.4`]);
    const [author, parent, ...message] = (
      await git(["--git-dir", bare, "log", "-1", "--format=%an <%ae>%n%P%n%B", commit])
    )
      .trimEnd()
      .split("\n");
    assert.equal(author, "Tether Bot <bot@tether.dev>");
    assert.equal(parent, before);
    assert.equal(
      message.join("\n"),
      `chore(images): ${registry.host}/example/app:1.2.4\n\n- deploy/deployment.yaml:15: ${registry.host}/example/app:1.2.3 -> ${registry.host}/example/app:1.2.4 (${fx.appNs}/web)\n\nAutomation: ${fx.appNs}/web`,
    );
    const changed = (await git(["--git-dir", bare, "diff", "--name-only", before, commit])).trim();
    assert.equal(changed, "deploy/deployment.yaml");
    const afterText = await git(["--git-dir", bare, "show", `${commit}:deploy/deployment.yaml`]);
    assert.equal(afterText.length, beforeText.length);
    const diffAt = [...afterText].flatMap((c, i) => (c === beforeText[i] ? [] : [i]));
    assert.deepEqual(
      diffAt.map((i) => `${beforeText[i]}>${afterText[i]}`),
      ["3>4"],
      "exactly the tag byte changed",
    );

    await fx.refresh("web");
    await waitFor("the Deployment to run 1.2.4", async () => (await deployedImage())?.endsWith(":1.2.4"), {
      timeoutMs: 30_000,
    });
    const app = await fx.waitApp(
      "web",
      "Synced at the new commit",
      (a) => a.status?.sync?.status === "Synced" && a.status.sync.revision === commit,
    );
    assert.equal(app.status?.history?.at(-1)?.revision, commit);
  });

  test("a registry outage: Ready=False naming the repository, no commit; recovery clears it", async () => {
    const before = await head();
    await registry.stop();
    const repo = await waitObject<ImageRepository>(
      "imagerepositories",
      "web",
      "outage reported",
      (r) => ready(r)?.status === "False",
    );
    assert.equal(ready(repo)?.reason, "RegistryUnreachable");
    assert.match(
      ready(repo)?.message ?? "",
      new RegExp(`registry ${registry.host} repository example/app: GET tags/list failed`),
    );
    const policy = await read<ImagePolicy>("imagepolicies", "web");
    assert.equal(policy.status?.latestTag, "1.2.4", "the last choice is kept");
    const seen =
      (await read<ImageUpdateAutomation>("imageupdateautomations", "web")).status?.lastAutomationRunTime ??
      "";
    await waitObject<ImageUpdateAutomation>(
      "imageupdateautomations",
      "web",
      "ran during the outage",
      (a) => (a.status?.lastAutomationRunTime ?? "") > seen,
    );
    assert.equal(await head(), before, "no commit during the outage");
    await registry.start();
    await waitObject<ImageRepository>(
      "imagerepositories",
      "web",
      "recovered",
      (r) => ready(r)?.status === "True",
    );
  });

  test("a push conflict (someone pushed meanwhile) is retried on the new head, keeping their commit", async () => {
    const before = await head();
    let theirs = "";
    raceOnce = async () => {
      await git(["pull", "--quiet", "--rebase", "origin", "main"], {
        cwd: ws.dir,
        env: {
          GIT_AUTHOR_NAME: "Someone",
          GIT_AUTHOR_EMAIL: "someone@example.com",
          GIT_COMMITTER_NAME: "Someone",
          GIT_COMMITTER_EMAIL: "someone@example.com",
        },
      });
      theirs = await ws.commitAndPush(
        { "README.md": "images demo, edited meanwhile\n" },
        "docs: edit README meanwhile",
      );
    };
    await registry.pushImage("example/app", "1.2.5");
    const auto = await waitObject<ImageUpdateAutomation>(
      "imageupdateautomations",
      "web",
      "pushed 1.2.5",
      (a) => a.status?.lastPushImages?.[0]?.endsWith(":1.2.5") === true,
    );
    const commit = auto.status?.lastPushCommit ?? "";
    // The Ready message of that run may already be replaced by the next run's ("no updates made");
    // the controller's log keeps what the pushing run said.
    assert.ok(
      fx.lines.some((l) => l.includes(`pushed ${commit} after 2 attempts`)),
      `log:\n${fx.lines.join("\n")}`,
    );
    assert.equal(await head(), commit);
    assert.notEqual(theirs, "");
    assert.equal(
      (await git(["--git-dir", bare, "rev-parse", `${commit}^`])).trim(),
      theirs,
      "rebuilt on their commit",
    );
    assert.equal((await git(["--git-dir", bare, "rev-parse", `${theirs}^`])).trim(), before);
    assert.equal(
      await git(["--git-dir", bare, "show", `${commit}:README.md`]),
      "images demo, edited meanwhile\n",
    );
    assert.match(
      await git(["--git-dir", bare, "show", `${commit}:deploy/deployment.yaml`]),
      /example\/app:1\.2\.5 # \{"\$imagepolicy"/,
    );
  });
});
