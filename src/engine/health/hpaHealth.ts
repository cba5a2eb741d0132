// HorizontalPodAutoscaler health, following gitops-engine's getHPAHealth: autoscaling/v1 carries
// its conditions in an annotation, v2/v2beta1/v2beta2 in status.conditions.
import type { HealthStatus } from "../../model/application.js";
import { health } from "./healthStatus.js";
import { type KubeCondition, conditionsOf, getString, toCondition } from "./object.js";
import { type UnstructuredObject, versionOf } from "../../model/ref.js";

const WAITING = health("Progressing", "Waiting to Autoscale");

/** (type, reason) pairs meaning the autoscaler cannot work at all, per gitops-engine. */
const DEGRADED: readonly (readonly [string, string])[] = [
  ["AbleToScale", "FailedGetScale"],
  ["AbleToScale", "FailedUpdateScale"],
  ["ScalingActive", "FailedGetResourceMetric"],
  ["ScalingActive", "InvalidSelector"],
];

const HEALTHY_TYPES = ["AbleToScale", "ScalingLimited"];

/** The first condition, in list order, that is decisive wins (gitops-engine's checkConditions). */
function fromConditions(conditions: KubeCondition[]): HealthStatus {
  for (const c of conditions) {
    if (DEGRADED.some(([type, reason]) => c.type === type && c.reason === reason)) {
      return health("Degraded", c.message);
    }
    if (HEALTHY_TYPES.includes(c.type) && c.status === "True") return health("Healthy", c.message);
  }
  return WAITING;
}

export function hpaHealth(obj: UnstructuredObject): HealthStatus {
  if (versionOf(getString(obj, "apiVersion")) !== "v1") return fromConditions(conditionsOf(obj));
  const annotation = getString(obj, "metadata", "annotations", "autoscaling.alpha.kubernetes.io/conditions");
  if (!annotation) return WAITING;
  let parsed: unknown;
  try {
    parsed = JSON.parse(annotation);
  } catch (error) {
    return health("Unknown", `failed to parse the conditions annotation: ${(error as Error).message}`);
  }
  if (!Array.isArray(parsed)) return health("Unknown", "the conditions annotation is not a list");
  return fromConditions(parsed.map(toCondition));
}
