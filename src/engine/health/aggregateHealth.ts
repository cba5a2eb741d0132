// Application health: the worst health among its resources.
import type { HealthStatus, ResourceRef } from "../../model/application.js";
import { health, isWorse } from "./healthStatus.js";
import { describeRef } from "../../model/ref.js";

export interface ResourceHealth {
  ref: ResourceRef;
  health: HealthStatus;
}

/**
 * The worst status by gitops-engine's order (Healthy < Suspended < Progressing < Missing <
 * Degraded < Unknown). The message names the first resource found at that status, followed by its
 * own message. No resources at all is Healthy: there is nothing that could be unwell.
 */
export function aggregateHealth(resources: readonly ResourceHealth[]): HealthStatus {
  let worst: ResourceHealth | undefined;
  for (const resource of resources) {
    if (!worst || isWorse(worst.health.status, resource.health.status)) worst = resource;
  }
  if (!worst || worst.health.status === "Healthy") return health("Healthy");
  const detail = worst.health.message ? `: ${worst.health.message}` : "";
  const others = resources.filter((r) => r !== worst && r.health.status === worst.health.status).length;
  const more = others > 0 ? ` (and ${others} more ${worst.health.status})` : "";
  return health(worst.health.status, `${describeRef(worst.ref)} is ${worst.health.status}${detail}${more}`);
}
