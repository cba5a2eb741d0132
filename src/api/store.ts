// Applications on the cluster, as the API needs them: list/get/create/replace/delete and the
// request annotations the controller acts on. Everything goes through src/kube's clients.
import type { KubeClients } from "../kube/client.js";
import { mergePatch } from "../kube/apis.js";
import { errorStatus } from "../kube/client.js";
import { CASCADE_FINALIZER } from "../model/contract.js";
import type { Application } from "../model/application.js";
import { API_VERSION, GROUP, VERSION } from "../model/application.js";
import { fromKube, HttpError } from "./errors.js";

const PLURAL = "applications";
const base = { group: GROUP, version: VERSION, plural: PLURAL } as const;

export class ApplicationStore {
  constructor(
    private readonly clients: KubeClients,
    /** The apps namespace; undefined means every namespace. */
    readonly namespace?: string,
  ) {}

  /** Refuses a namespace outside the one the API serves, as not found (it does not exist for us). */
  checkNamespace(namespace: string): void {
    if (this.namespace !== undefined && namespace !== this.namespace) {
      throw new HttpError(404, `namespace "${namespace}" is not served by this API`);
    }
  }

  async list(): Promise<Application[]> {
    try {
      const list = (
        this.namespace
          ? await this.clients.custom.listNamespacedCustomObject({ ...base, namespace: this.namespace })
          : await this.clients.custom.listClusterCustomObject(base)
      ) as { items: Application[] };
      return list.items;
    } catch (error) {
      throw fromKube(error);
    }
  }

  async get(namespace: string, name: string): Promise<Application> {
    this.checkNamespace(namespace);
    try {
      return (await this.clients.custom.getNamespacedCustomObject({
        ...base,
        namespace,
        name,
      })) as Application;
    } catch (error) {
      if (errorStatus(error) === 404) throw new HttpError(404, `application ${namespace}/${name} not found`);
      throw fromKube(error);
    }
  }

  async create(app: Application): Promise<Application> {
    const namespace = app.metadata.namespace ?? "";
    this.checkNamespace(namespace);
    try {
      return (await this.clients.custom.createNamespacedCustomObject({
        ...base,
        namespace,
        body: app,
      })) as Application;
    } catch (error) {
      throw fromKube(error);
    }
  }

  /**
   * Replaces spec, labels and annotations; keeps status and finalizers. `current` is the object the
   * caller already read (and decided the labels and annotations from: requests.ts), else read here.
   */
  async replace(app: Application, current?: Application): Promise<Application> {
    const namespace = app.metadata.namespace ?? "";
    current ??= await this.get(namespace, app.metadata.name);
    const body: Application = {
      ...current,
      metadata: {
        ...current.metadata,
        labels: app.metadata.labels ?? {},
        annotations: app.metadata.annotations ?? current.metadata.annotations ?? {},
        // Optimistic concurrency: a stale resourceVersion from the client answers 409.
        resourceVersion: app.metadata.resourceVersion ?? current.metadata.resourceVersion,
      },
      spec: app.spec,
    };
    try {
      return (await this.clients.custom.replaceNamespacedCustomObject({
        ...base,
        namespace,
        name: app.metadata.name,
        body,
      })) as Application;
    } catch (error) {
      throw fromKube(error);
    }
  }

  /** Merge patch of metadata (annotations/finalizers); `null` removes a key. */
  async patchMetadata(
    namespace: string,
    name: string,
    metadata: Record<string, unknown>,
  ): Promise<Application> {
    this.checkNamespace(namespace);
    try {
      return await mergePatch<Application>(
        this.clients.raw,
        `/apis/${API_VERSION}/namespaces/${namespace}/${PLURAL}`,
        name,
        { metadata },
      );
    } catch (error) {
      if (errorStatus(error) === 404) throw new HttpError(404, `application ${namespace}/${name} not found`);
      throw fromKube(error);
    }
  }

  annotate(
    namespace: string,
    name: string,
    annotations: Record<string, string | null>,
  ): Promise<Application> {
    return this.patchMetadata(namespace, name, { annotations });
  }

  /**
   * Deletes the app; `cascade` decides first whether its resources go with it (the finalizer).
   * Answers what is true afterwards: `Deleted` (gone) or `Deleting` (a finalizer still holds it). An
   * app already being deleted is not deleted again: switching its cascade off (the way out of a
   * stuck cascade) removes it at once; switching cascade on is refused (a deleting object takes no
   * new finalizer).
   */
  async remove(namespace: string, name: string, cascade: boolean): Promise<"Deleted" | "Deleting"> {
    let deleting = false;
    // The finalizer edit is guarded by resourceVersion; the controller writes the app's status all the
    // time, so a conflict means "read again and redo the edit" (client-go's RetryOnConflict).
    for (let attempt = 1; ; attempt++) {
      const app = await this.get(namespace, name);
      deleting = app.metadata.deletionTimestamp !== undefined;
      const finalizers = app.metadata.finalizers ?? [];
      if (cascade === finalizers.includes(CASCADE_FINALIZER)) break;
      if (cascade && deleting) {
        throw new HttpError(
          409,
          `application ${namespace}/${name} is already being deleted without cascade: its resources are kept; cascade cannot be turned on now`,
          "cascade",
        );
      }
      const next = cascade
        ? [...finalizers, CASCADE_FINALIZER]
        : finalizers.filter((f) => f !== CASCADE_FINALIZER);
      try {
        await this.patchMetadata(namespace, name, {
          finalizers: next,
          resourceVersion: app.metadata.resourceVersion,
        });
        break;
      } catch (error) {
        // Gone between the read and the patch (e.g. its last finalizer went): what was asked for.
        if (error instanceof HttpError && error.status === 404) return "Deleted";
        if (!(error instanceof HttpError && error.status === 409) || attempt >= 5) throw error;
      }
    }
    if (!deleting) {
      try {
        await this.clients.custom.deleteNamespacedCustomObject({ ...base, namespace, name });
      } catch (error) {
        // It existed a moment ago (read above): gone is what the caller asked for, not "not found".
        if (errorStatus(error) !== 404) throw fromKube(error);
      }
    }
    return (await this.exists(namespace, name)) ? "Deleting" : "Deleted";
  }

  private async exists(namespace: string, name: string): Promise<boolean> {
    try {
      await this.get(namespace, name);
      return true;
    } catch (error) {
      if (error instanceof HttpError && error.status === 404) return false;
      throw error;
    }
  }
}
