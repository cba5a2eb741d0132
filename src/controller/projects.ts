// AppProjects as the controller sees them: an informer cache of the projects in Tether's system
// namespace (so a reconcile reads its project without an API call), the `default` project created
// at start when absent, and a callback naming each project that changed, so its apps are
// re-evaluated at once rather than at their next poll.
import type { KubernetesObject } from "@kubernetes/client-node";
import type { KubeConfig } from "../kube/connection.js";
import type { AppProject } from "../model/appproject.js";
import { DEFAULT_PROJECT, defaultProjectSpec } from "../model/appproject.js";
import { API_VERSION, GROUP, VERSION } from "../model/application.js";
import type { KubeClients } from "../kube/client.js";
import { errorStatus } from "../kube/client.js";
import { Informer } from "../kube/informer.js";

const PLURAL = "appprojects";

export interface ProjectLookup {
  /** The project of that name in the system namespace, from the cache. */
  get(name: string): AppProject | undefined;
  readonly namespace: string;
}

export class ProjectStore implements ProjectLookup {
  private readonly informer: Informer;

  constructor(
    private readonly clients: KubeClients,
    options: {
      readonly config: KubeConfig;
      /** Tether's system namespace, where projects live. */
      readonly namespace: string;
      /** A project was added, changed or deleted. */
      readonly onChange: (name: string) => void;
      readonly onError?: (error: unknown) => void;
    },
  ) {
    this.namespace = options.namespace;
    this.informer = new Informer({
      config: options.config,
      path: `/apis/${GROUP}/${VERSION}/namespaces/${options.namespace}/${PLURAL}`,
      list: async () => {
        const list = (await clients.custom.listNamespacedCustomObject({
          group: GROUP,
          version: VERSION,
          namespace: options.namespace,
          plural: PLURAL,
        })) as { items: KubernetesObject[]; metadata?: { resourceVersion?: string } };
        return { items: list.items, resourceVersion: list.metadata?.resourceVersion ?? "" };
      },
      onEvent: (_type, object) => options.onChange(object.metadata?.name ?? ""),
      onError: options.onError,
    });
  }

  readonly namespace: string;

  /** Creates the `default` project (everything allowed) unless it exists; safe on every start. */
  async ensureDefault(): Promise<void> {
    const body = {
      apiVersion: API_VERSION,
      kind: "AppProject",
      metadata: { name: DEFAULT_PROJECT, namespace: this.namespace },
      spec: defaultProjectSpec(),
    };
    try {
      await this.clients.custom.getNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace: this.namespace,
        plural: PLURAL,
        name: DEFAULT_PROJECT,
      });
      return;
    } catch (error) {
      if (errorStatus(error) !== 404) throw error;
    }
    await this.clients.custom
      .createNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace: this.namespace,
        plural: PLURAL,
        body,
      })
      .catch((error: unknown) => {
        // Another replica (or the user) created it meanwhile: theirs stands.
        if (errorStatus(error) === 409) return;
        // The object and the kind both answer 404: a failed create means the CRD is missing.
        if (errorStatus(error) === 404)
          throw new Error(
            `the AppProject CRD (appprojects.${GROUP}) is not installed: kubectl apply -k deploy/`,
            { cause: error },
          );
        throw error;
      });
  }

  start(): Promise<void> {
    return this.informer.start();
  }

  stop(): void {
    this.informer.stop();
  }

  get(name: string): AppProject | undefined {
    const object = this.informer.get(this.namespace, name);
    return object
      ? ({ ...object, apiVersion: API_VERSION, kind: "AppProject" } as unknown as AppProject)
      : undefined;
  }
}
