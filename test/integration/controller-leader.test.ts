// The singletons under the leader Lease, with two `tether controller` processes (3 s Leases): only
// the leader generates an ApplicationSet's apps and runs image automation (one commit for a new tag,
// pushed by the leader); after SIGKILL of the leader the other replica takes the Lease within about
// a lease duration and generates the apps of a changed set.
import assert from "node:assert/strict";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { git } from "../../src/engine/source/gitcli.js";
import { waitFor } from "../../src/lib/wait.js";
import type { Application } from "../../src/model/application.js";
import type { ImagePolicy } from "../../src/model/images.js";
import { mergePatch } from "../../src/kube/apis.js";
import { APP_GROUP, configMap, IN_CLUSTER } from "../helpers/app.js";
import { APPSET_GROUP } from "../helpers/appset.js";
import type { ControllerProcess } from "../helpers/controllerprocess.js";
import { clients } from "../helpers/environment.js";
import type { ReplicaFixture } from "../helpers/replicas.js";
import { startReplicaFixture } from "../helpers/replicas.js";
import type { TestRegistry } from "../helpers/registry.js";
import { startTestRegistry } from "../helpers/registry.js";

const LEASE_MS = 3_000;
const GROUP = { group: "tether.dev", version: "v1alpha1" } as const;

const deploymentYaml = (image: string, policy: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
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
          image: ${image} # {"$imagepolicy": "${policy}"}
`;

describe("controller leader Lease: singletons run on one replica", () => {
  let fx: ReplicaFixture;
  let registry: TestRegistry;
  before(async () => {
    fx = await startReplicaFixture("leader", { leaseMs: LEASE_MS });
    registry = await startTestRegistry(path.join(fx.tmp, "registry"));
    await registry.pushImage("example/app", "1.2.3");
  });
  after(async () => {
    // The replicas first: they talk to the registry until they end.
    for (const c of fx?.replicas.values() ?? []) await c.kill();
    await registry?.stop();
    await fx?.stop();
  });

  test("only the leader generates and pushes; SIGKILL of the leader hands the Lease over", async () => {
    const { appNs, target, replicas } = fx;
    const { url, ws } = await fx.repository("leader");
    await ws.commitAndPush(
      {
        "list/a/cm.yaml": configMap("list-a", { v: "a" }),
        "list/b/cm.yaml": configMap("list-b", { v: "b" }),
        "list/c/cm.yaml": configMap("list-c", { v: "c" }),
        "deploy/deployment.yaml": deploymentYaml(`${registry.host}/example/app:1.2.3`, `${appNs}:web`),
      },
      "sets and images",
    );
    const start = (id: string) => fx.start(id);
    const leads = (c: ControllerProcess, id: string) => () =>
      c.stderr().includes(`leader: ${id} holds Lease tether-controller-leader`) || undefined;
    const setLines = (c: ControllerProcess) =>
      c
        .stderr()
        .split("\n")
        .filter((l) => /applicationset \S+: (created|updated|deleted)/.test(l));
    const generated = async () =>
      (
        (await clients().custom.listNamespacedCustomObject({ ...APP_GROUP, namespace: appNs })) as {
          items: Application[];
        }
      ).items
        .filter((a) => a.metadata.ownerReferences?.some((r) => r.kind === "ApplicationSet"))
        .map((a) => a.metadata.name)
        .sort();

    // r0 starts first and leads; r1 follows.
    const r0 = start("r0");
    await waitFor("r0 leads", leads(r0, "r0"), { timeoutMs: 60_000, abort: r0.died });
    const r1 = start("r1");
    await waitFor("r1 is a member", () => r1.stderr().includes("sharding: replica r1") || undefined, {
      timeoutMs: 60_000,
      abort: r1.died,
    });

    const template = {
      metadata: { name: "list-{{item}}" },
      spec: {
        source: { repoURL: url, targetRevision: "main", path: "list/{{item}}" },
        destination: { server: IN_CLUSTER, namespace: target },
        syncPolicy: { automated: { prune: true } },
      },
    };
    await clients().custom.createNamespacedCustomObject({
      ...APPSET_GROUP,
      namespace: appNs,
      body: {
        apiVersion: "tether.dev/v1alpha1",
        kind: "ApplicationSet",
        metadata: { name: "list" },
        spec: { generators: [{ list: { elements: [{ item: "a" }, { item: "b" }] } }], template },
      },
    });
    await waitFor("two generated apps", async () => ((await generated()).length === 2 ? true : undefined), {
      timeoutMs: 30_000,
    });

    // Image automation: a new tag in range becomes one commit, pushed by the leader.
    const create = (plural: string, kind: string, name: string, spec: object) =>
      clients().custom.createNamespacedCustomObject({
        ...GROUP,
        plural,
        namespace: appNs,
        body: { apiVersion: "tether.dev/v1alpha1", kind, metadata: { name }, spec },
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
      interval: "1s",
      git: { commit: { author: { name: "Tether Bot", email: "bot@tether.dev" } }, push: { branch: "main" } },
      update: { path: "deploy", strategy: "Setters" },
    });
    await registry.pushImage("example/app", "1.3.0");
    const bare = path.join(fx.git.root, "leader.git");
    const botCommits = async () =>
      (await git(["--git-dir", bare, "log", "--format=%an", "refs/heads/main"]))
        .split("\n")
        .filter((a) => a === "Tether Bot").length;
    await waitFor("the automation pushed 1.3.0", async () => ((await botCommits()) >= 1 ? true : undefined), {
      timeoutMs: 30_000,
    });
    const policy = () =>
      clients().custom.getNamespacedCustomObject({
        ...GROUP,
        plural: "imagepolicies",
        namespace: appNs,
        name: "web",
      }) as Promise<ImagePolicy>;
    assert.equal((await policy()).status?.latestTag, "1.3.0");
    await waitFor(
      "r0 logs its push",
      () => /ImageUpdateAutomation \S+: pushed/.test(r0.stderr()) || undefined,
      { timeoutMs: 10_000 },
    );
    assert.equal(await botCommits(), 1, "one commit for one new tag");
    assert.equal(
      r1.stderr().match(/ImageUpdateAutomation|ImagePolicy \S+:/g),
      null,
      `r1 ran image automation:\n${r1.stderr()}`,
    );

    assert.ok(setLines(r0).length >= 2, `r0 generated the apps:\n${r0.stderr()}`);
    assert.deepEqual(setLines(r1), [], "r1 (not the leader) wrote no generated app");
    assert.equal(leads(r1, "r1")(), undefined);

    // SIGKILL r0: r1 takes the Lease once it has not seen it renewed for a duration, then generates.
    const killedAt = performance.now();
    await r0.kill();
    replicas.delete("r0");
    await waitFor("r1 takes the leader Lease", leads(r1, "r1"), {
      timeoutMs: 4 * LEASE_MS,
      intervalMs: 50,
      maxIntervalMs: 100,
      abort: r1.died,
    });
    const takeoverMs = performance.now() - killedAt;
    process.stderr.write(
      `# leader takeover after SIGKILL (lease ${LEASE_MS / 1000} s): ${(takeoverMs / 1000).toFixed(1)} s\n`,
    );
    assert.ok(takeoverMs < 2 * LEASE_MS, `takeover took ${takeoverMs.toFixed(0)} ms`);
    await mergePatch(clients().raw, `/apis/tether.dev/v1alpha1/namespaces/${appNs}/applicationsets`, "list", {
      spec: { generators: [{ list: { elements: [{ item: "a" }, { item: "b" }, { item: "c" }] } }] },
    });
    await waitFor(
      "list-c generated by r1",
      async () => ((await generated()).includes("list-c") ? true : undefined),
      { timeoutMs: 30_000, abort: r1.died },
    );
    assert.ok(
      setLines(r1).some((l) => l.includes("created Application list-c")),
      r1.stderr(),
    );

    // A clean stop releases the Lease: a new replica leads at once, not a duration later.
    const r2 = start("r2");
    await waitFor("r2 is a member", () => r2.stderr().includes("sharding: replica r2") || undefined, {
      timeoutMs: 60_000,
      abort: r2.died,
    });
    const stoppedAt = performance.now();
    await replicas.get("r1")!.stop();
    replicas.delete("r1");
    await waitFor("r2 takes the released Lease", leads(r2, "r2"), {
      timeoutMs: 4 * LEASE_MS,
      intervalMs: 50,
      abort: r2.died,
    });
    process.stderr.write(
      `# leader handover after SIGTERM: ${((performance.now() - stoppedAt) / 1000).toFixed(1)} s\n`,
    );
  });
});
