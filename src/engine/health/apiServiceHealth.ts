// APIService health, following gitops-engine's getApiregistrationv1APIServiceHealth (v1 and v1beta1
// share the shape). An unavailable APIService is Progressing, not Degraded: the backing service
// usually just has not started yet.
import type { HealthStatus } from "../../model/application.js";
import { health } from "./healthStatus.js";
import { findCondition } from "./object.js";
import { type UnstructuredObject } from "../../model/ref.js";

export function apiServiceHealth(obj: UnstructuredObject): HealthStatus {
  const available = findCondition(obj, "Available");
  if (!available) return health("Progressing", "Waiting to be processed");
  const message = `${available.reason}: ${available.message}`;
  return health(available.status === "True" ? "Healthy" : "Progressing", message);
}
