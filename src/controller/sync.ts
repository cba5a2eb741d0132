// The actions of a sync step: apply objects (server-side apply, or replace when asked) and prune
// what left Git. Each returns a change set — one entry per object — instead of throwing, so status,
// Events and history are written from values. The order of steps is ./operation.ts's business.
//
// Conflicts: a field another manager holds makes server-side apply answer 409. When every such
// manager changed the field imperatively (operation Update: kubectl scale/edit/patch), that change
// *is* the drift Git must win over, so Tether re-applies with force. When another *Apply* manager
// (another GitOps tool, another app) holds it, that is a real ownership dispute: Tether reports
// it by name and forces only if the user asked (syncOptions Force=true).
import type { KubernetesObject } from "@kubernetes/client-node";
import { applyBatches, isClusterFoundation, pruneBatches } from "../engine/apply/order.js";
import { mapLimit } from "../engine/concurrency.js";
import type { PruneDecision } from "../engine/prune/candidates.js";
import { resourceSyncOptions } from "../engine/prune/ownership.js";
import type { SyncOptions } from "../engine/status/syncoptions.js";
import { kubeErrorMessage, errorStatus } from "../kube/client.js";
import { FIELD_MANAGER } from "../model/contract.js";
import type { ResourceClient } from "../kube/resources.js";
import { waitFor } from "../lib/wait.js";
import type { DesiredObject } from "./desired.js";
import { FencedError } from "./sharding/fence.js";

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
  const { sensitive } = desired;
  try {
    return await resources.apply(desired.object, { force, sensitive });
  } catch (error) {
    if (errorStatus(error) !== 409 || force) throw error;
    const managers = conflictingManagers(kubeErrorMessage(error));
    const entries = ((live?.metadata?.managedFields ?? []) as ManagedFieldsEntry[]).filter(
      (e) => e.manager !== FIELD_MANAGER,
    );
    const declarative = managers.filter((m) =>
      entries.some((e) => e.manager === m && e.operation === "Apply"),
    );
    if (managers.length === 0 || declarative.length > 0) {
      const who = declarative.length > 0 ? declarative.join(", ") : "another field manager";
      throw new Error(
        `${describe(desired)}: fields are owned by ${who} (server-side apply); set syncOptions Force=true to take them over. ${kubeErrorMessage(error)}`,
      );
    }
    return resources.apply(desired.object, { force: true, sensitive });
  }
}

async function waitEstablished(resources: ResourceClient, name: string): Promise<void> {
  await waitFor(
    `CustomResourceDefinition ${name} to be Established`,
    async () => {
      const crd = (await resources.read({
        apiVersion: "apiextensions.k8s.io/v1",
        kind: "CustomResourceDefinition",
        name,
      })) as { status?: { conditions?: { type: string; status: string }[] } } | undefined;
      return crd?.status?.conditions?.some((c) => c.type === "Established" && c.status === "True") ?? false;
    },
    { timeoutMs: 30_000 },
  );
}

function entryOf(d: { apiVersion: string; kind: string; namespace?: string; name: string }) {
  return { apiVersion: d.apiVersion, kind: d.kind, namespace: d.namespace, name: d.name };
}

/** Whether an object is applied with create/replace instead of server-side apply. */
export function usesReplace(desired: DesiredObject, options: SyncOptions): boolean {
  return options.replace || resourceSyncOptions(desired.object).has("Replace=true");
}

/**
 * Requests in flight at once within one batch (objects of one kind). An app of thousands of objects
 * must not pay one round trip per object in sequence; more than this only queues in the apiserver.
 */
export const APPLY_CONCURRENCY = 16;

/**
 * Applies objects: Namespaces and CRDs first (CRDs until Established, so custom resources of the
 * same step can follow), then the rest in kind order — one kind after another, the objects of a
 * kind concurrently. One entry per object, in apply order; never throws.
 */
export async function applyObjects(
  resources: ResourceClient,
  items: readonly { desired: DesiredObject; exists: boolean }[],
  options: SyncOptions,
  liveOf: (d: DesiredObject) => KubernetesObject | undefined,
): Promise<ChangeSetEntry[]> {
  const withKinds = items.map((a) => ({ ...a, ...a.desired.object }));
  const stages = [
    withKinds.filter((o) => isClusterFoundation(o)),
    withKinds.filter((o) => !isClusterFoundation(o)),
  ];
  const results: ChangeSetEntry[] = [];
  for (const batch of stages.flatMap((stage) => applyBatches(stage))) {
    const entries = await mapLimit(
      batch,
      APPLY_CONCURRENCY,
      async ({ desired, exists }): Promise<ChangeSetEntry> => {
        const entry = entryOf(desired);
        try {
          const applied = usesReplace(desired, options)
            ? await resources.replace(desired.object, { sensitive: desired.sensitive })
            : await applyOne(resources, desired, liveOf(desired), options.force);
          if (desired.kind === "CustomResourceDefinition") await waitEstablished(resources, desired.name);
          return { ...entry, action: exists ? "configured" : "created", applied };
        } catch (error) {
          // Fenced: not this object's failure; the whole reconcile stops (its writes are refused).
          if (error instanceof FencedError) throw error;
          return { ...entry, action: "failed", message: kubeErrorMessage(error) };
        }
      },
    );
    results.push(...entries);
  }
  return results;
}

/** Creates the destination namespace (CreateNamespace=true), without ownership marks: never pruned. */
export async function ensureNamespace(resources: ResourceClient, name: string): Promise<void> {
  await resources.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name } });
}

/**
 * Deletes what left Git, in reverse apply order. `blocked` (a reason) keeps everything: prune is off,
 * or an earlier step failed and deleting now could remove what the failed change still needs.
 */
export async function pruneObjects(
  resources: ResourceClient,
  decisions: readonly PruneDecision[],
  blocked: string | undefined,
  propagationPolicy: SyncOptions["prunePropagationPolicy"] = "Foreground",
): Promise<ChangeSetEntry[]> {
  const results: ChangeSetEntry[] = [];
  for (const batch of pruneBatches(decisions.map((d) => ({ ...d, ...d.object })))) {
    const entries = await mapLimit(batch, APPLY_CONCURRENCY, async (decision): Promise<ChangeSetEntry> => {
      const object = decision.object;
      const entry = {
        apiVersion: object.apiVersion ?? "",
        kind: object.kind ?? "",
        namespace: object.metadata?.namespace,
        name: object.metadata?.name ?? "",
      };
      if (decision.action === "keep") return { ...entry, action: "kept", message: decision.reason };
      if (blocked) return { ...entry, action: "kept", message: blocked };
      try {
        const outcome = await resources.remove(entry, propagationPolicy);
        return { ...entry, action: "deleted", message: outcome === "absent" ? "already gone" : "pruned" };
      } catch (error) {
        if (error instanceof FencedError) throw error;
        return { ...entry, action: "failed", message: `prune failed: ${kubeErrorMessage(error)}` };
      }
    });
    results.push(...entries);
  }
  return results;
}

/** Prune's reason to keep an object when prune is off: what status shows as "requires pruning". */
export const PRUNE_OFF = "requires pruning (prune is off)";
