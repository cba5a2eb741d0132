// The clusters as the API (and `tether cluster list --core`) shows them: each cluster Secret of
// the system namespace with the status the controller wrote on it (annotation
// tether.dev/cluster-status), plus in-cluster, checked here with the API's own client (the API
// runs in that cluster, so its own check is the truth and needs no write by the controller).
// Reads only the name, server and labels of a Secret: credentials never enter a view.
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { KubeClients } from "../kube/client.js";
import { kubeClients } from "../kube/client.js";
import { ResourceClient } from "../kube/resources.js";
import type { ApplicationDestination } from "../model/application.js";
import { HttpError } from "./errors.js";
import type { ClusterConnectionState } from "../kube/clusters.js";
import {
  CLUSTER_SECRET_SELECTORS,
  checkClusterConnection,
  IN_CLUSTER_NAME,
  IN_CLUSTER_SERVER,
  kubeConfigForCluster,
  normalizeServer,
  parseClusterSecret,
} from "../kube/clusters.js";
import { CLUSTER_STATUS_ANNOTATION } from "../model/contract.js";
import type { V1Secret } from "@kubernetes/client-node";
import type { KnownCluster } from "../engine/validate.js";
import type { ClusterList, ClusterView } from "./types.js";

/** The controller's annotation → a state; anything unreadable is Unknown, said so. */
export function stateFromAnnotation(text: string | undefined): ClusterConnectionState {
  if (!text) return { status: "Unknown", message: "not checked yet by the controller" };
  try {
    const value = JSON.parse(text) as Partial<ClusterConnectionState>;
    const status = value.status === "Successful" || value.status === "Failed" ? value.status : "Unknown";
    return {
      status,
      message: typeof value.message === "string" ? value.message : "",
      ...(typeof value.serverVersion === "string" ? { serverVersion: value.serverVersion } : {}),
      ...(typeof value.checkedAt === "string" ? { checkedAt: value.checkedAt } : {}),
    };
  } catch {
    return { status: "Unknown", message: `annotation ${CLUSTER_STATUS_ANNOTATION} is not JSON` };
  }
}

/** Pure: cluster Secrets (deduplicated by name) → views, sorted by name. */
export function clusterViewsOf(secrets: readonly V1Secret[]): ClusterView[] {
  const byRef = new Map<string, V1Secret>();
  for (const s of secrets) byRef.set(`${s.metadata?.namespace ?? ""}/${s.metadata?.name ?? ""}`, s);
  const views: ClusterView[] = [];
  for (const [ref, secret] of byRef) {
    const parsed = parseClusterSecret(secret);
    const state = stateFromAnnotation(secret.metadata?.annotations?.[CLUSTER_STATUS_ANNOTATION]);
    if (!parsed.ok) {
      views.push({ name: ref, server: "", status: "Failed", message: parsed.message, secret: ref });
      continue;
    }
    const { cluster } = parsed;
    views.push({
      name: cluster.name,
      server: cluster.server,
      status: state.status,
      ...(state.message ? { message: state.message } : {}),
      ...(state.serverVersion ? { serverVersion: state.serverVersion } : {}),
      ...(state.checkedAt ? { checkedAt: state.checkedAt } : {}),
      ...(Object.keys(cluster.labels).length > 0 ? { labels: { ...cluster.labels } } : {}),
      secret: ref,
    });
  }
  return views.sort((a, b) => a.name.localeCompare(b.name));
}

/** What the API reads an app's live objects with: the clients of its destination cluster. */
export interface ClusterClients {
  readonly clients: KubeClients;
  readonly resources: ResourceClient;
  /** The cluster's API server URL and name, both filled in (a project may match either). */
  readonly server: string;
  readonly name: string;
}

export class ClusterSource {
  private local: { at: number; state: Promise<ClusterConnectionState> } | undefined;
  /** Clients per Secret version (`ns/name@resourceVersion`): a rotated Secret gets new ones. */
  private readonly remote = new Map<string, ClusterClients>();

  constructor(
    private readonly clients: KubeClients,
    private readonly namespace: string,
    private readonly options: {
      readonly localServers?: readonly string[];
      readonly resources?: ResourceClient;
      readonly cacheMs?: number;
    } = {},
  ) {}

  /** The destination's cluster clients (in-cluster: the API's own); 404 naming the field when unknown. */
  async clientsFor(destination: ApplicationDestination | undefined): Promise<ClusterClients> {
    const server = normalizeServer(destination?.server ?? "");
    const name = destination?.name ?? "";
    const localServer = [
      IN_CLUSTER_SERVER,
      `${IN_CLUSTER_SERVER}:443`,
      ...(this.options.localServers ?? []).map(normalizeServer),
    ].includes(server);
    if ((!server || localServer) && (!name || name === IN_CLUSTER_NAME)) {
      const resources = this.options.resources ?? new ResourceClient(this.clients);
      return { clients: this.clients, resources, server: IN_CLUSTER_SERVER, name: IN_CLUSTER_NAME };
    }
    for (const secret of await this.secrets()) {
      const parsed = parseClusterSecret(secret);
      if (!parsed.ok || (server ? parsed.cluster.server !== server : parsed.cluster.name !== name)) continue;
      const key = `${parsed.cluster.secret}@${secret.metadata?.resourceVersion ?? ""}`;
      let found = this.remote.get(key);
      if (!found) {
        const clients = kubeClients(kubeConfigForCluster(parsed.cluster));
        found = {
          clients,
          resources: new ResourceClient(clients),
          server: parsed.cluster.server,
          name: parsed.cluster.name,
        };
        this.remote.set(key, found);
      }
      return found;
    }
    throw server
      ? new HttpError(
          404,
          `spec.destination.server "${server}": no cluster with that URL is registered`,
          "spec.destination.server",
        )
      : new HttpError(
          404,
          `spec.destination.name "${name}": no cluster of that name is registered`,
          "spec.destination.name",
        );
  }

  private async secrets(): Promise<V1Secret[]> {
    const lists = await Promise.all(
      CLUSTER_SECRET_SELECTORS.map((labelSelector) =>
        this.clients.core.listNamespacedSecret({ namespace: this.namespace, labelSelector }),
      ),
    );
    return lists.flatMap((l) => l.items);
  }

  private localState(): Promise<ClusterConnectionState> {
    const now = Date.now();
    if (!this.local || now - this.local.at > (this.options.cacheMs ?? 10_000)) {
      this.local = { at: now, state: checkClusterConnection(this.clients.config) };
    }
    return this.local.state;
  }

  async list(): Promise<ClusterView[]> {
    const [secrets, local] = await Promise.all([this.secrets(), this.localState()]);
    const inCluster: ClusterView = {
      name: IN_CLUSTER_NAME,
      server: IN_CLUSTER_SERVER,
      status: local.status,
      ...(local.message ? { message: local.message } : {}),
      ...(local.serverVersion ? { serverVersion: local.serverVersion } : {}),
      ...(local.checkedAt ? { checkedAt: local.checkedAt } : {}),
    };
    return [inCluster, ...clusterViewsOf(secrets)];
  }

  /** The registered clusters, for validating a destination (as the controller does). */
  async known(): Promise<KnownCluster[]> {
    return (await this.secrets()).flatMap((s) => {
      const parsed = parseClusterSecret(s);
      return parsed.ok ? [{ name: parsed.cluster.name, server: parsed.cluster.server }] : [];
    });
  }
}

export function registerClusterRoutes(app: OpenAPIHono, source: ClusterSource): void {
  // Any authenticated caller may list clusters: the view holds no credential.
  app.get("/api/v1/clusters", async (c) => c.json({ items: await source.list() } satisfies ClusterList));
}
