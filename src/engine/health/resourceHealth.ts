// Health of one live object: the pending-deletion and missing cases, then a check chosen by
// group and kind. Checks are chosen by group/kind, not by version: the fields they read are the
// same in every served version (except HPA, whose check looks at the version itself).
import type { HealthStatus } from "../../model/application.js";
import { apiServiceHealth } from "./apiServiceHealth.js";
import { applicationHealth } from "./applicationHealth.js";
import { crdHealth } from "./crdHealth.js";
import { daemonSetHealth } from "./daemonSetHealth.js";
import { deploymentHealth } from "./deploymentHealth.js";
import { genericHealth } from "./genericHealth.js";
import { health } from "./healthStatus.js";
import { hpaHealth } from "./hpaHealth.js";
import { jobHealth } from "./jobHealth.js";
import { namespaceHealth } from "./namespaceHealth.js";
import { ingressHealth, serviceHealth } from "./networkHealth.js";
import { getPath, getString, isRecord } from "./object.js";
import { type UnstructuredObject, groupOf } from "../../model/ref.js";
import { podHealth } from "./podHealth.js";
import { pvcHealth } from "./pvcHealth.js";
import { replicaSetHealth } from "./replicaSetHealth.js";
import { clusterExternalSecretHealth, externalSecretHealth, sealedSecretHealth } from "./secretsHealth.js";
import { statefulSetHealth } from "./statefulSetHealth.js";
import { errorMessage } from "../../lib/errormessage.js";

type HealthCheck = (obj: UnstructuredObject) => HealthStatus;

/** Keyed "group/Kind"; the core group is "". */
const CHECKS: ReadonlyMap<string, HealthCheck> = new Map([
  ["apps/Deployment", deploymentHealth],
  ["apps/StatefulSet", statefulSetHealth],
  ["apps/DaemonSet", daemonSetHealth],
  ["apps/ReplicaSet", replicaSetHealth],
  ["/Pod", podHealth],
  ["/Service", serviceHealth],
  ["/PersistentVolumeClaim", pvcHealth],
  ["/Namespace", namespaceHealth],
  ["batch/Job", jobHealth],
  ["networking.k8s.io/Ingress", ingressHealth],
  ["extensions/Ingress", ingressHealth],
  ["apiextensions.k8s.io/CustomResourceDefinition", crdHealth],
  ["apiregistration.k8s.io/APIService", apiServiceHealth],
  ["autoscaling/HorizontalPodAutoscaler", hpaHealth],
  ["tether.dev/Application", applicationHealth],
  ["bitnami.com/SealedSecret", sealedSecretHealth],
  ["external-secrets.io/ExternalSecret", externalSecretHealth],
  ["external-secrets.io/ClusterExternalSecret", clusterExternalSecretHealth],
]);

/** The check used for this group and kind (the generic Ready-condition check when none is built in). */
export function healthCheckFor(group: string, kind: string): HealthCheck {
  return CHECKS.get(`${group}/${kind}`) ?? genericHealth;
}

/**
 * Health of a live object; `undefined`/`null` (not found in the cluster) is Missing. Never throws:
 * a check that fails on malformed input reports Unknown with the reason, as gitops-engine does.
 */
export function resourceHealth(obj: UnstructuredObject | undefined | null): HealthStatus {
  if (!isRecord(obj)) return health("Missing", "Resource does not exist");
  // Anything being deleted is on its way out whatever its status says. (gitops-engine exempts
  // objects holding its hook finalizer; Tether's hooks will get their own handling in apply.)
  if (getPath(obj, "metadata", "deletionTimestamp")) return health("Progressing", "Pending deletion");
  const check = healthCheckFor(groupOf(getString(obj, "apiVersion")), getString(obj, "kind"));
  try {
    return check(obj);
  } catch (error) {
    return health("Unknown", `health check failed: ${errorMessage(error)}`);
  }
}
