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
import type { ReconcilerDeps } from "./reconcile.js";

export async function finalizeApplication(
  deps: ReconcilerDeps,
  key: string,
  app: Application,
): Promise<QueueResult> {
  if (!(app.metadata.finalizers ?? []).includes(CASCADE_FINALIZER)) {
    deps.watches.release(key);
    return {};
  }
  const kinds = new Map<string, { apiVersion: string; kind: string }>();
  for (const r of app.status?.resources ?? []) {
    if (!r.version) continue;
    const apiVersion = r.group ? `${r.group}/${r.version}` : r.version;
    kinds.set(`${apiVersion}/${r.kind}`, { apiVersion, kind: r.kind });
  }
  await deps.watches.track(key, [...kinds.values()]);
  const owned = deps.watches
    .ownedBy(key)
    .filter((o) => isOwnedBy(o, key, deps.installationId))
    .filter((o) => o.kind !== "Namespace" && !resourceSyncOptions(o).has("Delete=false"));
  const pending = owned.filter((o) => !o.metadata?.deletionTimestamp);
  for (const object of pruneOrder(pending as (KubernetesObject & KubeObject)[])) {
    await deps.resources.remove({
      apiVersion: object.apiVersion ?? "",
      kind: object.kind ?? "",
      namespace: object.metadata?.namespace,
      name: object.metadata?.name ?? "",
    });
  }
  if (owned.length > 0) return { requeueAfterMs: 1_000 };
  deps.events.record(app, "Normal", "ResourcesDeleted", "all resources of the application were deleted");
  await deps.apps.removeFinalizer(app, CASCADE_FINALIZER);
  deps.watches.release(key);
  return {};
}
