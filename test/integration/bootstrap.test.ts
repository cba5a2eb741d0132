// `tether bootstrap` against the real control plane and Git server. The control plane's nodes are
// kwok fakes (no container runtime), so the controller Deployment could never run Tether's image:
// bootstrap installs everything else (--no-controller-deployment) and the test runs `tether
// controller` as a process next to the cluster, exactly as the Deployment would run it inside.
// The system namespace is unique to the test (--system-namespace) so parallel runs never meet.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import type { KubernetesObject } from "@kubernetes/client-node";
import { PatchStrategy } from "@kubernetes/client-node";
import { installObjects } from "../../src/cli/bootstrap.js";
import { ResourceClient } from "../../src/kube/resources.js";
import { repoRoot } from "../../src/localcluster/components.js";
import { GitWorkspace } from "../../src/localcluster/gitrepo.js";
import type { GitServer } from "../../src/localcluster/gitserver.js";
import { startGitServer } from "../../src/localcluster/gitserver.js";
import { waitFor } from "../../src/localcluster/wait.js";
import type { Application } from "../../src/model/application.js";
import { runController } from "../helpers/controllerprocess.js";
import type { ControllerProcess } from "../helpers/controllerprocess.js";
import { configMap } from "../helpers/app.js";
import { clients, testEnv, testNamespace, uniqueName } from "../helpers/environment.js";

const systemNamespace = uniqueName("bootstrap-system");
let git: GitServer;
let tmp: string;
let controller: ControllerProcess | undefined;
const workspaces: GitWorkspace[] = [];

function tether(args: string[]) {
  return spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], { cwd: repoRoot, encoding: "utf8" }); // prettier-ignore
}

before(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), "tether-bootstrap-"));
  git = await startGitServer({ root: tmp });
});

after(async () => {
  await controller?.stop();
  for (const ws of workspaces) await ws.remove();
  await git.close();
  const resources = new ResourceClient(clients());
  const list = await resources.list("tether.dev/v1alpha1", "Application").catch(() => []);
  for (const app of list.filter((a) => a.metadata?.namespace === systemNamespace)) {
    await clients().objects.patch({ apiVersion: "tether.dev/v1alpha1", kind: "Application", metadata: { name: app.metadata?.name ?? "", namespace: systemNamespace, finalizers: null } } as never, undefined, undefined, undefined, undefined, PatchStrategy.MergePatch).catch(() => undefined); // prettier-ignore
  }
  await clients()
    .core.deleteNamespace({ name: systemNamespace })
    .catch(() => undefined);
  await fs.rm(tmp, { recursive: true, force: true });
});

const readApp = (name: string) => new ResourceClient(clients()).read({ apiVersion: "tether.dev/v1alpha1", kind: "Application", namespace: systemNamespace, name }) as Promise<Application | undefined>; // prettier-ignore

test("bootstrap installs Tether, is idempotent, and Git then manages Tether's configuration", async (t) => {
  const dest = await testNamespace(t, "bootstrap-guestbook");
  const configUrl = await git.createRepository("fleet");
  const ws = await GitWorkspace.clone(configUrl);
  workspaces.push(ws);
  await ws.commitAndPush({
    "clusters/test/tether-config.yaml": configMap("tether-config", { note: "managed from Git by the tether-config Application" }),
    "apps/guestbook/ui.yaml": configMap("guestbook-ui", { replicas: "1" }),
  }, "cluster test: Tether config"); // prettier-ignore

  const args = ["bootstrap", "--kubeconfig", testEnv.kubeconfig, "--repo", configUrl, "--path", "clusters/test", "--system-namespace", systemNamespace, "--no-controller-deployment"]; // prettier-ignore
  const first = tether(args);
  assert.equal(first.status, 0, first.stderr);
  assert.match(first.stdout, /created\s+Application .*\/tether-config/);

  // Every object bootstrap manages, with its resourceVersion after the first run.
  const resources = new ResourceClient(clients());
  const objects: KubernetesObject[] = [...(await installObjects({ repo: "", path: "", revision: "", name: "", systemNamespace, controllerDeployment: false })), { apiVersion: "tether.dev/v1alpha1", kind: "Application", metadata: { name: "tether-config", namespace: systemNamespace } }]; // prettier-ignore
  const versions = async () =>
    Promise.all(objects.map(async (o) => `${o.kind}/${o.metadata?.name}@${(await resources.read({ apiVersion: o.apiVersion ?? "", kind: o.kind ?? "", namespace: o.metadata?.namespace, name: o.metadata?.name ?? "" }))?.metadata?.resourceVersion}`)); // prettier-ignore
  const before = await versions();

  const second = tether(args);
  assert.equal(second.status, 0, second.stderr);
  assert.match(second.stdout, new RegExp(`bootstrap: all ${objects.length} objects unchanged`));
  assert.doesNotMatch(second.stdout, /^(created|configured)/m);
  assert.deepEqual(await versions(), before, "the second run wrote nothing");

  controller = runController(["--kubeconfig", testEnv.kubeconfig, "--namespace", systemNamespace, "--system-namespace", systemNamespace, "--poll-interval", "60s"]); // prettier-ignore
  const synced = (name: string) => async () => {
    const app = await readApp(name);
    return app?.status?.sync?.status === "Synced" && app.status.health?.status === "Healthy"
      ? app
      : undefined;
  };
  await waitFor("tether-config Synced and Healthy", synced("tether-config"), { timeoutMs: 60_000, abort: controller.died }); // prettier-ignore
  const config = await clients().core.readNamespacedConfigMap({
    name: "tether-config",
    namespace: systemNamespace,
  });
  assert.equal(config.metadata?.labels?.["tether.dev/managed"] !== undefined, true);

  // A new Application pushed into clusters/test appears and syncs, like any change to an app.
  const guestbook = `apiVersion: tether.dev/v1alpha1
kind: Application
metadata:
  name: guestbook
spec:
  source: { repoURL: ${configUrl}, targetRevision: main, path: apps/guestbook }
  destination: { server: https://kubernetes.default.svc, namespace: ${dest} }
  syncPolicy: { automated: { prune: true } }
`;
  const commit = await ws.commitAndPush(
    { "clusters/test/guestbook.yaml": guestbook },
    "cluster test: add guestbook",
  );
  // What a forge webhook does: ask for a refresh now instead of waiting for the poll.
  await clients().objects.patch({ apiVersion: "tether.dev/v1alpha1", kind: "Application", metadata: { name: "tether-config", namespace: systemNamespace, annotations: { "tether.dev/refresh": "normal" } } } as never, undefined, undefined, undefined, undefined, PatchStrategy.MergePatch); // prettier-ignore
  const app = await waitFor("guestbook Synced and Healthy", synced("guestbook"), { timeoutMs: 60_000, abort: controller.died }); // prettier-ignore
  assert.equal(app.status?.sync?.revision, commit);
  const ui = await clients().core.readNamespacedConfigMap({ name: "guestbook-ui", namespace: dest });
  assert.equal(ui.data?.["replicas"], "1");
  assert.equal((await readApp("tether-config"))?.status?.sync?.revision, commit);
});
