// Job health, following gitops-engine's getBatchv1JobHealth with one correction (see below).
import type { HealthStatus } from "../../model/application.js";
import { health } from "./healthStatus.js";
import { conditionsOf } from "./object.js";
import { type UnstructuredObject } from "../../model/ref.js";

export function jobHealth(obj: UnstructuredObject): HealthStatus {
  // Only conditions with status True count. gitops-engine also treats a Suspended=False condition
  // (a job resumed after a suspension) as "complete" and reports Healthy while it still runs; here a
  // resumed job is Progressing until it completes or fails.
  const active = conditionsOf(obj).filter((c) => c.status === "True");
  const failed = active.find((c) => c.type === "Failed");
  if (failed) return health("Degraded", failed.message);
  const complete = active.find((c) => c.type === "Complete");
  if (complete) return health("Healthy", complete.message);
  const suspended = active.find((c) => c.type === "Suspended");
  if (suspended) return health("Suspended", suspended.message);
  return health("Progressing");
}
