// What the test runner (test/run.ts) started for this run, read from the environment.
import { randomBytes } from "node:crypto";
import type { TestContext } from "node:test";
import { errorStatus } from "../../src/kube/client.js";
import type { TypedKubeClients } from "../../src/kube/typed.js";
import { typedKubeClients } from "../../src/kube/typed.js";
import { waitFor } from "../../src/lib/wait.js";

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run integration tests through \`npm test\` (test/run.ts)`);
  return value;
}

export const testEnv = {
  get kubeconfig() {
    return required("TETHER_TEST_KUBECONFIG");
  },
  get gitUrl() {
    return required("TETHER_TEST_GIT_URL");
  },
  get gitRoot() {
    return required("TETHER_TEST_GIT_ROOT");
  },
};

let shared: TypedKubeClients | undefined;
export function clients(): TypedKubeClients {
  shared ??= typedKubeClients(testEnv.kubeconfig);
  return shared;
}

/** A unique, DNS-safe name for a test's own objects. */
export function uniqueName(prefix: string): string {
  const slug = prefix
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 40);
  return `${slug}-${randomBytes(3).toString("hex")}`;
}

/** Creates a namespace for one test and deletes it (without waiting) when the test ends. */
export async function testNamespace(t: TestContext, prefix = t.name): Promise<string> {
  const { core } = clients();
  const name = uniqueName(prefix);
  await core.createNamespace({ body: { metadata: { name, labels: { "tether.dev/test": "true" } } } });
  t.after(async () => {
    await core.deleteNamespace({ name }).catch((error: unknown) => {
      if (errorStatus(error) !== 404) throw error;
    });
  });
  // The ServiceAccount controller must create "default" before Pods are admitted.
  await waitFor(
    `ServiceAccount default in ${name}`,
    async () => {
      try {
        return Boolean(await core.readNamespacedServiceAccount({ name: "default", namespace: name }));
      } catch (error) {
        if (errorStatus(error) === 404) return false;
        throw error;
      }
    },
    { timeoutMs: 30_000 },
  );
  return name;
}

/** Installs Tether's CRDs from deploy/crds (server-side apply: idempotent, safe in parallel). */
export async function installCrds(): Promise<void> {
  const { installCrds: install } = await import("../../src/localcluster/product.js");
  const { ResourceClient } = await import("../../src/kube/resources.js");
  await install(new ResourceClient(clients()));
}
