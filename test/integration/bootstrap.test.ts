// `tether bootstrap` against a real control plane and Git server of its own (it installs the chart's
// cluster-wide objects — CRDs, ClusterRoles and their bindings — which would meet other files' in
// the run's shared cluster). The control plane's nodes are kwok fakes (no container runtime), so
// the controller Deployment could never run Tether's image: bootstrap is told to leave it out
// (--no-controller-deployment: controller.enabled false in the first values.yaml) and the test
// runs `tether controller` as a process next to the cluster, as the Deployment would inside.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs/promises";
import path from "node:path";
import { after, before, test } from "node:test";
import type { KubernetesObject } from "@kubernetes/client-node";
import { PatchStrategy } from "@kubernetes/client-node";
import { parse as parseYaml } from "yaml";
import { kubeClients, loadKubeConfig } from "../../src/kube/client.js";
import { ResourceClient } from "../../src/kube/resources.js";
import { typedKubeClients } from "../../src/kube/typed.js";
import { ensureComponent } from "../../src/toolchain/binaries.js";
import { repoRoot } from "../../src/toolchain/components.js";
import type { LocalEnvironment } from "../../src/localcluster/environment.js";
import { startLocalEnvironment } from "../../src/localcluster/environment.js";
import { GitWorkspace } from "../../src/localcluster/gitrepo.js";
import { waitFor } from "../../src/lib/wait.js";
import type { Application } from "../../src/model/application.js";
import { runController } from "../helpers/controllerprocess.js";
import type { ControllerProcess } from "../helpers/controllerprocess.js";
import { configMap } from "../helpers/app.js";

const systemNamespace = "tether-system";
let env: LocalEnvironment;
let controller: ControllerProcess | undefined;
const workspaces: GitWorkspace[] = [];
let clients: ReturnType<typeof typedKubeClients>;
let resources: ResourceClient;

/** The CLI as a child process, asynchronously: the Git server it pushes to runs in this process. */
async function tether(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], { cwd: repoRoot });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  const status = await new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { status, stdout, stderr };
}

before(async () => {
  env = await startLocalEnvironment({ log: () => undefined });
  clients = typedKubeClients(env.kubeconfigPath);
  resources = new ResourceClient(kubeClients(loadKubeConfig(env.kubeconfigPath)));
});

after(async () => {
  await controller?.stop();
  for (const ws of workspaces) await ws.remove();
  await env?.stop();
});

const readApp = (name: string) =>
  resources.read({
    apiVersion: "tether.dev/v1alpha1",
    kind: "Application",
    namespace: systemNamespace,
    name,
  }) as Promise<Application | undefined>;

test("bootstrap installs Tether from its chart, commits it to Git, is idempotent, and a commit is an upgrade", async () => {
  const helm = await ensureComponent("helm");
  const dest = "guestbook";
  const configUrl = await env.git.createRepository("fleet");
  const ws = await GitWorkspace.clone(configUrl);
  workspaces.push(ws);
  await ws.commitAndPush(
    {
      "clusters/test/tether-config.yaml": configMap("tether-config", {
        note: "managed from Git by the tether-config Application",
      }),
      "apps/guestbook/ui.yaml": configMap("guestbook-ui", { replicas: "1" }),
    },
    "cluster test: Tether config",
  );

  const args = [
    "bootstrap",
    "--kubeconfig",
    env.kubeconfigPath,
    "--repo",
    configUrl,
    "--path",
    "clusters/test",
    "--helm",
    helm,
    "--no-controller-deployment",
  ];
  const first = await tether(args);
  assert.equal(first.status, 0, first.stderr);
  assert.match(first.stdout, /committed\s+clusters\/test\/tether \([0-9a-f]{7}\)/);
  assert.match(first.stdout, /created\s+Application tether-system\/tether$/m);
  assert.match(first.stdout, /created\s+Application tether-system\/tether-config$/m);
  assert.match(first.stdout, /created\s+Deployment tether-system\/tether-server$/m);
  assert.doesNotMatch(
    first.stdout,
    /Deployment tether-system\/tether-controller/,
    "left out: the test runs it",
  );

  // Git holds the installation: the chart of this version, the cluster's values, Application tether.
  const pulled = await GitWorkspace.clone(configUrl);
  workspaces.push(pulled);
  const read = (rel: string) => fs.readFile(path.join(pulled.dir, rel), "utf8");
  assert.equal(
    await read("clusters/test/tether/chart/Chart.yaml"),
    await fs.readFile(path.join(repoRoot, "charts/tether/Chart.yaml"), "utf8"),
  );
  assert.deepEqual(parseYaml(await read("clusters/test/tether/values.yaml")), {
    controller: { enabled: false },
  });
  const installApp = parseYaml(await read("clusters/test/tether.yaml")) as Application;
  assert.equal(installApp.spec.source?.path, "clusters/test/tether/chart");
  assert.deepEqual(installApp.spec.source?.helm?.valueFiles, ["../values.yaml"]);
  const server = await clients.apps.readNamespacedDeployment({
    name: "tether-server",
    namespace: systemNamespace,
  });
  assert.equal(server.spec?.replicas, 2);

  // Again: no commit, nothing written.
  const head = await pulled.head();
  const objects: KubernetesObject[] = (
    first.stdout.match(/^(?:created|configured|unchanged)\s+(\S+) (\S+)$/gm) ?? []
  ).map((line) => {
    const [, kind = "", ref = ""] = /^\S+\s+(\S+) (\S+)$/.exec(line) ?? [];
    const [namespace, name] = ref.includes("/") ? ref.split("/") : [undefined, ref];
    return { kind, metadata: { name, namespace } };
  });
  const second = await tether(args);
  assert.equal(second.status, 0, second.stderr);
  assert.match(second.stdout, /unchanged\s+clusters\/test\/tether in /);
  assert.match(second.stdout, new RegExp(`bootstrap: all ${objects.length} objects unchanged`));
  assert.doesNotMatch(second.stdout, /^(created|configured)/m);
  const remoteHead =
    (await pulled.head()) &&
    (await GitWorkspace.clone(configUrl).then(async (w) => {
      workspaces.push(w);
      return w.head();
    }));
  assert.equal(remoteHead, head, "the second run committed nothing");

  controller = runController([
    "--kubeconfig",
    env.kubeconfigPath,
    "--system-namespace",
    systemNamespace,
    "--poll-interval",
    "60s",
  ]);
  const synced = (name: string) => async () => {
    const app = await readApp(name);
    return app?.status?.sync?.status === "Synced" && app.status.health?.status === "Healthy"
      ? app
      : undefined;
  };
  const refresh = (name: string) =>
    clients.objects.patch(
      {
        apiVersion: "tether.dev/v1alpha1",
        kind: "Application",
        metadata: { name, namespace: systemNamespace, annotations: { "tether.dev/refresh": "normal" } },
      } as never,
      undefined,
      undefined,
      undefined,
      undefined,
      PatchStrategy.MergePatch,
    );
  await waitFor("tether-config Synced and Healthy", synced("tether-config"), {
    timeoutMs: 90_000,
    abort: controller.died,
  });
  await waitFor(
    "tether (the installation) Synced",
    async () => (await readApp("tether"))?.status?.sync?.status === "Synced",
    { timeoutMs: 90_000, abort: controller.died },
  );
  const config = await clients.core.readNamespacedConfigMap({
    name: "tether-config",
    namespace: systemNamespace,
  });
  assert.equal(config.metadata?.labels?.["tether.dev/managed"] !== undefined, true);

  // A setting is a commit: three server replicas, live once Application tether syncs it.
  const bump = await pulled.commitAndPush(
    { "clusters/test/tether/values.yaml": "controller:\n  enabled: false\nserver:\n  replicas: 3\n" },
    "tether: 3 server replicas",
  );
  await refresh("tether"); // what the forge's webhook does
  await waitFor(
    "tether-server at 3 replicas",
    async () =>
      (await clients.apps.readNamespacedDeployment({ name: "tether-server", namespace: systemNamespace }))
        .spec?.replicas === 3,
    { timeoutMs: 60_000, abort: controller.died },
  );
  assert.equal((await readApp("tether"))?.status?.sync?.revision, bump);

  // A new Application pushed into clusters/test appears and syncs, like any change to an app.
  const guestbook = `apiVersion: tether.dev/v1alpha1
kind: Application
metadata:
  name: guestbook
spec:
  source: { repoURL: ${configUrl}, targetRevision: main, path: apps/guestbook }
  destination: { server: https://kubernetes.default.svc, namespace: ${dest} }
  syncPolicy: { automated: { prune: true }, syncOptions: [CreateNamespace=true] }
`;
  const commit = await pulled.commitAndPush(
    { "clusters/test/guestbook.yaml": guestbook },
    "cluster test: add guestbook",
  );
  await refresh("tether-config");
  const app = await waitFor("guestbook Synced and Healthy", synced("guestbook"), {
    timeoutMs: 60_000,
    abort: controller.died,
  });
  assert.equal(app.status?.sync?.revision, commit);
  const ui = await clients.core.readNamespacedConfigMap({ name: "guestbook-ui", namespace: dest });
  assert.equal(ui.data?.["replicas"], "1");
  assert.equal((await readApp("tether-config"))?.status?.sync?.revision, commit);
});
