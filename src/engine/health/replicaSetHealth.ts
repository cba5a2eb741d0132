// ReplicaSet health, following gitops-engine's getAppsv1ReplicaSetHealth.
import type { HealthStatus } from "../../model/application.js";
import { health } from "./healthStatus.js";
import { findCondition, getCount, getNumber } from "./object.js";
import { type UnstructuredObject } from "../../model/ref.js";

export function replicaSetHealth(obj: UnstructuredObject): HealthStatus {
  const generation = getCount(obj, "metadata", "generation");
  const observed = getCount(obj, "status", "observedGeneration");
  if (generation > observed) {
    return health(
      "Progressing",
      "Waiting for rollout to finish: observed replica set generation less than desired generation",
    );
  }
  // ReplicaFailure=True: pods cannot be created at all (quota, admission webhook, bad spec).
  const failure = findCondition(obj, "ReplicaFailure");
  if (failure?.status === "True") return health("Degraded", failure.message);

  const desired = getNumber(obj, "spec", "replicas");
  const available = getCount(obj, "status", "availableReplicas");
  if (desired !== undefined && available < desired) {
    return health(
      "Progressing",
      `Waiting for rollout to finish: ${available} out of ${desired} new replicas are available...`,
    );
  }
  return health("Healthy");
}
