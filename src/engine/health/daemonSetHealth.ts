// DaemonSet rollout health, following gitops-engine's getAppsv1DaemonSetHealth.
import type { HealthStatus } from "../../model/application.js";
import { health } from "./healthStatus.js";
import { getCount, getString } from "./object.js";
import { type UnstructuredObject } from "../../model/ref.js";

export function daemonSetHealth(obj: UnstructuredObject): HealthStatus {
  const generation = getCount(obj, "metadata", "generation");
  const observed = getCount(obj, "status", "observedGeneration");
  if (generation > observed) {
    return health(
      "Progressing",
      "Waiting for rollout to finish: observed daemon set generation less than desired generation",
    );
  }

  const name = getString(obj, "metadata", "name");
  const desired = getCount(obj, "status", "desiredNumberScheduled");
  const updated = getCount(obj, "status", "updatedNumberScheduled");
  const available = getCount(obj, "status", "numberAvailable");

  // OnDelete: old pods stay until someone deletes them; that is the user's choice, not a stuck rollout.
  if (getString(obj, "spec", "updateStrategy", "type") === "OnDelete") {
    return health("Healthy", `daemon set ${updated} out of ${desired} new pods have been updated`);
  }
  if (updated < desired) {
    return health(
      "Progressing",
      `Waiting for daemon set "${name}" rollout to finish: ${updated} out of ${desired} new pods have been updated...`,
    );
  }
  if (available < desired) {
    return health(
      "Progressing",
      `Waiting for daemon set "${name}" rollout to finish: ${available} of ${desired} updated pods are available...`,
    );
  }
  return health("Healthy");
}
