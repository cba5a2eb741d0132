// CEL for user expressions over Kubernetes objects (custom health; later the policy gate).
export {
  CelEnvironment,
  DEFAULT_CEL_LIMITS,
  type CelLimits,
  type CelProgram,
  type CelResult,
  type CelType,
} from "./environment.js";
