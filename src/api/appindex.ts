// The Applications the webhook matches pushes against, without a LIST per delivery: a push storm
// of 100 deliveries/s would otherwise make 100 full lists/s of every app and its status. When the
// API runs in the controller's process (`tether local up`), the controller's own cache is used and
// refreshes go straight to its queue; a standalone API keeps one watch of its own, started on the
// first delivery, and asks the controller through the refresh annotation.
import type { KubernetesObject } from "@kubernetes/client-node";
import type { KubeClients } from "../kube/client.js";
import { Informer } from "../kube/informer.js";
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

export class ApplicationIndex {
  private informer: Informer | undefined;
  private started: Promise<void> | undefined;

  constructor(
    private readonly clients: KubeClients,
    private readonly resources: ResourceClient,
    private readonly namespace?: string,
  ) {}

  async list(): Promise<Application[]> {
    if (!this.started) {
      const info = await this.resources.info(API_VERSION, "Application");
      const path = collectionPath(info, this.namespace);
      const informer = new Informer({
        config: this.clients.config,
        path,
        list: async () => {
          const list = await this.clients.raw.request<{ items: KubernetesObject[]; metadata?: { resourceVersion?: string } }>({ method: "GET", path }); // prettier-ignore
          return { items: list.items, resourceVersion: list.metadata?.resourceVersion ?? "" };
        },
        onEvent: () => undefined,
      });
      this.informer = informer;
      this.started = informer.start().catch((error: unknown) => {
        // A failed first list: the next delivery starts over.
        informer.stop();
        this.informer = undefined;
        this.started = undefined;
        throw error;
      });
    }
    await this.started;
    return (this.informer?.list() ?? []) as unknown as Application[];
  }

  stop(): void {
    this.informer?.stop();
  }
}
