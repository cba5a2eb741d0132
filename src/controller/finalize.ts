// Deleting an Application: with the cascade finalizer, Tether deletes the objects it applied for
// it and then releases the finalizer; without it the objects are left running (orphaned), as in
// Argo CD. What may be deleted is decided by the same pure function as prune
// (engine/prune/candidates.ts): only objects carrying this app's ownership marks, never Namespaces
// or objects annotated Delete=false, and only inside the app's project (destinations and kinds).
// An owned-looking object the project refuses was never Tether's to apply: it is kept and named
// in a Warning Event. An app whose project is gone, or that may not use it, deletes nothing: the
// finalizer stays, and the Event says how to proceed.
import type { KubernetesObject } from "@kubernetes/client-node";
import { pruneOrder } from "../engine/apply/order.js";
import { checkAdmission, placementOf } from "../engine/policy/project.js";
import { BEING_DELETED, NOT_PERMITTED, REFUSED_LISTED, pruneCandidates } from "../engine/prune/candidates.js";
import type { KubeObject } from "../model/ref.js";
import type { Application } from "../model/application.js";
import { CASCADE_FINALIZER } from "../model/contract.js";
import type { QueueResult } from "./queue.js";
import type { ApplicationClient } from "./applications.js";
import type { ClusterLookup, ClusterTarget } from "./clusters.js";
import type { EventRecorder } from "./events.js";
import type { ProjectLookup } from "./projects.js";
import { projectName } from "./policy.js";

/** Without a reachable destination cluster nothing can be deleted: the finalizer stays, retried. */
const CLUSTER_RETRY_MS = 15_000;

function describe(o: KubeObject): string {
  const m = o.metadata ?? {};
  return `${o.kind ?? ""} ${m.namespace ? `${m.namespace}/` : ""}${m.name ?? ""}`;
}

/** What the cascade needs of the reconciler's dependencies (ReconcilerDeps fits; naming only
 *  these keeps finalize.ts from importing reconcile.ts, which imports it). */
export interface FinalizeDeps {
  readonly apps: ApplicationClient;
  readonly projects: ProjectLookup;
  readonly releaseApp: (key: string, keep?: ClusterTarget) => void;
  readonly events: EventRecorder;
  readonly installationId: string;
  readonly localServers?: readonly string[];
}

export async function finalizeApplication(
  deps: FinalizeDeps,
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
    const why = target.ok
      ? `cluster "${target.cluster.name}" is not reachable: ${target.cluster.state.message}`
      : target.message;
    deps.events.record(app, "Warning", "DeletionBlocked", `resources not deleted yet: ${why}`);
    return { requeueAfterMs: CLUSTER_RETRY_MS };
  }
  const cluster = target.cluster;
  // The project judges as in a sync: the destination with both its server and name filled in.
  const name = projectName(app);
  const project = deps.projects.get(name);
  const appNamespace = app.metadata.namespace ?? "";
  const placement = placementOf(
    { ...app.spec.destination, server: cluster.server, name: cluster.name },
    appNamespace || "default",
    deps.localServers,
  );
  const refused = checkAdmission({
    projectName: name,
    project,
    placement,
    systemNamespace: deps.projects.namespace,
    app: { name: app.metadata.name, namespace: appNamespace, repoURL: app.spec.source.repoURL },
  }).filter((v) => v.reason === "ProjectNotFound" || v.reason === "SourceNamespaceNotPermitted");
  if (refused.length > 0) {
    const text = `nothing is deleted: ${refused.map((v) => v.message).join("; ")}; fix the project, or delete the application with cascade=false (remove the finalizer ${CASCADE_FINALIZER}) to leave its resources`;
    deps.events.record(app, "Warning", "DeletionBlocked", text);
    return { requeueAfterMs: CLUSTER_RETRY_MS };
  }

  const kinds = new Map<string, { apiVersion: string; kind: string }>();
  for (const r of app.status?.resources ?? []) {
    if (!r.version) continue;
    const apiVersion = r.group ? `${r.group}/${r.version}` : r.version;
    kinds.set(`${apiVersion}/${r.kind}`, { apiVersion, kind: r.kind });
  }
  await cluster.watches.track(key, [...kinds.values()]);
  const decisions = pruneCandidates({
    app: key,
    installationId: deps.installationId,
    desired: [],
    live: cluster.watches.ownedBy(key),
    project: { name, project, placement },
    purpose: "cascade",
  });
  const deletions = decisions.filter((d) => d.action === "delete").map((d) => d.object);
  // Objects already being deleted (a finalizer of theirs holding them) are waited for.
  const deleting = decisions.filter((d) => d.action === "keep" && d.reason.startsWith(BEING_DELETED));
  for (const object of pruneOrder(deletions as (KubernetesObject & KubeObject)[])) {
    await cluster.resources.remove({
      apiVersion: object.apiVersion ?? "",
      kind: object.kind ?? "",
      namespace: object.metadata?.namespace,
      name: object.metadata?.name ?? "",
    });
  }
  if (deletions.length > 0 || deleting.length > 0) return { requeueAfterMs: 1_000 };
  // Namespaces and Delete=false are kept by design; a project refusal is news (perhaps an attack).
  const kept = decisions.filter((d) => d.reason.startsWith(NOT_PERMITTED));
  if (kept.length > 0) {
    const more = kept.length > REFUSED_LISTED ? `; and ${kept.length - REFUSED_LISTED} more` : "";
    const text = `${kept.length} resource(s) not deleted: ${kept
      .slice(0, REFUSED_LISTED)
      .map((d) => `${describe(d.object)}: ${d.reason}`)
      .join("; ")}${more}`;
    deps.events.record(app, "Warning", "ResourcesKept", text);
  }
  deps.events.record(
    app,
    "Normal",
    "ResourcesDeleted",
    kept.length > 0
      ? "the application's other resources were deleted"
      : "all resources of the application were deleted",
  );
  await deps.apps.removeFinalizer(app, CASCADE_FINALIZER);
  deps.releaseApp(key);
  return {};
}
