// Which live objects a sync may delete. Pure: the caller passes what it rendered and what is
// live; the answer is a list of deletions and a list of objects kept, each with the reason.
import type { AppKey, KubeObject } from "./ownership.js";
import { isOwnedBy, objectKey, resourceSyncOptions } from "./ownership.js";

export interface PruneDecision {
  readonly object: KubeObject;
  readonly action: "delete" | "keep";
  readonly reason: string;
}

export interface PruneInput {
  readonly app: AppKey;
  readonly installationId: string;
  /** What the render produced (after ownership marks). */
  readonly desired: readonly KubeObject[];
  /** Live objects that may be the app's: from the inventory in status and from the watch caches. */
  readonly live: readonly KubeObject[];
  /** Namespaces and CRDs are kept unless asked (deleting one deletes everything inside). */
  readonly pruneFoundations?: boolean;
}

/** Live objects of this app that left Git, with a decision for each. Never decides on others' objects. */
export function pruneCandidates(input: PruneInput): PruneDecision[] {
  const wanted = new Set(input.desired.map(objectKey));
  const seen = new Set<string>();
  const decisions: PruneDecision[] = [];
  for (const object of input.live) {
    const key = objectKey(object);
    if (wanted.has(key) || seen.has(key)) continue;
    seen.add(key);
    if (!isOwnedBy(object, input.app, input.installationId)) continue;
    const options = resourceSyncOptions(object);
    const deleting =
      (object.metadata as { deletionTimestamp?: string; finalizers?: string[] } | undefined) ?? {};
    if (deleting.deletionTimestamp) {
      // Already being deleted: asking again changes nothing, and counting it as "to prune" would
      // make every reconcile sync again while a finalizer holds it (a sync loop). Report it.
      const held = deleting.finalizers?.length
        ? `; waiting on finalizers: ${deleting.finalizers.join(", ")}`
        : "";
      decisions.push({
        object,
        action: "keep",
        reason: `being deleted since ${deleting.deletionTimestamp}${held}`,
      });
    } else if (options.has("Prune=false")) {
      decisions.push({ object, action: "keep", reason: "annotated Prune=false" });
    } else if (
      !input.pruneFoundations &&
      (object.kind === "Namespace" || object.kind === "CustomResourceDefinition")
    ) {
      decisions.push({ object, action: "keep", reason: `${object.kind} is never pruned unless asked` });
    } else {
      decisions.push({ object, action: "delete", reason: "no longer in Git" });
    }
  }
  return decisions;
}
