// Deployment rollout health, following gitops-engine's getAppsv1DeploymentHealth (itself borrowed
// from `kubectl rollout status`). Messages match gitops-engine so users can search for them.
import type { HealthStatus } from "../../model/application.js";
import { health } from "./healthStatus.js";
import { findCondition, getCount, getNumber, getPath, getString } from "./object.js";
import { type UnstructuredObject } from "../../model/ref.js";

export function deploymentHealth(obj: UnstructuredObject): HealthStatus {
  if (getPath(obj, "spec", "paused") === true) return health("Suspended", "Deployment is paused");

  const generation = getCount(obj, "metadata", "generation");
  const observed = getCount(obj, "status", "observedGeneration");
  // Until the controller has seen the latest spec, every status number describes the old spec.
  if (generation > observed) {
    return health(
      "Progressing",
      "Waiting for rollout to finish: observed deployment generation less than desired generation",
    );
  }

  // Only the Progressing condition's reason matters; its status is False when the deadline passes.
  if (findCondition(obj, "Progressing")?.reason === "ProgressDeadlineExceeded") {
    const name = getString(obj, "metadata", "name");
    return health("Degraded", `Deployment "${name}" exceeded its progress deadline`);
  }

  // spec.replicas is a pointer in Go: when absent (never, once the server defaulted it) skip the check.
  const desired = getNumber(obj, "spec", "replicas");
  const updated = getCount(obj, "status", "updatedReplicas");
  const total = getCount(obj, "status", "replicas");
  const available = getCount(obj, "status", "availableReplicas");
  if (desired !== undefined && updated < desired) {
    return health(
      "Progressing",
      `Waiting for rollout to finish: ${updated} out of ${desired} new replicas have been updated...`,
    );
  }
  if (total > updated) {
    return health(
      "Progressing",
      `Waiting for rollout to finish: ${total - updated} old replicas are pending termination...`,
    );
  }
  if (available < updated) {
    return health(
      "Progressing",
      `Waiting for rollout to finish: ${available} of ${updated} updated replicas are available...`,
    );
  }
  return health("Healthy");
}
