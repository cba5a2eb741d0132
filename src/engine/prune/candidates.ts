// Which live objects a sync (prune) or an app's deletion (cascade) may delete. Pure: the caller
// passes what it rendered, what is live and the app's project; the answer is one decision per
// object of this app, delete or keep, each with the reason.
//
// Ownership marks are a claim, not a proof: anyone who may write an object can put Tether's label
// and a tracking id naming any app on it. So an owned object is deleted only where the app's
// project lets the app manage it (its destinations and kinds): Tether never deletes what its
// project would not have let it apply. Refused objects are kept and reported by name.
import type { AppProject } from "../../model/appproject.js";
import { type Placement, objectNotPermitted } from "../policy/project.js";
import { type AppKey, isOwnedBy, resourceSyncOptionProblems, resourceSyncOptions } from "./ownership.js";
import { type KubeObject, groupOf, objectKey } from "../../model/ref.js";

export interface PruneDecision {
  readonly object: KubeObject;
  readonly action: "delete" | "keep";
  readonly reason: string;
}

/** The app's project as deletion sees it: undefined `project` means it does not exist. */
export interface ProjectScope {
  readonly name: string;
  readonly project: AppProject | undefined;
  /** Where the app deploys (its cluster and namespace). */
  readonly placement: Placement;
}

export interface PruneInput {
  readonly app: AppKey;
  readonly installationId: string;
  /** What the render produced (after ownership marks). Empty for a cascade delete. */
  readonly desired: readonly KubeObject[];
  /** Live objects that may be the app's: from the inventory in status and from the watch caches. */
  readonly live: readonly KubeObject[];
  /** The project that bounds what the app may delete. */
  readonly project: ProjectScope;
  /** Namespaces and CRDs are kept unless asked (deleting one deletes everything inside). */
  readonly pruneFoundations?: boolean;
  /**
   * `prune` (a sync: Prune=false keeps an object) or `cascade` (the app is deleted: Delete=false
   * keeps it; Namespaces are never deleted).
   */
  readonly purpose?: "prune" | "cascade";
}

/** The prefix of every reason that names a project refusal (the API and tests look for it). */
export const NOT_PERMITTED = "not permitted by project";
/** The prefix of the reason for an object someone already deletes (a cascade delete waits for it). */
export const BEING_DELETED = "being deleted";
/** Refused objects named one by one in status and messages; more are counted. */
export const REFUSED_LISTED = 20;

/** Why the project refuses the deletion of `object`, or undefined when it allows it. */
export function deletionRefused(scope: ProjectScope, object: KubeObject): string | undefined {
  if (!scope.project) return `${NOT_PERMITTED} "${scope.name}": the project does not exist`;
  const m = object.metadata ?? {};
  const ref = {
    group: groupOf(object.apiVersion),
    kind: object.kind ?? "",
    namespace: m.namespace,
    name: m.name ?? "",
  };
  const refused = objectNotPermitted(scope.project, scope.placement, ref);
  return refused ? `${NOT_PERMITTED} "${scope.name}": ${refused.detail}` : undefined;
}

function keepReason(input: PruneInput, object: KubeObject): string | undefined {
  const refused = deletionRefused(input.project, object);
  if (refused) return refused;
  // A keep-annotation someone misspelt on the live object (`kubectl annotate … Prune=flase`) was
  // still meant to keep it: nothing is deleted on an annotation Tether cannot read.
  const unreadable = resourceSyncOptionProblems(object)[0];
  if (unreadable !== undefined) return `not deleted: ${unreadable}`;
  const options = resourceSyncOptions(object);
  if (input.purpose === "cascade") {
    if (options.has("Delete=false")) return "annotated Delete=false";
    if (object.kind === "Namespace") return "a Namespace is never deleted with its application";
  } else if (options.has("Prune=false")) {
    return "annotated Prune=false";
  }
  const deleting =
    (object.metadata as { deletionTimestamp?: string; finalizers?: string[] } | undefined) ?? {};
  if (deleting.deletionTimestamp) {
    // Already being deleted: asking again changes nothing, and counting it as "to prune" would
    // make every reconcile sync again while a finalizer holds it (a sync loop). Report it.
    const held = deleting.finalizers?.length
      ? `; waiting on finalizers: ${deleting.finalizers.join(", ")}`
      : "";
    return `${BEING_DELETED} since ${deleting.deletionTimestamp}${held}`;
  }
  if (
    input.purpose !== "cascade" &&
    !input.pruneFoundations &&
    (object.kind === "Namespace" || object.kind === "CustomResourceDefinition")
  )
    return `${object.kind} is never pruned unless asked`;
  return undefined;
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
    const reason = keepReason(input, object);
    const gone = input.purpose === "cascade" ? "the application is deleted" : "no longer in Git";
    decisions.push(reason ? { object, action: "keep", reason } : { object, action: "delete", reason: gone });
  }
  return decisions;
}

const isRefused = (d: PruneDecision) => d.action === "keep" && d.reason.startsWith(NOT_PERMITTED);

/**
 * The objects kept because the project refuses them, in one line for a condition and an Event. At
 * most REFUSED_LISTED are named: whoever forges marks should not decide how long the message is.
 */
export function refusedDeletions(decisions: readonly PruneDecision[]): string | undefined {
  const refused = decisions.filter(isRefused);
  if (refused.length === 0) return undefined;
  const named = refused.slice(0, REFUSED_LISTED).map((d) => {
    const m = d.object.metadata ?? {};
    return `${d.object.kind ?? ""} ${m.namespace ? `${m.namespace}/` : ""}${m.name ?? ""} (${d.reason})`;
  });
  const more = refused.length > REFUSED_LISTED ? `; and ${refused.length - REFUSED_LISTED} more` : "";
  return `${refused.length} object(s) carry this application's marks but are outside its project, so they are never pruned or deleted: ${named.join("; ")}${more}`;
}

/**
 * The decisions as status.resources lists them: refused objects beyond the first REFUSED_LISTED
 * are left out (still never deleted, and counted in refusedDeletions), so forged marks on many
 * objects cannot grow the app's status without bound.
 */
export function reportedDecisions(decisions: readonly PruneDecision[]): PruneDecision[] {
  let refused = 0;
  return decisions.filter((d) => !isRefused(d) || ++refused <= REFUSED_LISTED);
}
