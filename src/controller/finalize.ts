// Deleting an Application: with the cascade finalizer, Tether deletes the objects it applied for
// it (never Namespaces/objects annotated Delete=false, never anything it does not own) and then
// releases the finalizer; without it the objects are left running (orphaned), as in Argo CD.
import type { KubernetesObject } from "@kubernetes/client-node";
import { pruneOrder } from "../engine/apply/order.js";
import type { KubeObject } from "../engine/prune/ownership.js";
import { isOwnedBy, resourceSyncOptions } from "../engine/prune/ownership.js";
import type { Application } from "../model/application.js";
import { CASCADE_FINALIZER } from "../kube/constants.js";
import type { QueueResult } from "./queue.js";
import type { ClusterLookup } from "./clusters.js";
import type { ReconcilerDeps } from "./reconcile.js";

/** Without a reachable destination cluster nothing can be deleted: the finalizer stays, retried. */
const CLUSTER_RETRY_MS = 15_000;

export async function finalizeApplication(
  deps: ReconcilerDeps,
  key: string,
  app: Application,
  clusterFor: () => ClusterLookup,
): Promise<QueueResult> {
  if (!(app.metadata.finalizers ?? []).includes(CASCADE_FINALIZER)) {
    deps.releaseApp(key);
    return {};
  }
  const target = clusterFor();
  if (!target.ok || target.cluster.state.status === "Failed") {
    const why = target.ok ? `cluster "${target.cluster.name}" is not reachable: ${target.cluster.state.message}` : target.message; // prettier-ignore
    deps.events.record(app, "Warning", "DeletionBlocked", `resources not deleted yet: ${why}`);
    return { requeueAfterMs: CLUSTER_RETRY_MS };
  }
  const { watches, resources } = target.cluster;
  const kinds = new Map<string, { apiVersion: string; kind: string }>();
  for (const r of app.status?.resources ?? []) {
    if (!r.version) continue;
    const apiVersion = r.group ? `${r.group}/${r.version}` : r.version;
    kinds.set(`${apiVersion}/${r.kind}`, { apiVersion, kind: r.kind });
  }
  await watches.track(key, [...kinds.values()]);
  const owned = watches
    .ownedBy(key)
    .filter((o) => isOwnedBy(o, key, deps.installationId))
    .filter((o) => o.kind !== "Namespace" && !resourceSyncOptions(o).has("Delete=false"));
  const pending = owned.filter((o) => !o.metadata?.deletionTimestamp);
  for (const object of pruneOrder(pending as (KubernetesObject & KubeObject)[])) {
    await resources.remove({
      apiVersion: object.apiVersion ?? "",
      kind: object.kind ?? "",
      namespace: object.metadata?.namespace,
      name: object.metadata?.name ?? "",
    });
  }
  if (owned.length > 0) return { requeueAfterMs: 1_000 };
  deps.events.record(app, "Normal", "ResourcesDeleted", "all resources of the application were deleted");
  await deps.apps.removeFinalizer(app, CASCADE_FINALIZER);
  deps.releaseApp(key);
  return {};
}
