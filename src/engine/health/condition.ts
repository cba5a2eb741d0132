// The app's HealthCheckError condition: a health rule (built-in or CEL) that could not judge one
// of its resources says so on the app instead of silently reporting a health.
import type { Condition } from "../../model/application.js";
import { CONDITION_REASONS } from "../errors.js";
import { removeCondition, setCondition } from "../status/conditions.js";

export const HEALTH_CONDITION = "HealthCheckError";

/** The app's HealthCheckError condition from the errors met while judging its resources. */
export function healthCheckCondition(
  conditions: readonly Condition[] | undefined,
  errors: readonly string[],
  now: Date,
): Condition[] {
  if (errors.length === 0) return removeCondition(conditions, HEALTH_CONDITION);
  return setCondition(
    conditions,
    {
      type: HEALTH_CONDITION,
      status: "True",
      reason: CONDITION_REASONS.InvalidHealthRule,
      message: errors.join("; "),
    },
    now,
  );
}
