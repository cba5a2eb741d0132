// Carries out a sync: Namespaces and CRDs first (CRDs until Established), then everything else in
// kind order, then prune. Returns a change set — one entry per object — instead of throwing, so
// status, Events and history are written from values.
//
// Conflicts: a field another manager holds makes server-side apply answer 409. When every such
// manager changed the field imperatively (operation Update: kubectl scale/edit/patch), that change
// *is* the drift Git must win over, so Tether re-applies with force. When another *Apply* manager
// (another GitOps tool, another app) holds it, that is a real ownership dispute: Tether reports
// it by name and forces only if the user asked (syncOptions Force=true).
import type { KubernetesObject } from "@kubernetes/client-node";
import { applyOrder, isClusterFoundation, pruneOrder } from "../engine/apply/order.js";
import type { PruneDecision } from "../engine/prune/candidates.js";
import type { SyncOptions } from "../engine/status/syncoptions.js";
import { errorMessage, errorStatus } from "../kube/client.js";
import { FIELD_MANAGER } from "../kube/constants.js";
import type { ResourceClient } from "../kube/resources.js";
import { waitFor } from "../localcluster/wait.js";
import type { DesiredObject } from "./desired.js";

export type ChangeAction = "created" | "configured" | "unchanged" | "deleted" | "kept" | "failed";

export interface ChangeSetEntry {
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
  readonly action: ChangeAction;
  readonly message?: string;
  /** The object as the server stored it after apply. */
  readonly applied?: KubernetesObject;
}

export interface SyncPlan {
  /** Objects to apply (already filtered to what is out of sync, when that option is on). */
  readonly apply: readonly { desired: DesiredObject; exists: boolean }[];
  readonly prune: readonly PruneDecision[];
  readonly allowPrune: boolean;
  readonly createNamespace?: string;
  readonly options: SyncOptions;
}

interface ManagedFieldsEntry {
  manager?: string;
  operation?: string;
}

/** Managers named in a 409 conflict message: `conflict with "kubectl" using apps/v1: .spec.replicas`. */
export function conflictingManagers(message: string): string[] {
  return [...message.matchAll(/conflicts? with "([^"]+)"/g)].map((m) => m[1] ?? "");
}

function describe(d: { kind: string; namespace?: string; name: string }): string {
  return `${d.kind} ${d.namespace ? `${d.namespace}/` : ""}${d.name}`;
}

async function applyOne(
  resources: ResourceClient,
  desired: DesiredObject,
  live: KubernetesObject | undefined,
  force: boolean,
): Promise<KubernetesObject> {
  try {
    return await resources.apply(desired.object, { force });
  } catch (error) {
    if (errorStatus(error) !== 409 || force) throw error;
    const managers = conflictingManagers(errorMessage(error));
    const entries = ((live?.metadata?.managedFields ?? []) as ManagedFieldsEntry[]).filter(
      (e) => e.manager !== FIELD_MANAGER,
    );
    const declarative = managers.filter((m) =>
      entries.some((e) => e.manager === m && e.operation === "Apply"),
    );
    if (managers.length === 0 || declarative.length > 0) {
      const who = declarative.length > 0 ? declarative.join(", ") : "another field manager";
      throw new Error(
        `${describe(desired)}: fields are owned by ${who} (server-side apply); set syncOptions Force=true to take them over. ${errorMessage(error)}`,
      );
    }
    return resources.apply(desired.object, { force: true });
  }
}

async function waitEstablished(resources: ResourceClient, name: string): Promise<void> {
  await waitFor(`CustomResourceDefinition ${name} to be Established`, async () => {
    const crd = (await resources.read({ apiVersion: "apiextensions.k8s.io/v1", kind: "CustomResourceDefinition", name })) as
      | { status?: { conditions?: { type: string; status: string }[] } }
      | undefined;
    return crd?.status?.conditions?.some((c) => c.type === "Established" && c.status === "True") ?? false;
  }, { timeoutMs: 30_000 }); // prettier-ignore
}

export async function executeSync(
  resources: ResourceClient,
  plan: SyncPlan,
  liveOf: (d: DesiredObject) => KubernetesObject | undefined,
): Promise<ChangeSetEntry[]> {
  const results: ChangeSetEntry[] = [];
  if (plan.createNamespace) {
    // Created without ownership marks: a namespace Tether creates for an app is never pruned.
    await resources.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: plan.createNamespace } });
  }
  const ordered = applyOrder(plan.apply.map((a) => ({ ...a, ...a.desired.object })));
  const stages = [
    ordered.filter((o) => isClusterFoundation(o)),
    ordered.filter((o) => !isClusterFoundation(o)),
  ];
  for (const stage of stages) {
    for (const { desired, exists } of stage) {
      const entry = {
        apiVersion: desired.apiVersion,
        kind: desired.kind,
        namespace: desired.namespace,
        name: desired.name,
      };
      try {
        const applied = await applyOne(resources, desired, liveOf(desired), plan.options.force);
        if (desired.kind === "CustomResourceDefinition") await waitEstablished(resources, desired.name);
        results.push({ ...entry, action: exists ? "configured" : "created", applied });
      } catch (error) {
        results.push({ ...entry, action: "failed", message: errorMessage(error) });
      }
    }
  }
  const failed = results.some((r) => r.action === "failed");
  for (const decision of pruneOrder(plan.prune.map((d) => ({ ...d, ...d.object })))) {
    const object = decision.object;
    const entry = {
      apiVersion: object.apiVersion ?? "",
      kind: object.kind ?? "",
      namespace: object.metadata?.namespace,
      name: object.metadata?.name ?? "",
    };
    if (decision.action === "keep") {
      results.push({ ...entry, action: "kept", message: decision.reason });
    } else if (!plan.allowPrune) {
      results.push({ ...entry, action: "kept", message: "requires pruning (prune is off)" });
    } else if (failed) {
      results.push({ ...entry, action: "kept", message: "not pruned: the sync had failures" });
    } else {
      try {
        const outcome = await resources.remove(entry);
        results.push({
          ...entry,
          action: "deleted",
          message: outcome === "absent" ? "already gone" : "pruned",
        });
      } catch (error) {
        results.push({ ...entry, action: "failed", message: `prune failed: ${errorMessage(error)}` });
      }
    }
  }
  return results;
}
