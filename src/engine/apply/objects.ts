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
import { mapLimit } from "../concurrency.js";
import { ApplyError, CONDITION_REASONS, PruneError } from "../errors.js";
import type { PruneDecision } from "../prune/candidates.js";
import { resourceSyncOptions } from "../prune/ownership.js";
import type { SyncOptions } from "../status/syncoptions.js";
import { applyBatches, isClusterFoundation, pruneBatches } from "./order.js";
import type { ApplyTarget, ChangeSetEntry, ResourceWriter } from "./writer.js";
import { describeObject } from "./writer.js";

interface ManagedFieldsEntry {
  manager?: string;
  operation?: string;
}

/** Managers named in a 409 conflict message: `conflict with "kubectl" using apps/v1: .spec.replicas`. */
export function conflictingManagers(message: string): string[] {
  return [...message.matchAll(/conflicts? with "([^"]+)"/g)].map((m) => m[1] ?? "");
}

/**
 * Server-side apply; a conflict with fields only imperative writers changed is taken over (that
 * change is the drift), one with another Apply manager is an ApplyError naming it.
 */
async function applyOne(
  writer: ResourceWriter,
  desired: ApplyTarget,
  live: KubernetesObject | undefined,
  force: boolean,
): Promise<KubernetesObject> {
  const { sensitive } = desired;
  try {
    return await writer.apply(desired.object, { force, sensitive });
  } catch (error) {
    if (writer.statusOf(error) !== 409 || force) throw error;
    const managers = conflictingManagers(writer.messageOf(error));
    const entries = ((live?.metadata?.managedFields ?? []) as ManagedFieldsEntry[]).filter(
      (e) => e.manager !== writer.fieldManager,
    );
    const declarative = managers.filter((m) =>
      entries.some((e) => e.manager === m && e.operation === "Apply"),
    );
    if (managers.length === 0 || declarative.length > 0) {
      const who = declarative.length > 0 ? declarative.join(", ") : "another field manager";
      throw new ApplyError(
        CONDITION_REASONS.FieldOwnershipConflict,
        `${describeObject(desired)}: fields are owned by ${who} (server-side apply); set syncOptions Force=true to take them over. ${writer.messageOf(error)}`,
        { cause: error },
      );
    }
    return writer.apply(desired.object, { force: true, sensitive });
  }
}

function entryOf(d: { apiVersion: string; kind: string; namespace?: string; name: string }) {
  return { apiVersion: d.apiVersion, kind: d.kind, namespace: d.namespace, name: d.name };
}

/** Whether an object is applied with create/replace instead of server-side apply. */
export function usesReplace(desired: ApplyTarget, options: SyncOptions): boolean {
  return options.replace || resourceSyncOptions(desired.object).has("Replace=true");
}

/**
 * Requests in flight at once within one batch (objects of one kind). An app of thousands of objects
 * must not pay one round trip per object in sequence; more than this only queues in the apiserver.
 */
export const APPLY_CONCURRENCY = 16;

/**
 * `unchanged` when the server kept the object as it was (its resourceVersion did not move):
 * fluxcd ssa's change sets say so rather than leaving a caller to infer it from silence.
 */
function applyAction(
  live: KubernetesObject | undefined,
  exists: boolean,
  applied: KubernetesObject,
): ChangeSetEntry["action"] {
  if (!exists) return "created";
  const before = live?.metadata?.resourceVersion;
  return before !== undefined && before === applied.metadata?.resourceVersion ? "unchanged" : "configured";
}

/**
 * Applies objects: Namespaces and CRDs first (CRDs until Established, so custom resources of the
 * same step can follow), then the rest in kind order — one kind after another, the objects of a
 * kind concurrently. One entry per object, in apply order; throws only what stops the run.
 */
export async function applyObjects<T extends ApplyTarget>(
  writer: ResourceWriter,
  items: readonly { desired: T; exists: boolean }[],
  options: SyncOptions,
  liveOf: (d: T) => KubernetesObject | undefined,
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
        const live = liveOf(desired);
        try {
          const applied = usesReplace(desired, options)
            ? await writer.replace(desired.object, { sensitive: desired.sensitive })
            : await applyOne(writer, desired, live, options.force);
          if (desired.kind === "CustomResourceDefinition") await writer.waitEstablished(desired.name);
          return { ...entry, action: applyAction(live, exists, applied), applied };
        } catch (error) {
          // Fenced: not this object's failure; the whole reconcile stops (its writes are refused).
          if (writer.stopsRun(error)) throw error;
          const failure =
            error instanceof ApplyError
              ? error
              : new ApplyError(CONDITION_REASONS.ApplyFailed, writer.messageOf(error), { cause: error });
          return { ...entry, action: "failed", reason: failure.reason, message: failure.message };
        }
      },
    );
    results.push(...entries);
  }
  return results;
}

/** Creates the destination namespace (CreateNamespace=true), without ownership marks: never pruned. */
export async function ensureNamespace(writer: ResourceWriter, name: string): Promise<void> {
  await writer.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name } }, { force: false });
}

/** Prune's reason to keep an object when prune is off: what status shows as "requires pruning". */
export const PRUNE_OFF = "requires pruning (prune is off)";

/**
 * Deletes what left Git, in reverse apply order. Unless `allowed`, everything is kept (prune is
 * off), each entry with reason PruneDisabled: the object still requires pruning.
 */
export async function pruneObjects(
  writer: ResourceWriter,
  decisions: readonly PruneDecision[],
  allowed: boolean,
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
      if (!allowed)
        return { ...entry, action: "kept", reason: CONDITION_REASONS.PruneDisabled, message: PRUNE_OFF };
      try {
        const outcome = await writer.remove(entry, propagationPolicy);
        return outcome === "absent"
          ? { ...entry, action: "deleted", reason: CONDITION_REASONS.AlreadyGone, message: "already gone" }
          : { ...entry, action: "deleted", reason: CONDITION_REASONS.Pruned, message: "pruned" };
      } catch (error) {
        if (writer.stopsRun(error)) throw error;
        const failure = new PruneError(
          CONDITION_REASONS.PruneFailed,
          `prune failed: ${writer.messageOf(error)}`,
          { cause: error },
        );
        return { ...entry, action: "failed", reason: failure.reason, message: failure.message };
      }
    });
    results.push(...entries);
  }
  return results;
}
