// StatefulSet rollout health, following gitops-engine's getAppsv1StatefulSetHealth (from
// `kubectl rollout status`), including partitioned rolling updates and the OnDelete strategy.
import type { HealthStatus } from "../../model/application.js";
import { health } from "./healthStatus.js";
import { getCount, getNumber, getPath, getString } from "./object.js";
import { type UnstructuredObject } from "../../model/ref.js";

export function statefulSetHealth(obj: UnstructuredObject): HealthStatus {
  const generation = getCount(obj, "metadata", "generation");
  const observed = getCount(obj, "status", "observedGeneration");
  // observedGeneration 0 means the controller has not looked at this object at all yet.
  if (observed === 0 || generation > observed) {
    return health("Progressing", "Waiting for statefulset spec update to be observed...");
  }

  const desired = getNumber(obj, "spec", "replicas");
  const ready = getCount(obj, "status", "readyReplicas");
  const updated = getCount(obj, "status", "updatedReplicas");
  if (desired !== undefined && ready < desired) {
    return health("Progressing", `Waiting for ${desired - ready} pods to be ready...`);
  }

  const strategy = getString(obj, "spec", "updateStrategy", "type");
  const rollingUpdate = getPath(obj, "spec", "updateStrategy", "rollingUpdate");
  if (strategy === "RollingUpdate" && rollingUpdate !== undefined && rollingUpdate !== null) {
    // With a partition only ordinals >= partition are updated, so "done" means replicas - partition.
    const partition = getNumber(obj, "spec", "updateStrategy", "rollingUpdate", "partition");
    if (desired !== undefined && partition !== undefined && updated < desired - partition) {
      return health(
        "Progressing",
        `Waiting for partitioned roll out to finish: ${updated} out of ${desired - partition} new pods have been updated...`,
      );
    }
    return health("Healthy", `partitioned roll out complete: ${updated} new pods have been updated...`);
  }

  // OnDelete: pods are replaced only when someone deletes them, so there is no rollout to wait for.
  if (strategy === "OnDelete") {
    return health("Healthy", `statefulset has ${ready} ready pods`);
  }

  const updateRevision = getString(obj, "status", "updateRevision");
  const currentRevision = getString(obj, "status", "currentRevision");
  if (updateRevision !== currentRevision) {
    return health(
      "Progressing",
      `waiting for statefulset rolling update to complete ${updated} pods at revision ${updateRevision}...`,
    );
  }
  const current = getCount(obj, "status", "currentReplicas");
  return health(
    "Healthy",
    `statefulset rolling update complete ${current} pods at revision ${currentRevision}...`,
  );
}
