// The Backend straight to the cluster with the user's kubeconfig, for when no API server runs
// (`--core`). It is the API's own code minus HTTP: ApplicationStore (the same reads, writes and
// request annotations), the same views, validation, diff and resource tree. So output is the same
// in both modes, and the controller sees the same annotations whoever wrote them. What the user may
// do is what their kubeconfig may do (Kubernetes RBAC instead of Tether's).
import { ClusterSource } from "../../api/clusters.js";
import { fromKube, HttpError } from "../../api/errors.js";
import { LiveScopeSource } from "../../api/live.js";
import { diffOf, rollbackAnnotationValue, scopedDetailOf, syncAnnotationValue } from "../../api/routes.js";
import { ApplicationStore } from "../../api/store.js";
import { TreeBuilder } from "../../api/tree.js";
import type { ApplicationWrite, SyncRequest } from "../../api/types.js";
import { applicationFromBody } from "../../api/validate.js";
import { detailOf, matchesFilter, summaryOf } from "../../api/views.js";
import type { KubeClients } from "../../kube/client.js";
import { kubeClients, loadKubeConfig } from "../../kube/client.js";
import { REFRESH_ANNOTATION, ROLLBACK_ANNOTATION, SYNC_ANNOTATION } from "../../model/contract.js";
import { ResourceClient } from "../../kube/resources.js";
import type { AppRef, Backend, ListFilter } from "./backend.js";
import { BackendError } from "./backend.js";

export interface KubeBackendOptions {
  /** A kubeconfig file; KUBECONFIG / ~/.kube/config when unset. */
  kubeconfig?: string;
  /** The Applications namespace; every namespace (list) and the context's (create) when unset. */
  namespace?: string;
  /** Tether's system namespace (cluster Secrets); tether-system when unset. */
  systemNamespace?: string;
}

/** Runs `work`, turning the API's HttpError and apiserver failures into BackendError. */
async function answer<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const http = error instanceof HttpError ? error : fromKube(error);
    throw BackendError.fromBody(http.status, http.body());
  }
}

export class KubeBackend implements Backend {
  readonly description: string;
  private readonly clients: KubeClients;
  private readonly resources: ResourceClient;
  private readonly store: ApplicationStore;
  private readonly contextNamespace: string | undefined;
  private readonly clusterSource: ClusterSource;
  /** The API's own project limits on live reads, so both modes show the same. */
  private readonly live: LiveScopeSource;

  constructor(options: KubeBackendOptions) {
    const config = loadKubeConfig(options.kubeconfig);
    this.clients = kubeClients(config);
    this.resources = new ResourceClient(this.clients);
    this.store = new ApplicationStore(this.clients, options.namespace);
    // The kubeconfig's own server is in-cluster, as for the controller.
    const localServers = [config.getCurrentCluster()?.server ?? ""].filter(Boolean);
    const systemNamespace = options.systemNamespace ?? "tether-system";
    this.clusterSource = new ClusterSource(this.clients, systemNamespace, {
      localServers,
      resources: this.resources,
    });
    this.live = new LiveScopeSource({
      clients: this.clients,
      systemNamespace,
      localServers,
      clusterOf: (a) => this.clusterSource.clientsFor(a.spec?.destination),
    });
    this.contextNamespace = options.namespace ?? config.contextNamespace;
    this.description = `kubeconfig context ${config.getCurrentContext() || "(none)"}`;
  }

  list(filter: ListFilter = {}) {
    return answer(async () =>
      (await this.store.list()).filter((a) => matchesFilter(a, filter)).map(summaryOf),
    );
  }

  get(ref: AppRef) {
    return answer(async () => scopedDetailOf(this.scoped(), await this.store.get(ref.namespace, ref.name)));
  }

  create(body: ApplicationWrite) {
    return answer(async () => {
      // The controller's own notion of "this cluster": the kubeconfig's server counts as in-cluster.
      const local = [this.clients.config.getCurrentCluster()?.server ?? ""].filter(Boolean);
      const app = applicationFromBody(body, this.contextNamespace, local, await this.clusterSource.known());
      return detailOf(await this.store.create(app));
    });
  }

  remove(ref: AppRef, cascade: boolean) {
    return answer(async () => {
      await this.store.remove(ref.namespace, ref.name, cascade);
    });
  }

  refresh(ref: AppRef, hard: boolean) {
    return answer(async () => {
      await this.store.annotate(ref.namespace, ref.name, { [REFRESH_ANNOTATION]: hard ? "hard" : "normal" });
    });
  }

  sync(ref: AppRef, request: SyncRequest) {
    return answer(async () => {
      if (request.dryRun) return diffOf({ store: this.store, ...this.scoped() }, ref.namespace, ref.name);
      await this.store.get(ref.namespace, ref.name); // not found, said plainly (a merge patch would say less)
      await this.store.annotate(ref.namespace, ref.name, { [SYNC_ANNOTATION]: syncAnnotationValue(request) });
      return undefined;
    });
  }

  rollback(ref: AppRef, id: number | "cancel") {
    return answer(async () => {
      const value = rollbackAnnotationValue(await this.store.get(ref.namespace, ref.name), { id });
      await this.store.annotate(ref.namespace, ref.name, { [ROLLBACK_ANNOTATION]: value });
    });
  }

  history(ref: AppRef) {
    return answer(async () => detailOf(await this.store.get(ref.namespace, ref.name)).history);
  }

  diff(ref: AppRef) {
    return answer(() => diffOf({ store: this.store, ...this.scoped() }, ref.namespace, ref.name));
  }

  tree(ref: AppRef) {
    return answer(async () => {
      const app = await this.store.get(ref.namespace, ref.name);
      return new TreeBuilder(await this.live.of(app)).build(app);
    });
  }

  private scoped() {
    return { liveOf: (a: Parameters<LiveScopeSource["of"]>[0]) => this.live.of(a) };
  }

  clusters() {
    return answer(() => this.clusterSource.list());
  }

  close() {}
}
