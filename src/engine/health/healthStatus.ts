// The health value every check returns, and the order used to pick the worst of several.
import type { HealthStatus, HealthStatusCode } from "../../model/application.js";

/**
 * Most healthy first. This is gitops-engine's `healthOrder` (pkg/health/health.go) exactly:
 * Missing ranks below Degraded (a missing object may simply not be created yet) and Unknown is
 * the worst (we could not tell, so we must not report anything better).
 */
export const HEALTH_ORDER: readonly HealthStatusCode[] = [
  "Healthy",
  "Suspended",
  "Progressing",
  "Missing",
  "Degraded",
  "Unknown",
];

/** True when `candidate` is strictly worse than `current` (gitops-engine's IsWorse). */
export function isWorse(current: HealthStatusCode, candidate: HealthStatusCode): boolean {
  return HEALTH_ORDER.indexOf(candidate) > HEALTH_ORDER.indexOf(current);
}

/** Builds a HealthStatus, leaving `message` out when there is nothing to say. */
export function health(status: HealthStatusCode, message?: string): HealthStatus {
  return message ? { status, message } : { status };
}
