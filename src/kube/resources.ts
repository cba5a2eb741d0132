// Generic object access for the pipeline: discovery (kind → resource name, namespaced or not),
// server-side apply (optionally dry-run), read, list by label, delete. The only code that knows
// client-node's calling conventions for arbitrary kinds.
import type { KubernetesObject, V1APIResource } from "@kubernetes/client-node";
import { PatchStrategy } from "@kubernetes/client-node";
import type { KubeClients } from "./client.js";
import { errorStatus } from "./client.js";
import { FIELD_MANAGER } from "./constants.js";

export interface ObjectRef {
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
}

export interface ResourceInfo {
  readonly apiVersion: string;
  readonly kind: string;
  /** Plural resource name, e.g. `deployments`. */
  readonly resource: string;
  readonly namespaced: boolean;
}

export class UnknownKindError extends Error {
  override readonly name = "UnknownKindError";
}

export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf("/");
  return slash < 0
    ? { group: "", version: apiVersion }
    : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

/** Collection URL path of a resource, e.g. `/apis/apps/v1/namespaces/ns/deployments`. */
export function collectionPath(info: ResourceInfo, namespace?: string): string {
  const prefix = info.apiVersion.includes("/") ? `/apis/${info.apiVersion}` : `/api/${info.apiVersion}`;
  const ns = info.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : "";
  return `${prefix}${ns}/${info.resource}`;
}

export class ResourceClient {
  private readonly discovered = new Map<string, Promise<V1APIResource[]>>();

  constructor(private readonly clients: KubeClients) {}

  private async resourcesOf(apiVersion: string, refresh: boolean): Promise<V1APIResource[]> {
    let cached = this.discovered.get(apiVersion);
    if (!cached || refresh) {
      const { group, version } = splitApiVersion(apiVersion);
      cached = (
        group === ""
          ? this.clients.core.getAPIResources()
          : this.clients.custom.getAPIResources({ group, version })
      ).then(
        (list) => list.resources,
        (error: unknown) => {
          this.discovered.delete(apiVersion);
          if (errorStatus(error) === 404) return [];
          throw error;
        },
      );
      this.discovered.set(apiVersion, cached);
    }
    return cached;
  }

  /** Looks a kind up; a miss re-asks the server once (a CRD may have just been established). */
  async info(apiVersion: string, kind: string): Promise<ResourceInfo> {
    for (const refresh of [false, true]) {
      const found = (await this.resourcesOf(apiVersion, refresh)).find((r) => r.kind === kind && !r.name.includes("/"));
      if (found) return { apiVersion, kind, resource: found.name, namespaced: found.namespaced };
    }
    throw new UnknownKindError(`the server does not know ${kind} in ${apiVersion} (is its CRD installed?)`);
  }

  /** Server-side apply with Tether's field manager. `dryRun` returns what the server would store. */
  async apply<T extends KubernetesObject>(object: T, options: { dryRun?: boolean; force?: boolean } = {}): Promise<T> {
    return this.clients.objects.patch(
      object,
      undefined,
      options.dryRun ? "All" : undefined,
      FIELD_MANAGER,
      options.force ?? false,
      PatchStrategy.ServerSideApply,
    );
  }

  /** The live object, or undefined when it does not exist. */
  async read(ref: ObjectRef): Promise<KubernetesObject | undefined> {
    try {
      return await this.clients.objects.read({
        apiVersion: ref.apiVersion,
        kind: ref.kind,
        metadata: { name: ref.name, ...(ref.namespace ? { namespace: ref.namespace } : {}) },
      });
    } catch (error) {
      if (errorStatus(error) === 404) return undefined;
      throw error;
    }
  }

  async list(apiVersion: string, kind: string, labelSelector?: string): Promise<KubernetesObject[]> {
    const items: KubernetesObject[] = [];
    let continueToken: string | undefined;
    do {
      const page = await this.clients.objects.list(
        apiVersion,
        kind,
        undefined,
        undefined,
        undefined,
        undefined,
        undefined,
        labelSelector,
        500,
        continueToken,
      );
      items.push(...page.items.map((item) => ({ ...item, apiVersion, kind })));
      continueToken = page.metadata?._continue || undefined;
    } while (continueToken);
    return items;
  }

  /** Deletes an object (foreground by default, so dependents go first); a missing object is fine. */
  async remove(ref: ObjectRef, propagationPolicy = "Foreground"): Promise<"deleted" | "absent"> {
    try {
      await this.clients.objects.delete(
        {
          apiVersion: ref.apiVersion,
          kind: ref.kind,
          metadata: { name: ref.name, ...(ref.namespace ? { namespace: ref.namespace } : {}) },
        },
        undefined,
        undefined,
        undefined,
        undefined,
        propagationPolicy,
      );
      return "deleted";
    } catch (error) {
      if (errorStatus(error) === 404) return "absent";
      throw error;
    }
  }
}
