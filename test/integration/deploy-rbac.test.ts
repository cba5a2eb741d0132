// The RBAC in deploy/ is enough, and no more than needed: the controller runs as a separate
// `tether controller` process authenticated only by a ServiceAccount token bound to the rules of
// deploy/rbac.yaml (rewritten to unique names so parallel runs never collide), syncs the demo app
// to Synced/Healthy and records Events without a single "forbidden"; and without the
// tether-controller-apply binding the app reports the apiserver's `forbidden` in its status
// while the controller keeps running.
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { TestContext } from "node:test";
import { after, before, describe, test } from "node:test";
import type { KubernetesObject } from "@kubernetes/client-node";
import { AuthorizationV1Api } from "@kubernetes/client-node";
import { parseAllDocuments, stringify } from "yaml";
import { errorStatus } from "../../src/kube/client.js";
import { typedKubeClients } from "../../src/kube/typed.js";
import { ResourceClient } from "../../src/kube/resources.js";
import { ensureComponent } from "../../src/toolchain/binaries.js";
import { repoRoot } from "../../src/toolchain/components.js";
import { runController } from "../helpers/controllerprocess.js";
import { helloDeployment, helloService } from "../../src/localcluster/demo.js";
import { GitWorkspace } from "../../src/localcluster/gitrepo.js";
import type { GitServer } from "../../src/localcluster/gitserver.js";
import { startGitServer } from "../../src/localcluster/gitserver.js";
import { waitFor } from "../../src/lib/wait.js";
import type { Application } from "../../src/model/application.js";
import { clients, installCrds, testNamespace, uniqueName } from "../helpers/environment.js";

const GROUP = { group: "tether.dev", version: "v1alpha1", plural: "applications" };
const DEPLOY_NAMESPACE = "tether-system";
const DEPLOY_NAMES = ["tether-controller", "tether-controller-apply", "tether-image-secrets"];

interface RbacObject extends KubernetesObject {
  rules?: { apiGroups?: string[]; resources?: string[]; verbs?: string[] }[];
  roleRef?: { kind: string; name: string };
  subjects?: { kind: string; name: string; namespace?: string }[];
}

/** deploy/<file> as objects, with tether-system and the tether-controller* names made unique. */
async function deployObjects(file: string, namespace: string, prefix: string): Promise<RbacObject[]> {
  const text = await fs.readFile(path.join(repoRoot, "deploy", file), "utf8");
  const rename = (name: string) => {
    assert.ok(DEPLOY_NAMES.includes(name), `unexpected name ${name} in deploy/${file}`);
    // tether-controller* → prefix*, tether-image-secrets → prefix-image-secrets (cluster-scoped, unique per run).
    return name.startsWith("tether-controller")
      ? name.replace("tether-controller", prefix)
      : `${prefix}-${name.slice("tether-".length)}`;
  };
  const renameNs = (ns: string | undefined) => {
    assert.equal(ns, DEPLOY_NAMESPACE, `deploy/${file}: namespace`);
    return namespace;
  };
  return parseAllDocuments(text)
    .map((doc) => doc.toJS() as RbacObject | null)
    .filter((o): o is RbacObject => o !== null)
    .map((o) => {
      const metadata = { ...o.metadata, name: rename(o.metadata?.name ?? "") };
      if (o.metadata?.namespace !== undefined || /^(Role|RoleBinding|ServiceAccount)$/.test(o.kind ?? ""))
        metadata.namespace = renameNs(o.metadata?.namespace);
      return {
        ...o,
        metadata,
        ...(o.roleRef ? { roleRef: { ...o.roleRef, name: rename(o.roleRef.name) } } : {}),
        ...(o.subjects
          ? {
              subjects: o.subjects.map((s) => ({
                ...s,
                name: rename(s.name),
                namespace: renameNs(s.namespace),
              })),
            }
          : {}),
      };
    });
}

interface Installed {
  /** Stands in for tether-system. */
  readonly systemNamespace: string;
  readonly kubeconfig: string;
}

/**
 * Installs deploy/serviceaccount.yaml and deploy/rbac.yaml under unique names (without the
 * tether-controller-apply binding when `apply` is false) and writes a kubeconfig that
 * authenticates with nothing but a token of that ServiceAccount.
 */
async function installRbac(t: TestContext, dir: string, options: { apply: boolean }): Promise<Installed> {
  const admin = clients();
  const resources = new ResourceClient(admin);
  const systemNamespace = await testNamespace(t, "tether-system");
  const prefix = uniqueName("tether-rbac");
  const objects = [
    ...(await deployObjects("serviceaccount.yaml", systemNamespace, prefix)),
    ...(await deployObjects("rbac.yaml", systemNamespace, prefix)),
  ];
  const kinds = objects.map((o) => o.kind).sort();
  assert.deepEqual(kinds, [
    "ClusterRole",
    "ClusterRole",
    "ClusterRole",
    "ClusterRoleBinding",
    "ClusterRoleBinding",
    "Role",
    "RoleBinding",
    "ServiceAccount",
  ]);
  // Least privilege: only the apply role may use wildcards.
  for (const o of objects.filter((x) => x.rules && x.metadata?.name !== `${prefix}-apply`)) {
    for (const rule of o.rules ?? [])
      assert.ok(
        ![...(rule.apiGroups ?? []), ...(rule.resources ?? []), ...(rule.verbs ?? [])].includes("*"),
        `${o.kind} ${o.metadata?.name}: no wildcards`,
      );
  }
  const wanted = objects.filter(
    (o) => options.apply || o.metadata?.name !== `${prefix}-apply` || o.kind !== "ClusterRoleBinding",
  );
  t.after(async () => {
    for (const o of wanted.filter((x) => x.kind?.startsWith("Cluster"))) {
      const ref = { apiVersion: o.apiVersion ?? "", kind: o.kind ?? "", name: o.metadata?.name ?? "" };
      await resources.remove(ref, "Background").catch(() => undefined);
    }
  });
  for (const o of wanted) await resources.apply(o, { force: true });

  const serviceAccount = wanted.find((o) => o.kind === "ServiceAccount")?.metadata?.name ?? "";
  const minted = await admin.core.createNamespacedServiceAccountToken({
    name: serviceAccount,
    namespace: systemNamespace,
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  const token = minted.status?.token;
  assert.ok(token, "TokenRequest returned a token");

  const cluster = admin.config.getCurrentCluster();
  assert.ok(cluster, "the admin kubeconfig has a cluster");
  const caData =
    cluster.caData ?? (cluster.caFile ? (await fs.readFile(cluster.caFile)).toString("base64") : undefined);
  const kubeconfig = path.join(dir, `${prefix}.kubeconfig`);
  await fs.writeFile(
    kubeconfig,
    stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: "test", cluster: { server: cluster.server, "certificate-authority-data": caData } }],
      users: [{ name: serviceAccount, user: { token } }],
      contexts: [{ name: "test", context: { cluster: "test", user: serviceAccount } }],
      "current-context": "test",
    }),
    { mode: 0o600 },
  );
  return { systemNamespace, kubeconfig };
}

describe("deploy/ RBAC runs the controller with least privilege", () => {
  let git: GitServer;
  let gitRoot: string;
  let dir: string;
  let ws: GitWorkspace;
  let url: string;
  let helm: string;
  let kustomize: string;

  before(async () => {
    await installCrds();
    gitRoot = await fs.mkdtemp(path.join(os.tmpdir(), "tether-rbac-git-"));
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "tether-rbac-"));
    git = await startGitServer({ root: gitRoot });
    url = await git.createRepository("demo");
    ws = await GitWorkspace.clone(url);
    await ws.commitAndPush(
      { "hello/deployment.yaml": helloDeployment(2), "hello/service.yaml": helloService },
      "hello: nginx with 2 replicas",
    );
    helm = await ensureComponent("helm");
    kustomize = await ensureComponent("kustomize");
  });

  after(async () => {
    await git?.close();
    await ws?.remove();
    await fs.rm(gitRoot, { recursive: true, force: true });
    await fs.rm(dir, { recursive: true, force: true });
  });

  /** Installs the RBAC, starts `tether controller` as the ServiceAccount and creates the demo app. */
  async function setUp(t: TestContext, options: { apply: boolean }) {
    const { systemNamespace, kubeconfig } = await installRbac(t, dir, options);
    const appNs = await testNamespace(t, "apps");
    const destination = await testNamespace(t, "hello");
    const controller = runController([
      "--kubeconfig",
      kubeconfig,
      "--namespace",
      appNs,
      "--system-namespace",
      systemNamespace,
      "--cache-dir",
      path.join(dir, `cache-${appNs}`),
      "--poll-interval",
      "3s",
      "--workers",
      "2",
      "--helm",
      helm,
      "--kustomize",
      kustomize,
    ]);
    t.after(async () => {
      await controller.stop();
      if (process.env["TETHER_TEST_VERBOSE"]) process.stderr.write(controller.stderr());
    });
    await clients().custom.createNamespacedCustomObject({
      ...GROUP,
      namespace: appNs,
      body: {
        apiVersion: "tether.dev/v1alpha1",
        kind: "Application",
        metadata: { name: "hello", namespace: appNs },
        spec: {
          source: { repoURL: url, targetRevision: "main", path: "hello" },
          destination: { server: "https://kubernetes.default.svc", namespace: destination },
          syncPolicy: { automated: { prune: true, selfHeal: true } },
        },
      },
    });
    const readApp = async () =>
      (await clients().custom.getNamespacedCustomObject({
        ...GROUP,
        namespace: appNs,
        name: "hello",
      })) as Application;
    /** Waits, failing early (with the controller's log) if the controller exits. */
    const waitUntil = <T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs: number) =>
      waitFor(what, check, { timeoutMs, abort: controller.died }).catch(async (error: Error) => {
        const status = await readApp().then((a) => JSON.stringify(a.status, null, 1), String);
        throw new Error(`${error.message}\nstatus: ${status}\ncontroller log:\n${controller.stderr()}`);
      });
    return { controller, systemNamespace, appNs, destination, readApp, waitUntil };
  }

  test("with deploy/rbac.yaml the demo app becomes Synced and Healthy, with Events and no forbidden", async (t) => {
    const { controller, systemNamespace, appNs, destination, readApp, waitUntil } = await setUp(t, {
      apply: true,
    });
    await waitUntil(
      "hello Synced and Healthy with 2 ready replicas",
      async () => {
        const app = await readApp();
        if (app.status?.sync?.status !== "Synced" || app.status.health?.status !== "Healthy") return false;
        const d = await clients().apps.readNamespacedDeployment({ name: "hello", namespace: destination });
        return d.status?.readyReplicas === 2;
      },
      120_000,
    );

    const events = await waitUntil(
      "an Event on the Application",
      async () => {
        const list = await clients().core.listNamespacedEvent({
          namespace: appNs,
          fieldSelector: "involvedObject.kind=Application,involvedObject.name=hello",
        });
        return list.items.length > 0 ? list.items : undefined;
      },
      30_000,
    );
    assert.ok(events.some((e) => e.source?.component === "tether-controller"));
    // The installation id was created in the stand-in system namespace (the Role's configmaps create).
    const installation = await clients().core.readNamespacedConfigMap({
      name: "tether-installation",
      namespace: systemNamespace,
    });
    assert.match(installation.data?.["id"] ?? "", /^tether-/);
    assert.equal(controller.running(), true);
    assert.doesNotMatch(controller.stderr(), /forbidden/i);
    assert.equal(await controller.stop(), 0, `the controller exits 0 on SIGTERM:\n${controller.stderr()}`);
    assert.match(controller.stderr(), /stopped/);
  });

  test("without the tether-controller-apply binding the app reports forbidden; the controller keeps running", async (t) => {
    const { controller, destination, readApp, waitUntil } = await setUp(t, { apply: false });
    await t.test("the app shows it as an error condition", async () => {
      const app = await waitUntil(
        "an error condition mentioning forbidden",
        async () => {
          const a = await readApp();
          const error = a.status?.conditions?.find(
            (c) => /Error$/.test(c.type) && /forbidden/i.test(c.message ?? ""),
          );
          return error ? a : undefined;
        },
        // The same bound as the Synced case above: the controller process starts (tsx), claims the
        // app and runs its first fetch, render and dry-run before it can report; on a loaded machine
        // that took longer than the 20 s this waited before (the status held only the claim).
        120_000,
      );
      assert.notEqual(app.status?.sync?.status, "Synced");
    });
    await assert.rejects(
      clients().apps.readNamespacedDeployment({ name: "hello", namespace: destination }),
      (error: unknown) => errorStatus(error) === 404,
      "nothing was applied",
    );
    assert.equal(controller.running(), true, `the controller is still running:\n${controller.stderr()}`);
    assert.equal(await controller.stop(), 0, `the controller exits 0 on SIGTERM:\n${controller.stderr()}`);
  });

  test("without the apply role the ServiceAccount may do exactly the controller's own operations", async (t) => {
    const { systemNamespace, kubeconfig } = await installRbac(t, dir, { apply: false });
    const appNs = await testNamespace(t, "apps");
    const auth = typedKubeClients(kubeconfig).kube.makeApiClient(AuthorizationV1Api);
    const can = async (
      verb: string,
      resource: string,
      namespace?: string,
      group = "",
      subresource?: string,
    ) => {
      const review = await auth.createSelfSubjectAccessReview({
        body: { spec: { resourceAttributes: { verb, group, resource, subresource, namespace } } },
      });
      return review.status?.allowed === true;
    };
    const expected: [string, string, string | undefined, string?, string?, boolean?][] = [
      // The controller's own API, anywhere Applications live.
      ["list", "applications", undefined, "tether.dev"],
      ["watch", "applications", appNs, "tether.dev"],
      ["patch", "applications", appNs, "tether.dev"],
      ["update", "applications", appNs, "tether.dev", "status"],
      ["create", "events", appNs],
      ["create", "namespaces", undefined],
      ["patch", "namespaces", undefined],
      // Image automation: its kinds read, their status written.
      ["watch", "imagerepositories", appNs, "tether.dev"],
      ["list", "imagepolicies", undefined, "tether.dev"],
      ["list", "imageupdateautomations", appNs, "tether.dev"],
      ["update", "imagepolicies", appNs, "tether.dev", "status"],
      ["update", "imageupdateautomations", appNs, "tether.dev", "status"],
      ["update", "imagerepositories", appNs, "tether.dev", "status"],
      ["update", "imagerepositories", appNs, "tether.dev", undefined, false],
      // Its own state, only in its namespace.
      ["get", "configmaps", systemNamespace],
      ["create", "configmaps", systemNamespace],
      ["list", "secrets", systemNamespace],
      ["watch", "appprojects", systemNamespace, "tether.dev"],
      ["create", "appprojects", systemNamespace, "tether.dev"],
      // Generated Applications (ApplicationSets), and the sets' status.
      ["create", "applications", appNs, "tether.dev"],
      ["delete", "applications", appNs, "tether.dev"],
      ["watch", "applicationsets", appNs, "tether.dev"],
      ["update", "applicationsets", appNs, "tether.dev", "status"],
      // And nothing more: no ApplicationSets written by Tether, no Secrets or ConfigMaps of others,
      // no users' objects (that is the apply role's job).
      ["create", "applicationsets", appNs, "tether.dev", undefined, false],
      ["delete", "applicationsets", appNs, "tether.dev", undefined, false],
      ["update", "appprojects", systemNamespace, "tether.dev", undefined, false],
      ["list", "appprojects", appNs, "tether.dev", undefined, false],
      ["list", "secrets", appNs, "", undefined, false],
      ["get", "secrets", undefined, "", undefined, false],
      ["get", "configmaps", appNs, "", undefined, false],
      ["delete", "namespaces", undefined, "", undefined, false],
      ["list", "deployments", undefined, "apps", undefined, false],
      ["create", "clusterroles", undefined, "rbac.authorization.k8s.io", undefined, false],
    ];
    const wrong: string[] = [];
    for (const [verb, resource, namespace, group, subresource, allowed = true] of expected) {
      if ((await can(verb, resource, namespace, group, subresource)) !== allowed)
        wrong.push(
          `${allowed ? "cannot" : "can"} ${verb} ${group ? `${group}/` : ""}${resource}${subresource ? `/${subresource}` : ""} in ${namespace ?? "all namespaces"}`,
        );
    }
    assert.deepEqual(wrong, []);
  });
});
