// SecretStore (./admin.ts) over core/v1 Secrets in one namespace: string values in,
// base64 `data` on the cluster, and the failures the auth modules expect: read → undefined on 404,
// create → 409 on AlreadyExists, update/delete → 409 when the resourceVersion is stale.
import type { V1Secret } from "@kubernetes/client-node";
import type { SecretStore, StoredSecret } from "./admin.js";
import type { KubeClients } from "../../kube/client.js";
import { kubeErrorMessage, errorStatus } from "../../kube/client.js";

/** An error carrying the apiserver's status, as `storeErrorStatus` reads it. */
export class SecretStoreError extends Error {
  override readonly name = "SecretStoreError";
  constructor(
    message: string,
    readonly statusCode: number | undefined,
  ) {
    super(message);
  }
}

const LABELS = { "app.kubernetes.io/part-of": "tether" };

function encode(data: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(data).map(([k, v]) => [k, Buffer.from(v, "utf8").toString("base64")]),
  );
}

function decode(secret: V1Secret): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(secret.data ?? {})) out[k] = Buffer.from(v, "base64").toString("utf8");
  for (const [k, v] of Object.entries(secret.stringData ?? {})) out[k] ??= v;
  return out;
}

export class KubeSecretStore implements SecretStore {
  constructor(
    private readonly clients: KubeClients,
    readonly namespace: string,
  ) {}

  private fail(what: string, name: string, error: unknown): never {
    throw new SecretStoreError(
      `${what} Secret ${this.namespace}/${name}: ${kubeErrorMessage(error)}`,
      errorStatus(error),
    );
  }

  async read(name: string): Promise<StoredSecret | undefined> {
    try {
      const secret = await this.clients.core.readNamespacedSecret({ name, namespace: this.namespace });
      return { data: decode(secret), resourceVersion: secret.metadata?.resourceVersion ?? "" };
    } catch (error) {
      if (errorStatus(error) === 404) return undefined;
      return this.fail("reading", name, error);
    }
  }

  async create(name: string, data: Record<string, string>): Promise<void> {
    try {
      await this.clients.core.createNamespacedSecret({
        namespace: this.namespace,
        body: {
          metadata: { name, namespace: this.namespace, labels: LABELS },
          type: "Opaque",
          data: encode(data),
        },
      });
    } catch (error) {
      this.fail("creating", name, error);
    }
  }

  async update(name: string, data: Record<string, string>, resourceVersion: string): Promise<void> {
    try {
      // Read-then-replace keeps labels/annotations; the resourceVersion precondition makes it a CAS.
      const live = await this.clients.core.readNamespacedSecret({ name, namespace: this.namespace });
      if (live.metadata?.resourceVersion !== resourceVersion) {
        throw new SecretStoreError(`Secret ${this.namespace}/${name} changed (stale resourceVersion)`, 409);
      }
      await this.clients.core.replaceNamespacedSecret({
        name,
        namespace: this.namespace,
        body: {
          ...live,
          metadata: { ...live.metadata, resourceVersion },
          data: encode(data),
          stringData: undefined,
        },
      });
    } catch (error) {
      if (error instanceof SecretStoreError) throw error;
      this.fail("updating", name, error);
    }
  }

  async delete(name: string, resourceVersion: string): Promise<void> {
    try {
      await this.clients.core.deleteNamespacedSecret({
        name,
        namespace: this.namespace,
        body: { preconditions: { resourceVersion } },
      });
    } catch (error) {
      this.fail("deleting", name, error);
    }
  }
}
