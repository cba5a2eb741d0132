// Apply order: the order Helm and Argo CD install kinds in, so that what an object refers to
// (Namespace, CRD, ServiceAccount, ConfigMap, Secret, …) exists before the object itself.
// Prune runs the same order backwards.

const KIND_ORDER = [
  "Namespace",
  "NetworkPolicy",
  "ResourceQuota",
  "LimitRange",
  "PodSecurityPolicy",
  "PodDisruptionBudget",
  "ServiceAccount",
  "Secret",
  "SecretList",
  "ConfigMap",
  "StorageClass",
  "PersistentVolume",
  "PersistentVolumeClaim",
  "CustomResourceDefinition",
  "ClusterRole",
  "ClusterRoleList",
  "ClusterRoleBinding",
  "ClusterRoleBindingList",
  "Role",
  "RoleList",
  "RoleBinding",
  "RoleBindingList",
  "Service",
  "DaemonSet",
  "Pod",
  "ReplicationController",
  "ReplicaSet",
  "Deployment",
  "HorizontalPodAutoscaler",
  "StatefulSet",
  "Job",
  "CronJob",
  "IngressClass",
  "Ingress",
  "APIService",
  "MutatingWebhookConfiguration",
  "ValidatingWebhookConfiguration",
];
const rank = new Map(KIND_ORDER.map((kind, index) => [kind, index]));

export interface Orderable {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata?: { readonly name?: string; readonly namespace?: string };
}

/**
 * Kinds not in the list (custom resources) come after it: their CRDs must exist first. Tether's
 * own Applications (app of apps) come after everything else: a child app starts applying its own
 * objects as soon as it exists, so whatever the parent sets up for it (namespaces, CRDs, custom
 * resources it needs) must be there first; pruning, in reverse, removes children first.
 */
function kindRank(object: Orderable): number {
  if (object.kind === "Application" && (object.apiVersion ?? "").startsWith("tether.dev/"))
    return KIND_ORDER.length + 1;
  return rank.get(object.kind ?? "") ?? KIND_ORDER.length;
}

export function compareForApply(a: Orderable, b: Orderable): number {
  return (
    kindRank(a) - kindRank(b) ||
    (a.kind ?? "").localeCompare(b.kind ?? "") ||
    (a.metadata?.namespace ?? "").localeCompare(b.metadata?.namespace ?? "") ||
    (a.metadata?.name ?? "").localeCompare(b.metadata?.name ?? "")
  );
}

/** A new array in apply order; the input is not changed. */
export function applyOrder<T extends Orderable>(objects: readonly T[]): T[] {
  return [...objects].sort(compareForApply);
}

/** A new array in prune (reverse apply) order: Deployments before the ConfigMaps they mount. */
export function pruneOrder<T extends Orderable>(objects: readonly T[]): T[] {
  return [...objects].sort((a, b) => compareForApply(b, a));
}

/** Namespaces and CRDs: applied first, in a step of their own, so the rest can be dry-run. */
export function isClusterFoundation(object: Orderable): boolean {
  return object.kind === "Namespace" || object.kind === "CustomResourceDefinition";
}

/**
 * Objects in apply order, cut into batches of one kind: a batch may be applied concurrently (its
 * objects do not refer to each other by kind order), batches one after another. An app of 2,000
 * ConfigMaps is one batch; Namespace → ServiceAccount → Deployment stay in sequence.
 */
export function applyBatches<T extends Orderable>(objects: readonly T[]): T[][] {
  return batchesOf(applyOrder(objects));
}

/** Like applyBatches, in prune (reverse apply) order. */
export function pruneBatches<T extends Orderable>(objects: readonly T[]): T[][] {
  return batchesOf(pruneOrder(objects));
}

function batchesOf<T extends Orderable>(ordered: readonly T[]): T[][] {
  const batches: T[][] = [];
  let last: string | undefined;
  for (const object of ordered) {
    const kind = `${kindRank(object)}/${object.kind ?? ""}`;
    if (kind !== last || batches.length === 0) batches.push([]);
    batches[batches.length - 1]?.push(object);
    last = kind;
  }
  return batches;
}
