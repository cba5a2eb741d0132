// `kubectl apply -k deploy/` is valid: kustomize renders every manifest in deploy/, the apiserver
// accepts each object (server-side apply, dry run), and the Deployment is the hardened one the
// docs promise, with arguments `tether controller` and `tether renderer` themselves accept, and a
// renderer container that holds no credential.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import type { KubernetesObject, V1Container, V1Deployment } from "@kubernetes/client-node";
import { parseAllDocuments } from "yaml";
import { parseControllerFlags } from "../../src/cli/controller.js";
import { parseRendererFlags } from "../../src/cli/renderer.js";
import { heldCredentials } from "../../src/engine/render/remote/credentials.js";
import { collectionPath, ResourceClient } from "../../src/kube/resources.js";
import { ensureComponent } from "../../src/toolchain/binaries.js";
import { repoRoot } from "../../src/toolchain/components.js";
import { clients, installCrds, testNamespace } from "../helpers/environment.js";

const run = promisify(execFile);

test("deploy/ renders with kustomize and every object passes a server-side dry run", async (t) => {
  await installCrds();
  const kustomize = await ensureComponent("kustomize");
  const { stdout } = await run(kustomize, ["build", path.join(repoRoot, "deploy")]);
  const objects = parseAllDocuments(stdout).map((d) => d.toJS() as KubernetesObject);

  // Every manifest file in deploy/ is part of the kustomization (a forgotten file is not installed).
  const kustomization = parseAllDocuments(
    await fs.readFile(path.join(repoRoot, "deploy/kustomization.yaml"), "utf8"),
  )[0]?.toJS() as { resources: string[] };
  const files = (await fs.readdir(path.join(repoRoot, "deploy"))).filter(
    (f) => f.endsWith(".yaml") && f !== "kustomization.yaml",
  );
  for (const file of files)
    assert.ok(kustomization.resources.includes(file), `${file} is in kustomization.yaml`);
  assert.ok(kustomization.resources.includes("crds/applications.tether.dev.yaml"));
  assert.ok(kustomization.resources.includes("crds/appprojects.tether.dev.yaml"));
  assert.deepEqual(objects.map((o) => `${o.kind}/${o.metadata?.name}`).sort(), [
    "ClusterRole/tether-controller",
    "ClusterRole/tether-controller-apply",
    "ClusterRole/tether-image-secrets",
    "ClusterRole/tether-server",
    "ClusterRole/tether-server-live",
    "ClusterRole/tether-server-live-builtin",
    "ClusterRoleBinding/tether-controller",
    "ClusterRoleBinding/tether-controller-apply",
    "ClusterRoleBinding/tether-server",
    "ClusterRoleBinding/tether-server-live",
    "CustomResourceDefinition/applications.tether.dev",
    "CustomResourceDefinition/applicationsets.tether.dev",
    "CustomResourceDefinition/appprojects.tether.dev",
    "CustomResourceDefinition/imagepolicies.tether.dev",
    "CustomResourceDefinition/imagerepositories.tether.dev",
    "CustomResourceDefinition/imageupdateautomations.tether.dev",
    "CustomResourceDefinition/policies.tether.dev",
    "Deployment/tether-controller",
    "Deployment/tether-server",
    "Namespace/tether-system",
    "NetworkPolicy/tether-controller",
    "NetworkPolicy/tether-server",
    "PodDisruptionBudget/tether-controller",
    "PodDisruptionBudget/tether-server",
    "Role/tether-controller",
    "Role/tether-server",
    "RoleBinding/tether-controller",
    "RoleBinding/tether-server",
    "Service/tether-server",
    "ServiceAccount/tether-controller",
    "ServiceAccount/tether-server",
  ]);

  // Dry run in a stand-in namespace: the objects are validated by the real apiserver (schemas,
  // RBAC escalation checks, Pod security fields) without installing anything.
  const namespace = await testNamespace(t, "tether-system");
  const resources = new ResourceClient(clients());
  for (const object of objects) {
    const placed = object.metadata?.namespace
      ? { ...object, metadata: { ...object.metadata, namespace } }
      : object;
    const info = await resources.info(object.apiVersion ?? "", object.kind ?? "");
    // Strict field validation, as kubectl does: a misspelled or misplaced field is an error.
    await clients()
      .raw.request({
        method: "PATCH",
        path: `${collectionPath(info, placed.metadata?.namespace)}/${placed.metadata?.name ?? ""}`,
        query: { fieldManager: "tether-deploy-test", dryRun: "All", fieldValidation: "Strict", force: true },
        contentType: "application/apply-patch+yaml",
        body: placed,
      })
      .catch((error: Error) => {
        throw new Error(`${object.kind} ${object.metadata?.name}: ${error.message}`);
      });
  }

  // The Deployment: hardened, two sharded replicas rolled one at a time, the cache on an emptyDir,
  // flags the CLI accepts, the pod name as the replica id.
  const deployment = objects.find(
    (o) => o.kind === "Deployment" && o.metadata?.name === "tether-controller",
  ) as V1Deployment;
  const pod = deployment.spec?.template.spec;
  assert.deepEqual(
    pod?.containers.map((c) => c.name),
    ["controller", "renderer"],
  );
  const container = pod?.containers.find((c) => c.name === "controller");
  const renderer = pod?.containers.find((c) => c.name === "renderer");
  assert.equal(deployment.spec?.replicas, 2);
  assert.deepEqual(deployment.spec?.strategy, {
    type: "RollingUpdate",
    rollingUpdate: { maxSurge: 1, maxUnavailable: 0 },
  });
  assert.equal(
    container?.env?.find((e) => e.name === "POD_NAME")?.valueFrom?.fieldRef?.fieldPath,
    "metadata.name",
  );
  type ControllerPdb = KubernetesObject & {
    spec: { minAvailable: number; selector: { matchLabels: Record<string, string> } };
  };
  const controllerPdb = objects.find(
    (o) => o.kind === "PodDisruptionBudget" && o.metadata?.name === "tether-controller",
  ) as ControllerPdb;
  assert.equal(controllerPdb.spec.minAvailable, 1);
  assert.deepEqual(controllerPdb.spec.selector.matchLabels, deployment.spec?.selector.matchLabels);
  assert.equal(pod?.serviceAccountName, "tether-controller");
  assert.equal(pod?.securityContext?.runAsNonRoot, true);
  for (const c of [container, renderer]) {
    assert.equal(c?.image, "tether:0.1.0");
    assert.equal(c?.securityContext?.readOnlyRootFilesystem, true, `${c?.name}: read-only root`);
    assert.equal(c?.securityContext?.allowPrivilegeEscalation, false, `${c?.name}: no escalation`);
    assert.deepEqual(c?.securityContext?.capabilities?.drop, ["ALL"], `${c?.name}: no capabilities`);
    assert.ok(c?.resources?.requests?.["memory"] && c.resources.limits?.["memory"], `${c?.name}: memory`);
  }
  const [command, ...args] = container?.args ?? [];
  assert.equal(command, "controller");
  const env = Object.fromEntries((container?.env ?? []).map((e) => [e.name, e.value ?? ""]));
  const flags = parseControllerFlags(args, env);
  assert.equal(flags.systemNamespace, "tether-system");
  assert.ok(flags.sharding, "sharding is on: the replicas share the apps");
  const emptyDirs = new Set((pod?.volumes ?? []).filter((v) => v.emptyDir).map((v) => v.name));
  const mountOf = (c: V1Container | undefined, dir: string) =>
    c?.volumeMounts?.find((m) => m.mountPath === dir);
  const mounted = (c: V1Container | undefined, dir: string) => emptyDirs.has(mountOf(c, dir)?.name ?? "");
  assert.ok(mounted(container, flags.cacheDir), `--cache-dir ${flags.cacheDir} is an emptyDir mount`);
  assert.ok(mounted(container, "/tmp"), "/tmp is writable (Git askpass helpers)");

  // The renderer: `tether renderer` flags, its tools on PATH, its own writable /tmp.
  const [rendererCommand, ...rendererArgs] = renderer?.args ?? [];
  assert.equal(rendererCommand, "renderer");
  const rendererEnv = Object.fromEntries((renderer?.env ?? []).map((e) => [e.name, e.value ?? ""]));
  const rendererFlags = parseRendererFlags(rendererArgs, rendererEnv);
  assert.deepEqual(rendererFlags.helm, { value: "helm", from: "$TETHER_HELM" });
  assert.deepEqual(rendererFlags.kustomize, { value: "kustomize", from: "$TETHER_KUSTOMIZE" });
  assert.equal(rendererFlags.exitWithParent, false);
  assert.ok(mounted(renderer, "/tmp"), "the renderer's /tmp is writable (render temp folders)");
  assert.notEqual(
    mountOf(renderer, "/tmp")?.name,
    mountOf(container, "/tmp")?.name,
    "the containers share no /tmp",
  );

  // The two meet at a socket on an emptyDir both mount, and at the trees, mounted at the same path
  // (a tree's path means the same in both), read-only for the renderer.
  assert.equal(
    rendererFlags.socket,
    flags.rendererSocket,
    "the controller connects to the renderer's socket",
  );
  const socketDir = path.dirname(rendererFlags.socket);
  assert.ok(
    mounted(renderer, socketDir) &&
      mountOf(renderer, socketDir)?.name === mountOf(container, socketDir)?.name,
    `${socketDir} is one emptyDir in both`,
  );
  const trees = path.join(flags.cacheDir, "trees");
  assert.ok(
    mounted(container, trees) && mountOf(renderer, trees)?.name === mountOf(container, trees)?.name,
    `${trees} is one emptyDir in both`,
  );
  assert.equal(mountOf(renderer, trees)?.readOnly, true, "the renderer reads the trees only");
  assert.ok(
    !renderer?.volumeMounts?.some((m) => m.name === mountOf(container, flags.cacheDir)?.name),
    "the renderer has no access to the Git mirrors",
  );

  // No credential in the renderer: no automounted token, none mounted, none in its environment,
  // and another uid than the controller.
  assert.equal(pod?.automountServiceAccountToken, false, "no token is mounted into every container");
  const tokenDir = "/var/run/secrets/kubernetes.io/serviceaccount";
  assert.ok(
    !renderer?.volumeMounts?.some((m) => m.mountPath.startsWith("/var/run/secrets")),
    "the renderer mounts no secrets",
  );
  assert.ok(
    !renderer?.envFrom && !(renderer?.env ?? []).some((e) => e.valueFrom),
    "the renderer's environment holds only literals",
  );
  assert.deepEqual(
    await heldCredentials(rendererEnv),
    [],
    "the renderer's environment passes its own credential check",
  );
  assert.notEqual(
    renderer?.securityContext?.runAsUser ?? pod?.securityContext?.runAsUser,
    container?.securityContext?.runAsUser ?? pod?.securityContext?.runAsUser,
    "another uid",
  );
  for (const v of pod?.volumes ?? []) {
    if (v.secret || v.projected?.sources?.some((s) => s.secret || s.serviceAccountToken))
      assert.ok(
        !renderer?.volumeMounts?.some((m) => m.name === v.name),
        `volume ${v.name} is not mounted into the renderer`,
      );
  }

  // The controller gets exactly what automounting would give it (in-cluster config reads these).
  const tokenMount = mountOf(container, tokenDir);
  assert.equal(tokenMount?.readOnly, true);
  const projected = pod?.volumes?.find((v) => v.name === tokenMount?.name)?.projected?.sources ?? [];
  assert.equal(projected.find((s) => s.serviceAccountToken)?.serviceAccountToken?.path, "token");
  assert.deepEqual(projected.find((s) => s.configMap)?.configMap, {
    name: "kube-root-ca.crt",
    items: [{ key: "ca.crt", path: "ca.crt" }],
  });
  assert.deepEqual(projected.find((s) => s.downwardAPI)?.downwardAPI?.items, [
    { path: "namespace", fieldRef: { apiVersion: "v1", fieldPath: "metadata.namespace" } },
  ]);
});

test("deploy/: the server is a hardened, stateless Deployment behind its Service, PDB and NetworkPolicy", async () => {
  const kustomize = await ensureComponent("kustomize");
  const { stdout } = await run(kustomize, ["build", path.join(repoRoot, "deploy")]);
  const objects = parseAllDocuments(stdout).map((d) => d.toJS() as KubernetesObject);
  const named = <T>(kind: string, name: string) => {
    const found = objects.find((o) => o.kind === kind && o.metadata?.name === name);
    assert.ok(found, `${kind} ${name} is in deploy/`);
    return found as T;
  };
  const deployment = named<V1Deployment>("Deployment", "tether-server");
  const pod = deployment.spec?.template.spec;
  const podLabels = deployment.spec?.template.metadata?.labels ?? {};
  assert.equal(deployment.spec?.replicas, 2);
  assert.equal(deployment.spec?.strategy?.type, "RollingUpdate");
  assert.equal(pod?.serviceAccountName, "tether-server");
  assert.equal(pod?.securityContext?.runAsNonRoot, true);
  assert.equal(pod?.securityContext?.seccompProfile?.type, "RuntimeDefault");
  assert.ok((pod?.terminationGracePeriodSeconds ?? 0) > 0, "a grace period for the SIGTERM stop");
  assert.deepEqual(
    pod?.containers.map((c) => c.name),
    ["server"],
  );
  const server = pod?.containers[0];
  assert.deepEqual(server?.args, ["server", "--system-namespace", "tether-system"]);
  assert.equal(server?.image, "tether:0.1.0");
  assert.deepEqual(server?.ports, [{ name: "http", containerPort: 8080, protocol: "TCP" }]);
  for (const probe of [server?.readinessProbe, server?.livenessProbe])
    assert.deepEqual(probe?.httpGet, { path: "/healthz", port: "http" });
  assert.equal(server?.securityContext?.readOnlyRootFilesystem, true);
  assert.equal(server?.securityContext?.allowPrivilegeEscalation, false);
  assert.deepEqual(server?.securityContext?.capabilities?.drop, ["ALL"]);
  assert.ok(server?.resources?.requests?.["memory"] && server.resources.limits?.["memory"]);
  const tmp = server?.volumeMounts?.find((m) => m.mountPath === "/tmp");
  assert.ok(pod?.volumes?.find((v) => v.name === tmp?.name)?.emptyDir, "/tmp is an emptyDir");
  // Only literal environment: NODE_OPTIONS (the server's settings are flags and cluster objects).
  assert.deepEqual(
    server?.env?.map((e) => e.name),
    ["NODE_OPTIONS"],
  );

  // Every resource has requests and limits (the controller's containers too).
  for (const d of objects.filter((o): o is V1Deployment => o.kind === "Deployment"))
    for (const c of d.spec?.template.spec?.containers ?? [])
      assert.ok(
        c.resources?.requests && c.resources.limits,
        `${d.metadata?.name}/${c.name}: requests and limits`,
      );

  // The Service, PDB and NetworkPolicy select the server's pods; the controller's policy its own.
  const selects = (selector: Record<string, string> | undefined, labels: Record<string, string>) =>
    Object.entries(selector ?? {}).every(([k, v]) => labels[k] === v) &&
    Object.keys(selector ?? {}).length > 0;
  type Service = KubernetesObject & {
    spec: { selector: Record<string, string>; ports: { port: number; targetPort: string }[] };
  };
  const service = named<Service>("Service", "tether-server");
  assert.ok(selects(service.spec.selector, podLabels), "the Service selects the server's pods");
  assert.deepEqual(
    service.spec.ports.map((p) => [p.port, p.targetPort]),
    [[80, "http"]],
  );
  type Pdb = KubernetesObject & {
    spec: { minAvailable: number; selector: { matchLabels: Record<string, string> } };
  };
  const pdb = named<Pdb>("PodDisruptionBudget", "tether-server");
  assert.equal(pdb.spec.minAvailable, 1);
  assert.ok(selects(pdb.spec.selector.matchLabels, podLabels));
  type Policy = KubernetesObject & {
    spec: {
      podSelector: { matchLabels: Record<string, string> };
      policyTypes: string[];
      ingress?: { ports: { port: number }[] }[];
    };
  };
  const serverPolicy = named<Policy>("NetworkPolicy", "tether-server");
  assert.ok(selects(serverPolicy.spec.podSelector.matchLabels, podLabels));
  assert.deepEqual(serverPolicy.spec.policyTypes, ["Ingress"], "egress is not restricted");
  assert.deepEqual(
    serverPolicy.spec.ingress?.flatMap((i) => i.ports.map((p) => p.port)),
    [8080],
  );
  const controllerPolicy = named<Policy>("NetworkPolicy", "tether-controller");
  const controllerPod =
    named<V1Deployment>("Deployment", "tether-controller").spec?.template.metadata?.labels ?? {};
  assert.ok(selects(controllerPolicy.spec.podSelector.matchLabels, controllerPod));
  assert.ok(!selects(controllerPolicy.spec.podSelector.matchLabels, podLabels), "not the server's pods");
  assert.equal(controllerPolicy.spec.ingress, undefined, "no ingress to the controller");

  // components/ingress: an Ingress to the Service's port, and Secure cookies behind its TLS.
  const overlay = await fs.mkdtemp(path.join(os.tmpdir(), "tether-ingress-"));
  try {
    await fs.cp(path.join(repoRoot, "deploy"), path.join(overlay, "deploy"), { recursive: true });
    await fs.writeFile(
      path.join(overlay, "kustomization.yaml"),
      "resources: [deploy]\ncomponents: [deploy/components/ingress]\n",
    );
    const built = parseAllDocuments((await run(kustomize, ["build", overlay])).stdout).map(
      (d) => d.toJS() as KubernetesObject,
    );
    type Ingress = KubernetesObject & {
      spec: {
        rules: { http: { paths: { backend: { service: { name: string; port: { name: string } } } }[] } }[];
      };
    };
    const ingress = built.find((o) => o.kind === "Ingress") as Ingress | undefined;
    assert.deepEqual(ingress?.spec.rules[0]?.http.paths[0]?.backend.service, {
      name: "tether-server",
      port: { name: "http" },
    });
    const withIngress = built.find(
      (o) => o.kind === "Deployment" && o.metadata?.name === "tether-server",
    ) as V1Deployment;
    assert.deepEqual(withIngress.spec?.template.spec?.containers[0]?.args, [
      "server",
      "--system-namespace",
      "tether-system",
      "--secure-cookies",
    ]);
  } finally {
    await fs.rm(overlay, { recursive: true, force: true });
  }
});
