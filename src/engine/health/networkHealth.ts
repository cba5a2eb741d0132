// Service and Ingress health: both are "ready" once a load balancer address has been assigned,
// as in gitops-engine's getCorev1ServiceHealth and getIngressHealth.
import type { HealthStatus } from "../../model/application.js";
import { health } from "./healthStatus.js";
import { getArray, getString } from "./object.js";
import { type UnstructuredObject } from "../../model/ref.js";

function hasLoadBalancerAddress(obj: UnstructuredObject): boolean {
  return getArray(obj, "status", "loadBalancer", "ingress").length > 0;
}

/** Only LoadBalancer Services wait for something external; every other type is ready at once. */
export function serviceHealth(obj: UnstructuredObject): HealthStatus {
  if (getString(obj, "spec", "type") !== "LoadBalancer") return health("Healthy");
  return hasLoadBalancerAddress(obj)
    ? health("Healthy")
    : health("Progressing", "Waiting for the load balancer to be assigned an address");
}

/**
 * Like Argo CD, an Ingress is Progressing until its controller publishes an address. Clusters
 * whose ingress controller never writes status (some do not) will show Progressing forever;
 * a user health rule is the way out there.
 */
export function ingressHealth(obj: UnstructuredObject): HealthStatus {
  return hasLoadBalancerAddress(obj)
    ? health("Healthy")
    : health("Progressing", "Waiting for the ingress controller to publish an address");
}
