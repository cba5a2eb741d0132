// status.resources and the app's health, from what the compare found, what the sync did and what
// is left to prune. This list is also the inventory a later reconcile prunes from.
import { type HealthEvaluator, aggregateHealth, builtinHealth } from "../engine/health/index.js";
import { type UnstructuredObject, splitApiVersion } from "../model/ref.js";
import type { PruneDecision } from "../engine/prune/candidates.js";
import type { HealthStatus, ResourceStatus } from "../model/application.js";
import type { ObjectComparison } from "./compare.js";
import type { ChangeSetEntry } from "../engine/apply/writer.js";

export function resourceStatuses(input: {
  readonly comparisons: readonly ObjectComparison[];
  readonly decisions: readonly PruneDecision[];
  readonly results: readonly ChangeSetEntry[];
  /** The other app that owns an object, if any. */
  readonly claimedBy: (c: ObjectComparison) => string | undefined;
  /** Decides each object's health (built-in checks plus the user's CEL rules); built-in only when unset. */
  readonly health?: HealthEvaluator;
}): { resources: ResourceStatus[]; health: HealthStatus; healthErrors: string[] } {
  const evaluate = input.health ?? builtinHealth;
  const healthErrors = new Set<string>();
  const resources: ResourceStatus[] = input.comparisons.map((c) => {
    if (c.notPermitted !== undefined) {
      const { desired: d } = c;
      const ref = { kind: d.kind, namespace: d.namespace, name: d.name };
      return { ...splitApiVersion(d.apiVersion), ...ref, status: "Unknown", message: c.notPermitted };
    }
    const owner = input.claimedBy(c);
    const detail = owner
      ? { message: `managed by application ${owner}` }
      : c.error
        ? { message: c.error }
        : c.result.fields.length > 0
          ? { diff: c.result.fields.slice(0, 20) }
          : {};
    const verdict = evaluate(c.live as unknown as UnstructuredObject | undefined);
    if (verdict.error)
      healthErrors.add(
        `${c.desired.kind} ${c.desired.namespace ? `${c.desired.namespace}/` : ""}${c.desired.name}: ${verdict.error}`,
      );
    return {
      ...splitApiVersion(c.desired.apiVersion),
      kind: c.desired.kind,
      namespace: c.desired.namespace,
      name: c.desired.name,
      status: owner ? "OutOfSync" : c.result.status,
      health: verdict.health,
      ...detail,
    };
  });
  for (const d of input.decisions) {
    const m = d.object.metadata;
    const pruned = input.results.some(
      (r) =>
        r.action === "deleted" &&
        r.name === m?.name &&
        r.kind === d.object.kind &&
        r.namespace === m?.namespace,
    );
    if (pruned) continue;
    resources.push({
      ...splitApiVersion(d.object.apiVersion ?? ""),
      kind: d.object.kind ?? "",
      namespace: m?.namespace,
      name: m?.name ?? "",
      status: d.action === "delete" ? "OutOfSync" : "Synced",
      message: d.action === "delete" ? "requires pruning" : d.reason,
      // An object being deleted (a finalizer holding it) counts as Progressing ("Pending deletion").
      ...((m as { deletionTimestamp?: string } | undefined)?.deletionTimestamp
        ? { health: evaluate(d.object as unknown as UnstructuredObject).health }
        : {}),
    });
  }
  const health = aggregateHealth(resources.flatMap((r) => (r.health ? [{ ref: r, health: r.health }] : [])));
  return { resources, health, healthErrors: [...healthErrors] };
}
