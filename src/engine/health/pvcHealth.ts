// PersistentVolumeClaim health, following gitops-engine's getCorev1PVCHealth.
import type { HealthStatus } from "../../model/application.js";
import { health } from "./healthStatus.js";
import { getString } from "./object.js";
import { type UnstructuredObject } from "../../model/ref.js";

export function pvcHealth(obj: UnstructuredObject): HealthStatus {
  const phase = getString(obj, "status", "phase");
  switch (phase) {
    case "Bound":
      return health("Healthy");
    case "Pending":
      // Often WaitForFirstConsumer: the claim binds only when a pod using it is scheduled.
      return health("Progressing", "Waiting for the claim to be bound");
    case "Lost":
      return health("Degraded", "The bound PersistentVolume no longer exists");
    default:
      return health("Unknown", phase ? `Unknown claim phase "${phase}"` : "Claim has no phase yet");
  }
}
