// The health of one live object as the controller decides it: the built-in checks, overridden per
// group/kind by the user's CEL rules (customHealth.ts). A value, chosen once per configuration, so
// the controller can swap it when the configuration changes without touching anything else.
import {
  type HealthCustomizations,
  type HealthVerdict,
  NO_CUSTOMIZATIONS,
  customHealth,
} from "./customHealth.js";
import { getPath, isRecord } from "./object.js";
import { type UnstructuredObject } from "../../model/ref.js";
import { resourceHealth } from "./resourceHealth.js";

export type HealthEvaluator = (obj: UnstructuredObject | undefined | null) => HealthVerdict;

/** Built-in health only. */
export const builtinHealth: HealthEvaluator = (obj) => ({ health: resourceHealth(obj) });

export function healthEvaluator(customizations: HealthCustomizations = NO_CUSTOMIZATIONS): HealthEvaluator {
  if (customizations.entries.length === 0) return builtinHealth;
  return (obj) => {
    // Missing and pending deletion are decided before any rule: no rule can make them healthier.
    if (!isRecord(obj) || getPath(obj, "metadata", "deletionTimestamp")) return builtinHealth(obj);
    return customHealth(customizations, obj) ?? builtinHealth(obj);
  };
}
