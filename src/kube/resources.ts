// Generic object access for the pipeline: discovery (kind → resource name, namespaced or not),
// server-side apply (optionally dry-run), read, list by label, delete. The only code that knows
// client-node's calling conventions for arbitrary kinds.
import type { KubernetesObject, V1APIResource } from "@kubernetes/client-node";
import { type KubeClients, errorStatus } from "./client.js";
import { FIELD_MANAGER } from "../model/contract.js";
import { splitApiVersion } from "../model/ref.js";

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
      const found = (await this.resourcesOf(apiVersion, refresh)).find(
        (r) => r.kind === kind && !r.name.includes("/"),
      );
      if (found) return { apiVersion, kind, resource: found.name, namespaced: found.namespaced };
    }
    throw new UnknownKindError(`the server does not know ${kind} in ${apiVersion} (is its CRD installed?)`);
  }

  private async objectPath(ref: ObjectRef): Promise<string> {
    const info = await this.info(ref.apiVersion, ref.kind);
    if (info.namespaced && !ref.namespace) {
      throw new Error(`${ref.kind} ${ref.name} is namespaced but has no namespace`);
    }
    return `${collectionPath(info, ref.namespace)}/${encodeURIComponent(ref.name)}`;
  }

  /**
   * Server-side apply with Tether's field manager. `dryRun` returns what the server would store.
   * `sensitive`: the object is decrypted content, so errors show none of its values (src/lib/redact.ts).
   */
  async apply<T extends KubernetesObject>(
    object: T,
    options: { dryRun?: boolean; force?: boolean; sensitive?: boolean } = {},
  ): Promise<T> {
    const ref = {
      apiVersion: object.apiVersion ?? "",
      kind: object.kind ?? "",
      namespace: object.metadata?.namespace,
      name: object.metadata?.name ?? "",
    };
    return this.clients.raw.request<T>({
      method: "PATCH",
      path: await this.objectPath(ref),
      query: {
        fieldManager: FIELD_MANAGER,
        force: options.force ?? false,
        dryRun: options.dryRun ? "All" : undefined,
      },
      contentType: "application/apply-patch+yaml",
      body: object,
      sensitive: options.sensitive,
    });
  }

  /**
   * Create, or replace (PUT) at the live resourceVersion: the sync option `Replace=true`, for objects
   * server-side apply cannot hold (its managedFields bookkeeping would exceed the object size limit)
   * or whose owner wants every field reset. A concurrent write makes the PUT conflict (409) rather
   * than silently overwrite it; the sync reports that and the next one retries.
   */
  async replace<T extends KubernetesObject>(object: T, options: { sensitive?: boolean } = {}): Promise<T> {
    const ref = {
      apiVersion: object.apiVersion ?? "",
      kind: object.kind ?? "",
      namespace: object.metadata?.namespace,
      name: object.metadata?.name ?? "",
    };
    const live = await this.read(ref);
    if (!live) {
      const info = await this.info(ref.apiVersion, ref.kind);
      return this.clients.raw.request<T>({
        method: "POST",
        path: collectionPath(info, ref.namespace),
        query: { fieldManager: FIELD_MANAGER },
        body: object,
        sensitive: options.sensitive,
      });
    }
    const body = {
      ...object,
      metadata: { ...object.metadata, resourceVersion: live.metadata?.resourceVersion },
    };
    return this.clients.raw.request<T>({
      method: "PUT",
      path: await this.objectPath(ref),
      query: { fieldManager: FIELD_MANAGER },
      body,
      sensitive: options.sensitive,
    });
  }

  /** The live object, or undefined when it does not exist. */
  async read(ref: ObjectRef): Promise<KubernetesObject | undefined> {
    try {
      return await this.clients.raw.request<KubernetesObject>({
        method: "GET",
        path: await this.objectPath(ref),
      });
    } catch (error) {
      if (errorStatus(error) === 404) return undefined;
      throw error;
    }
  }

  async list(apiVersion: string, kind: string, labelSelector?: string): Promise<KubernetesObject[]> {
    return (await this.listWithVersion(apiVersion, kind, labelSelector)).items;
  }

  /** All pages of a list (every namespace), plus the resourceVersion a watch can start from. */
  async listWithVersion(
    apiVersion: string,
    kind: string,
    labelSelector?: string,
  ): Promise<{ items: KubernetesObject[]; resourceVersion: string }> {
    const info = await this.info(apiVersion, kind);
    const items: KubernetesObject[] = [];
    let resourceVersion = "";
    let continueToken: string | undefined;
    do {
      const page = await this.clients.raw.request<{
        items: KubernetesObject[];
        metadata?: { resourceVersion?: string; continue?: string };
      }>({
        method: "GET",
        path: collectionPath(info),
        query: { labelSelector, limit: 500, continue: continueToken },
      });
      items.push(...page.items.map((item) => ({ ...item, apiVersion, kind })));
      resourceVersion = page.metadata?.resourceVersion ?? resourceVersion;
      continueToken = page.metadata?.continue || undefined;
    } while (continueToken);
    return { items, resourceVersion };
  }

  /** Deletes an object (foreground by default, so dependents go first); a missing object is fine. */
  async remove(ref: ObjectRef, propagationPolicy = "Foreground"): Promise<"deleted" | "absent"> {
    try {
      await this.clients.raw.request({
        method: "DELETE",
        path: await this.objectPath(ref),
        body: { apiVersion: "v1", kind: "DeleteOptions", propagationPolicy },
      });
      return "deleted";
    } catch (error) {
      if (errorStatus(error) === 404) return "absent";
      throw error;
    }
  }
}
