// Every live read the API makes for an application goes through LiveReads: the managed objects of
// its status, the children of those objects and the logs of its pods. Each read is first judged by
// the app's LiveScope (scope.ts: its AppProject's destinations and kinds, the controller's own
// rules); a refused object is never requested from the apiserver, only named with "not permitted".
// Whether a kind is namespaced comes from discovery, never from the app's status.
import type { KubernetesObject } from "@kubernetes/client-node";
import type { KubeClients } from "../kube/client.js";
import { errorStatus } from "../kube/client.js";
import { collectionPath } from "../kube/resources.js";
import { placementOf } from "../engine/policy/project.js";
import type { AppProject } from "../model/appproject.js";
import { DEFAULT_PROJECT } from "../model/appproject.js";
import type { Application, ResourceRef } from "../model/application.js";
import { API_VERSION, GROUP, VERSION } from "../model/application.js";
import type { ClusterClients } from "./clusters.js";
import { HttpError } from "./errors.js";
import type { LiveScope, ScopeDecision } from "./scope.js";
import { liveScopeOf, refuseAll } from "./scope.js";
import { errorMessage } from "../lib/errormessage.js";

export type ManagedRead =
  | { readonly state: "refused"; readonly message: string }
  | { readonly state: "live"; readonly object: KubernetesObject }
  /** Not found, of a kind the server does not know, or a read that failed (said in `message`). */
  | { readonly state: "missing"; readonly message?: string };

const apiVersionOf = (r: { group: string; version?: string }) =>
  r.group ? `${r.group}/${r.version ?? "v1"}` : (r.version ?? "v1");

export class LiveReads {
  private readonly listed = new Map<string, Promise<KubernetesObject[]>>();

  constructor(
    readonly scope: LiveScope,
    /** Absent when the scope refuses everything before the cluster was even resolved. */
    private readonly cluster: ClusterClients | undefined,
  ) {}

  /** May the API read this status entry? Discovery decides whether its kind is namespaced. */
  async decide(r: ResourceRef): Promise<ScopeDecision> {
    if (this.scope.refusedAll || !this.cluster)
      return this.scope.object({ ...r, namespaced: r.namespace !== undefined });
    let namespaced: boolean;
    try {
      namespaced = (await this.cluster.resources.info(apiVersionOf(r), r.kind)).namespaced;
    } catch {
      // An unknown kind cannot be read anyway; judge it as its entry declares it.
      namespaced = r.namespace !== undefined;
    }
    return this.scope.object({
      group: r.group,
      kind: r.kind,
      name: r.name,
      namespaced,
      ...(r.namespace !== undefined ? { namespace: r.namespace } : {}),
    });
  }

  /** The live object of a status entry, or why it is not shown. */
  async managed(r: ResourceRef): Promise<ManagedRead> {
    const decision = await this.decide(r);
    if (!decision.permitted) return { state: "refused", message: decision.message };
    if (!this.cluster) return { state: "missing" };
    const apiVersion = apiVersionOf(r);
    try {
      const object = await this.cluster.resources.read({
        apiVersion,
        kind: r.kind,
        namespace: r.namespace,
        name: r.name,
      });
      // The kind and version read, whatever the body says: masking and health key on them.
      return object
        ? { state: "live", object: { ...object, apiVersion, kind: r.kind } }
        : { state: "missing" };
    } catch (error) {
      return { state: "missing", message: errorMessage(error) };
    }
  }

  /** Objects of a kind in a namespace (children of a managed object): none outside the scope. */
  listIn(apiVersion: string, kind: string, namespace: string): Promise<KubernetesObject[]> {
    const cluster = this.cluster;
    if (!cluster || this.scope.refusedAll || !this.scope.namespace(namespace)) return Promise.resolve([]);
    const key = `${apiVersion}/${kind}/${namespace}`;
    let found = this.listed.get(key);
    if (!found) {
      found = cluster.resources.info(apiVersion, kind).then(async (info) => {
        const list = await cluster.clients.raw.request<{ items: KubernetesObject[] }>({
          method: "GET",
          path: collectionPath(info, namespace),
        });
        return list.items.map((item) => ({ ...item, apiVersion, kind }));
      });
      this.listed.set(key, found);
    }
    return found;
  }

  /** A pod's log; the caller has checked the pod is in the app's tree. 403 outside the scope. */
  async podLog(pod: {
    namespace: string;
    name: string;
    container?: string;
    tailLines: number;
  }): Promise<string> {
    if (!this.cluster || this.scope.refusedAll || !this.scope.namespace(pod.namespace)) {
      throw new HttpError(403, `pod ${pod.name} is not part of the application`, "pod");
    }
    return this.cluster.clients.core.readNamespacedPodLog({
      name: pod.name,
      namespace: pod.namespace,
      tailLines: pod.tailLines,
      ...(pod.container ? { container: pod.container } : {}),
    });
  }
}

/** Builds each request's LiveReads: the app's project read fresh (a change applies at once). */
export class LiveScopeSource {
  constructor(
    private readonly options: {
      /** Reads AppProjects (the API's own clients; projects live in the system namespace). */
      readonly clients: KubeClients;
      readonly systemNamespace: string;
      readonly localServers: readonly string[];
      /** The clients of the app's destination cluster (ClusterSource.clientsFor). */
      readonly clusterOf: (app: Application) => Promise<ClusterClients>;
    },
  ) {}

  async project(name: string): Promise<AppProject | undefined> {
    try {
      const object = await this.options.clients.custom.getNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace: this.options.systemNamespace,
        plural: "appprojects",
        name,
      });
      return { ...(object as AppProject), apiVersion: API_VERSION, kind: "AppProject" };
    } catch (error) {
      if (errorStatus(error) === 404) return undefined;
      throw error;
    }
  }

  async of(app: Application): Promise<LiveReads> {
    let cluster: ClusterClients;
    try {
      cluster = await this.options.clusterOf(app);
    } catch (error) {
      return new LiveReads(refuseAll(errorMessage(error)), undefined);
    }
    const projectName = app.spec?.project || DEFAULT_PROJECT;
    let project: AppProject | undefined;
    try {
      project = await this.project(projectName);
    } catch (error) {
      // Fail closed: without the project nothing can be judged, so nothing is read.
      return new LiveReads(
        refuseAll(`project "${projectName}" cannot be read: ${errorMessage(error)}`),
        undefined,
      );
    }
    const destination = { ...app.spec?.destination, server: cluster.server, name: cluster.name };
    const placement = placementOf(
      destination,
      app.metadata.namespace || "default",
      this.options.localServers,
    );
    const scope = liveScopeOf({
      app,
      projectName,
      project,
      placement,
      systemNamespace: this.options.systemNamespace,
    });
    return new LiveReads(scope, scope.refusedAll ? undefined : cluster);
  }
}
