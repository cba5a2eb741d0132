// Applications as the controller sees them: an informer cache (so reconcile reads no object it
// already has), status writes guarded by resourceVersion (a conflict is a retry, never a lost
// update), and small metadata edits (request annotations, the cascade finalizer).
import type { KubernetesObject } from "@kubernetes/client-node";
import type { KubeConfig } from "../kube/connection.js";
import type { Application, ApplicationStatus } from "../model/application.js";
import { API_VERSION, GROUP, VERSION } from "../model/application.js";
import { mergePatch } from "../kube/apis.js";
import type { KubeClients } from "../kube/client.js";
import { Informer, writeResultIsCurrent } from "../kube/informer.js";

export const appKeyOf = (o: { metadata?: { namespace?: string; name?: string } }) =>
  `${o.metadata?.namespace ?? ""}/${o.metadata?.name ?? ""}`;

function splitKey(key: string): { namespace: string; name: string } {
  const slash = key.indexOf("/");
  return { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

/** Whether a change is one the controller must act on (not its own status write). */
function needsReconcile(before: Application | undefined, after: Application): boolean {
  if (!before) return true;
  const a = before.metadata;
  const b = after.metadata;
  return (
    a.generation !== b.generation ||
    JSON.stringify(a.annotations ?? {}) !== JSON.stringify(b.annotations ?? {}) ||
    JSON.stringify(a.labels ?? {}) !== JSON.stringify(b.labels ?? {}) ||
    JSON.stringify(a.finalizers ?? []) !== JSON.stringify(b.finalizers ?? []) ||
    a.deletionTimestamp !== b.deletionTimestamp
  );
}

export class ApplicationClient {
  private readonly informer: Informer;
  private readonly known = new Map<string, Application>();

  constructor(
    private readonly clients: KubeClients,
    options: {
      readonly config: KubeConfig;
      /** Watch only this namespace; all namespaces when unset. */
      readonly namespace?: string;
      readonly onChange: (key: string) => void;
      /** Every event, status changes included (`undefined`: deleted): what dependents watch. */
      readonly onObserved?: (key: string, app: Application | undefined) => void;
      readonly onError?: (error: unknown) => void;
    },
  ) {
    const ns = options.namespace;
    const path = ns
      ? `/apis/${GROUP}/${VERSION}/namespaces/${ns}/applications`
      : `/apis/${GROUP}/${VERSION}/applications`;
    this.informer = new Informer({
      config: options.config,
      path,
      list: async () => {
        const list = (await (ns
          ? clients.custom.listNamespacedCustomObject({
              group: GROUP,
              version: VERSION,
              namespace: ns,
              plural: "applications",
            })
          : clients.custom.listClusterCustomObject({
              group: GROUP,
              version: VERSION,
              plural: "applications",
            }))) as {
          items: KubernetesObject[];
          metadata?: { resourceVersion?: string };
        };
        return { items: list.items, resourceVersion: list.metadata?.resourceVersion ?? "" };
      },
      onEvent: (type, object) => {
        const app = { ...object, apiVersion: API_VERSION, kind: "Application" } as unknown as Application;
        const key = appKeyOf(app);
        const before = this.known.get(key);
        if (type === "DELETED") this.known.delete(key);
        else this.known.set(key, app);
        if (type === "DELETED" || needsReconcile(before, app)) options.onChange(key);
        options.onObserved?.(key, type === "DELETED" ? undefined : app);
      },
      onError: options.onError,
    });
  }

  start(): Promise<void> {
    return this.informer.start();
  }

  stop(): void {
    this.informer.stop();
  }

  get(key: string): Application | undefined {
    return this.known.get(key);
  }

  keys(): string[] {
    return [...this.known.keys()];
  }

  /** Every Application in the cache. */
  list(): Application[] {
    return [...this.known.values()];
  }

  /** Replaces the status; throws on a conflict (the app changed: the queue retries with the news). */
  async writeStatus(app: Application, status: ApplicationStatus): Promise<Application> {
    const { namespace, name } = splitKey(appKeyOf(app));
    const updated = (await this.clients.custom.replaceNamespacedCustomObjectStatus({
      group: GROUP,
      version: VERSION,
      namespace,
      plural: "applications",
      name,
      body: { ...app, status },
    })) as Application;
    // Keep the cache ahead of the watch, so the next reconcile compares against what we wrote.
    const key = appKeyOf(updated);
    if (
      writeResultIsCurrent(
        this.known.get(key)?.metadata.resourceVersion,
        app.metadata.resourceVersion,
        updated.metadata.resourceVersion,
      )
    )
      this.known.set(key, { ...updated, apiVersion: API_VERSION, kind: "Application" });
    return updated;
  }

  /** JSON merge patch of metadata, guarded by resourceVersion. */
  async patchMetadata(app: Application, metadata: Record<string, unknown>): Promise<void> {
    const { name, namespace = "", resourceVersion } = app.metadata;
    await mergePatch(this.clients.raw, `/apis/${API_VERSION}/namespaces/${namespace}/applications`, name, {
      metadata: { resourceVersion, ...metadata },
    });
  }

  removeAnnotations(app: Application, names: readonly string[]): Promise<void> {
    return this.patchMetadata(app, { annotations: Object.fromEntries(names.map((n) => [n, null])) });
  }

  removeFinalizer(app: Application, finalizer: string): Promise<void> {
    return this.patchMetadata(app, {
      finalizers: (app.metadata.finalizers ?? []).filter((f) => f !== finalizer),
    });
  }
}
