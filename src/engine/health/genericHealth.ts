// Health for kinds without a dedicated check (custom resources, ConfigMaps, RBAC, …).
// gitops-engine returns no health at all for these; Tether reports them Healthy once they exist,
// and additionally honours the widespread `Ready` condition convention (kstatus, Crossplane,
// cert-manager, Flux, Cluster API) so that a custom resource that says it is not ready is not shown
// as healthy:
//   Ready=True → Healthy, Ready=False → Degraded, Ready=Unknown → Progressing, no Ready → Healthy.
// Ready=False is Degraded, not Progressing, because controllers following the convention report an
// in-flight reconcile as Unknown (or via a separate Reconciling condition), and False as a failure.
import type { HealthStatus } from "../../model/application.js";
import { health } from "./healthStatus.js";
import { findCondition } from "./object.js";
import { type UnstructuredObject } from "../../model/ref.js";

export function genericHealth(obj: UnstructuredObject): HealthStatus {
  const ready = findCondition(obj, "Ready");
  if (!ready) return health("Healthy");
  const message = ready.message || ready.reason;
  switch (ready.status) {
    case "True":
      return health("Healthy", message);
    case "False":
      return health("Degraded", message);
    default:
      return health("Progressing", message);
  }
}
