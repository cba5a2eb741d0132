// Health of the objects that produce Secrets in the cluster from something safe to commit:
// Bitnami Sealed Secrets and External Secrets Operator. Argo CD ships Lua checks for both; these
// follow them, plus the generation check both controllers support (a status written for an older
// spec says nothing about the current one).
import type { HealthStatus } from "../../model/application.js";
import { health } from "./healthStatus.js";
import { findCondition, getArray, getNumber, getString } from "./object.js";
import { type UnstructuredObject } from "../../model/ref.js";

/** Progressing while the controller has not yet looked at the current spec. */
function staleGeneration(obj: UnstructuredObject, what: string): HealthStatus | undefined {
  const generation = getNumber(obj, "metadata", "generation");
  const observed = getNumber(obj, "status", "observedGeneration");
  if (generation !== undefined && observed !== undefined && observed < generation) {
    return health("Progressing", `Waiting for the ${what} controller to observe generation ${generation}`);
  }
  return undefined;
}

/** bitnami.com SealedSecret: the controller's `Synced` condition says whether it could unseal. */
export function sealedSecretHealth(obj: UnstructuredObject): HealthStatus {
  const stale = staleGeneration(obj, "sealed-secrets");
  if (stale) return stale;
  const synced = findCondition(obj, "Synced");
  if (synced?.status === "True") return health("Healthy", synced.message);
  if (synced?.status === "False") return health("Degraded", synced.message || synced.reason);
  return health("Progressing", "Waiting for the Sealed Secret to be unsealed");
}

/** external-secrets.io ExternalSecret: `Ready` once the target Secret was written from the store. */
export function externalSecretHealth(obj: UnstructuredObject): HealthStatus {
  const stale = staleGeneration(obj, "external-secrets");
  if (stale) return stale;
  const ready = findCondition(obj, "Ready");
  if (ready?.status === "True") return health("Healthy", ready.message);
  if (ready?.status === "False") return health("Degraded", ready.message || ready.reason);
  return health("Progressing", "Waiting for the ExternalSecret to be synced");
}

/**
 * external-secrets.io ClusterExternalSecret: `Ready`, and no namespace where creating the
 * ExternalSecret failed (the operator reports those in status.failedNamespaces).
 */
export function clusterExternalSecretHealth(obj: UnstructuredObject): HealthStatus {
  const stale = staleGeneration(obj, "external-secrets");
  if (stale) return stale;
  const failed = getArray(obj, "status", "failedNamespaces")
    .map((f) => (typeof f === "string" ? f : getString(f, "namespace")))
    .filter(Boolean);
  if (failed.length > 0)
    return health("Degraded", `ExternalSecret failed in namespaces: ${failed.join(", ")}`);
  const ready = findCondition(obj, "Ready");
  if (ready?.status === "True") return health("Healthy", ready.message);
  if (ready?.status === "False") return health("Degraded", ready.message || ready.reason);
  return health("Progressing", "Waiting for the ClusterExternalSecret to be provisioned");
}
