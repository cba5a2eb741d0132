// The image kinds as the controller sees them: one informer cache per kind (all namespaces, or
// one), and status writes guarded by resourceVersion (a conflict is a retry with fresh data).
import type { KubernetesObject } from "@kubernetes/client-node";
import type { KubeConfig } from "../../kube/connection.js";
import { API_VERSION, GROUP, VERSION } from "../../model/application.js";
import type { ImageKind, ImagePolicy, ImageRepository, ImageUpdateAutomation } from "../../model/images.js";
import { IMAGE_KINDS } from "../../model/images.js";
import type { KubeClients } from "../../kube/client.js";
import { Informer, writeResultIsCurrent } from "../../kube/informer.js";

export type ImageObject = ImageRepository | ImagePolicy | ImageUpdateAutomation;
export type ObjectOf<K extends ImageKind> = Extract<ImageObject, { kind: K }>;

export const objectKey = (o: { metadata?: { namespace?: string; name?: string } }) =>
  `${o.metadata?.namespace ?? ""}/${o.metadata?.name ?? ""}`;

/** A user's change (spec, annotations, deletion) rather than our own status write. */
function changedByUser(before: ImageObject | undefined, after: ImageObject): boolean {
  if (!before) return true;
  return (
    before.metadata.generation !== after.metadata.generation ||
    JSON.stringify(before.metadata.annotations ?? {}) !== JSON.stringify(after.metadata.annotations ?? {})
  );
}

export class ImageStore<K extends ImageKind> {
  private readonly informer: Informer;
  private readonly known = new Map<string, ObjectOf<K>>();
  private readonly plural: string;

  constructor(
    private readonly clients: KubeClients,
    readonly kind: K,
    options: {
      readonly config: KubeConfig;
      readonly namespace?: string;
      readonly onChange: (key: string, deleted: boolean) => void;
      readonly onError?: (error: unknown) => void;
    },
  ) {
    this.plural = IMAGE_KINDS[kind].plural;
    const ns = options.namespace;
    const group = { group: GROUP, version: VERSION, plural: this.plural };
    this.informer = new Informer({
      config: options.config,
      path: ns
        ? `/apis/${GROUP}/${VERSION}/namespaces/${ns}/${this.plural}`
        : `/apis/${GROUP}/${VERSION}/${this.plural}`,
      list: async () => {
        const list = (await (ns
          ? clients.custom.listNamespacedCustomObject({ ...group, namespace: ns })
          : clients.custom.listClusterCustomObject(group))) as {
          items: KubernetesObject[];
          metadata?: { resourceVersion?: string };
        };
        return { items: list.items, resourceVersion: list.metadata?.resourceVersion ?? "" };
      },
      onEvent: (type, object) => {
        const value = { ...object, apiVersion: API_VERSION, kind } as unknown as ObjectOf<K>;
        const key = objectKey(value);
        const before = this.known.get(key);
        if (type === "DELETED") this.known.delete(key);
        else this.known.set(key, value);
        if (type === "DELETED" || changedByUser(before, value)) options.onChange(key, type === "DELETED");
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

  get(key: string): ObjectOf<K> | undefined {
    return this.known.get(key);
  }

  list(): ObjectOf<K>[] {
    return [...this.known.values()];
  }

  /** Replaces the status; throws on a conflict. */
  async writeStatus(object: ObjectOf<K>, status: NonNullable<ObjectOf<K>["status"]>): Promise<ObjectOf<K>> {
    const updated = (await this.clients.custom.replaceNamespacedCustomObjectStatus({
      group: GROUP,
      version: VERSION,
      plural: this.plural,
      namespace: object.metadata.namespace ?? "",
      name: object.metadata.name,
      body: { ...object, status },
    })) as ObjectOf<K>;
    const value = { ...updated, apiVersion: API_VERSION, kind: this.kind } as ObjectOf<K>;
    if (
      writeResultIsCurrent(
        this.known.get(objectKey(value))?.metadata.resourceVersion,
        object.metadata.resourceVersion,
        updated.metadata.resourceVersion,
      )
    )
      this.known.set(objectKey(value), value);
    return value;
  }
}
