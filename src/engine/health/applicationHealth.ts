// Health of an Application rendered by another Application (app of apps): the child's own verdict,
// `status.health`, except while that verdict cannot be current yet — the child has not been
// reconciled since it was created or its spec last changed, or a sync of it is running. Those are
// Progressing, so a parent never reports Healthy on the strength of a child's stale status.
import type { HealthStatus, HealthStatusCode } from "../../model/application.js";
import { HEALTH_ORDER, health } from "./healthStatus.js";
import { getNumber, getPath, getString, isRecord } from "./object.js";
import { type UnstructuredObject } from "../../model/ref.js";
import { shortRevision } from "../../model/revision.js";

export function applicationHealth(obj: UnstructuredObject): HealthStatus {
  const status = getPath(obj, "status");
  if (getString(status, "operationState", "phase") === "Running") {
    const revision = shortRevision(getString(status, "operationState", "revision"));
    return health("Progressing", `sync${revision ? ` of ${revision}` : ""} is running`);
  }
  const generation = getNumber(obj, "metadata", "generation");
  const observed = getNumber(status, "observedGeneration");
  const own = getPath(status, "health");
  if (!isRecord(own) || typeof own["status"] !== "string") {
    return health("Progressing", "waiting for the application to be reconciled");
  }
  if (generation !== undefined && observed !== undefined && observed < generation) {
    return health(
      "Progressing",
      `spec changed (generation ${generation}); waiting for the application to be reconciled`,
    );
  }
  const code = own["status"] as HealthStatusCode;
  if (!HEALTH_ORDER.includes(code))
    return health("Unknown", `unrecognized health status ${JSON.stringify(code)}`);
  return health(code, getString(own, "message"));
}
