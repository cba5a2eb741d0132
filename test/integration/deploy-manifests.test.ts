// `kubectl apply -k deploy/` is valid: kustomize renders every manifest in deploy/, the apiserver
// accepts each object (server-side apply, dry run), and the Deployment is the hardened one the
// docs promise, with arguments `tether controller` itself accepts.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import fs from "node:fs/promises";
import path from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import type { KubernetesObject, V1Deployment } from "@kubernetes/client-node";
import { parseAllDocuments } from "yaml";
import { parseControllerFlags } from "../../src/cli/controller.js";
import { collectionPath, ResourceClient } from "../../src/kube/resources.js";
import { ensureComponent } from "../../src/localcluster/binaries.js";
import { repoRoot } from "../../src/localcluster/components.js";
import { clients, installCrds, testNamespace } from "../helpers/environment.js";

const run = promisify(execFile);

test("deploy/ renders with kustomize and every object passes a server-side dry run", async (t) => {
  await installCrds();
  const kustomize = await ensureComponent("kustomize");
  const { stdout } = await run(kustomize, ["build", path.join(repoRoot, "deploy")]);
  const objects = parseAllDocuments(stdout).map((d) => d.toJS() as KubernetesObject);

  // Every manifest file in deploy/ is part of the kustomization (a forgotten file is not installed).
  const kustomization = parseAllDocuments(await fs.readFile(path.join(repoRoot, "deploy/kustomization.yaml"), "utf8"))[0]?.toJS() as { resources: string[] }; // prettier-ignore
  const files = (await fs.readdir(path.join(repoRoot, "deploy"))).filter((f) => f.endsWith(".yaml") && f !== "kustomization.yaml"); // prettier-ignore
  for (const file of files)
    assert.ok(kustomization.resources.includes(file), `${file} is in kustomization.yaml`);
  assert.ok(kustomization.resources.includes("crds/applications.tether.dev.yaml"));
  assert.ok(kustomization.resources.includes("crds/appprojects.tether.dev.yaml"));
  assert.deepEqual(objects.map((o) => `${o.kind}/${o.metadata?.name}`).sort(), [
    "ClusterRole/tether-controller",
    "ClusterRole/tether-controller-apply",
    "ClusterRole/tether-image-secrets",
    "ClusterRoleBinding/tether-controller",
    "ClusterRoleBinding/tether-controller-apply",
    "CustomResourceDefinition/applications.tether.dev",
    "CustomResourceDefinition/applicationsets.tether.dev",
    "CustomResourceDefinition/appprojects.tether.dev",
    "CustomResourceDefinition/imagepolicies.tether.dev",
    "CustomResourceDefinition/imagerepositories.tether.dev",
    "CustomResourceDefinition/imageupdateautomations.tether.dev",
    "CustomResourceDefinition/policies.tether.dev",
    "Deployment/tether-controller",
    "Namespace/tether-system",
    "Role/tether-controller",
    "RoleBinding/tether-controller",
    "ServiceAccount/tether-controller",
  ]);

  // Dry run in a stand-in namespace: the objects are validated by the real apiserver (schemas,
  // RBAC escalation checks, Pod security fields) without installing anything.
  const namespace = await testNamespace(t, "tether-system");
  const resources = new ResourceClient(clients());
  for (const object of objects) {
    const placed = object.metadata?.namespace ? { ...object, metadata: { ...object.metadata, namespace } } : object; // prettier-ignore
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

  // The Deployment: hardened, one replica, the cache on an emptyDir, flags the CLI accepts.
  const deployment = objects.find((o) => o.kind === "Deployment") as V1Deployment;
  const pod = deployment.spec?.template.spec;
  const container = pod?.containers[0];
  assert.equal(deployment.spec?.replicas, 1);
  assert.equal(pod?.serviceAccountName, "tether-controller");
  assert.equal(pod?.securityContext?.runAsNonRoot, true);
  assert.equal(container?.image, "tether:0.1.0");
  assert.equal(container?.securityContext?.readOnlyRootFilesystem, true);
  assert.equal(container?.securityContext?.allowPrivilegeEscalation, false);
  assert.ok(container?.resources?.requests?.["memory"] && container.resources.limits?.["memory"]);
  const [command, ...args] = container?.args ?? [];
  assert.equal(command, "controller");
  const env = Object.fromEntries((container?.env ?? []).map((e) => [e.name, e.value ?? ""]));
  const flags = parseControllerFlags(args, env);
  assert.equal(flags.systemNamespace, "tether-system");
  assert.deepEqual(flags.helm, { value: "helm", from: "$TETHER_HELM" });
  const emptyDirs = new Set((pod?.volumes ?? []).filter((v) => v.emptyDir).map((v) => v.name));
  const mounted = (dir: string) =>
    container?.volumeMounts?.some((m) => m.mountPath === dir && emptyDirs.has(m.name)) ?? false;
  assert.ok(mounted(flags.cacheDir), `--cache-dir ${flags.cacheDir} is an emptyDir mount`);
  assert.ok(mounted("/tmp"), "/tmp is writable (render temp folders)");
});
