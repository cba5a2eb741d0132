// The Applications the webhook matches pushes against, without a LIST per delivery: a push storm
// of 100 deliveries/s would otherwise make 100 full lists/s of every app and its status. When the
// API runs in the controller's process (`tether local up`), the controller's own cache is used and
// refreshes go straight to its queue; a standalone API keeps one watch of its own, started on the
// first delivery, and asks the controller through the refresh annotation.
import type { KubernetesObject } from "@kubernetes/client-node";
import type { KubeClients } from "../kube/client.js";
import { Informer, type InformerHandler } from "../kube/informer.js";
import type { ResourceClient } from "../kube/resources.js";
import { collectionPath } from "../kube/resources.js";
import type { Application } from "../model/application.js";
import { API_VERSION } from "../model/application.js";

/** The controller of the same process, as the API may use it. */
export interface InProcessController {
  /** Every Application the controller knows (its informer cache). */
  applications(): readonly Application[];
  /** Refreshes these apps now (`namespace/name` keys): no annotation round trip through the apiserver. */
  refresh(keys: readonly string[]): void;
}

/** A list+watch of the Applications the API serves (every namespace when `namespace` is unset). */
export async function applicationInformer(
  options: { clients: KubeClients; resources: ResourceClient; namespace?: string },
  onEvent: InformerHandler,
): Promise<Informer> {
  const info = await options.resources.info(API_VERSION, "Application");
  const path = collectionPath(info, options.namespace);
  return new Informer({
    config: options.clients.config,
    path,
    list: async () => {
      const list = await options.clients.raw.request<{
        items: KubernetesObject[];
        metadata?: { resourceVersion?: string };
      }>({ method: "GET", path });
      return { items: list.items, resourceVersion: list.metadata?.resourceVersion ?? "" };
    },
    onEvent,
  });
}

export class ApplicationIndex {
  private informer: Informer | undefined;
  private started: Promise<void> | undefined;

  constructor(
    private readonly options: { clients: KubeClients; resources: ResourceClient; namespace?: string },
  ) {}

  async list(): Promise<Application[]> {
    this.started ??= (async () => {
      const informer = await applicationInformer(this.options, () => undefined);
      this.informer = informer;
      await informer.start().catch((error: unknown) => {
        // A failed first list: the next delivery starts over.
        informer.stop();
        this.informer = undefined;
        this.started = undefined;
        throw error;
      });
    })();
    await this.started;
    return (this.informer?.list() ?? []) as unknown as Application[];
  }

  stop(): void {
    this.informer?.stop();
  }
}

/**
 * What the webhook handler matches against and how it refreshes: the controller of this process
 * when there is one, else a watch of the API's own and the refresh annotation (`annotate`).
 */
export function webhookTargets(options: {
  clients: KubeClients;
  resources: ResourceClient;
  namespace?: string;
  controller?: InProcessController;
  annotate: (keys: string[]) => Promise<void>;
}): {
  applications: () => Promise<readonly Application[]>;
  refresh: (keys: string[]) => Promise<void>;
  stop: () => void;
} {
  const { controller, namespace } = options;
  if (controller) {
    return {
      applications: () =>
        Promise.resolve(
          controller.applications().filter((a) => !namespace || a.metadata.namespace === namespace),
        ),
      refresh: (keys) => Promise.resolve(controller.refresh(keys)),
      stop: () => undefined,
    };
  }
  const index = new ApplicationIndex(options);
  return { applications: () => index.list(), refresh: options.annotate, stop: () => index.stop() };
}
