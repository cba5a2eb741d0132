// The health stage: pure functions from live objects to {status, message}.
export { aggregateHealth, type ResourceHealth } from "./aggregateHealth.js";
export { HEALTH_ORDER, health, isWorse } from "./healthStatus.js";
export { healthCheckFor, resourceHealth } from "./resourceHealth.js";
export { apiServiceHealth } from "./apiServiceHealth.js";
export { applicationHealth } from "./applicationHealth.js";
export {
  NO_CUSTOMIZATIONS,
  RULE_STATUSES,
  compileHealthCustomizations,
  customHealth,
  customizationMatches,
  type CompiledCustomization,
  type HealthCustomizationSpec,
  type HealthCustomizations,
  type HealthRuleSpec,
  type HealthVerdict,
} from "./customHealth.js";
export { builtinHealth, healthEvaluator, type HealthEvaluator } from "./evaluator.js";
export { crdHealth } from "./crdHealth.js";
export { daemonSetHealth } from "./daemonSetHealth.js";
export { deploymentHealth } from "./deploymentHealth.js";
export { genericHealth } from "./genericHealth.js";
export { hpaHealth } from "./hpaHealth.js";
export { jobHealth } from "./jobHealth.js";
export { namespaceHealth } from "./namespaceHealth.js";
export { ingressHealth, serviceHealth } from "./networkHealth.js";
export { podHealth } from "./podHealth.js";
export { pvcHealth } from "./pvcHealth.js";
export { replicaSetHealth } from "./replicaSetHealth.js";
export { statefulSetHealth } from "./statefulSetHealth.js";
export { clusterExternalSecretHealth, externalSecretHealth, sealedSecretHealth } from "./secretsHealth.js";
