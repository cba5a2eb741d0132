// Pod health, following gitops-engine's getCorev1PodHealth.
import type { HealthStatus } from "../../model/application.js";
import { health } from "./healthStatus.js";
import { conditionsOf, getArray, getNumber, getPath, getString } from "./object.js";
import { type UnstructuredObject } from "../../model/ref.js";

/**
 * A waiting reason that means the container cannot start without someone fixing something:
 * CrashLoopBackOff, ImagePullBackOff, ErrImagePull, CreateContainerConfigError, InvalidImageName
 * (via the "Err"/"Error"/"BackOff" shapes gitops-engine matches, which also cover future reasons).
 */
function isFailingWaitReason(reason: string): boolean {
  return reason.startsWith("Err") || reason.endsWith("Error") || reason.endsWith("BackOff");
}

/** Why a terminated container failed, or "" when it did not (gitops-engine's getFailMessage). */
function failMessage(containerStatus: unknown): string {
  const terminated = getPath(containerStatus, "state", "terminated");
  if (terminated === undefined || terminated === null) return "";
  const message = getString(terminated, "message");
  if (message) return message;
  const reason = getString(terminated, "reason");
  if (reason === "OOMKilled") return reason;
  const exitCode = getNumber(terminated, "exitCode") ?? 0;
  if (exitCode !== 0)
    return `container "${getString(containerStatus, "name")}" failed with exit code ${exitCode}`;
  return "";
}

export function podHealth(obj: UnstructuredObject): HealthStatus {
  // The apiserver always defaults restartPolicy to Always; a manifest read before defaulting may
  // lack it. (gitops-engine reads "" there and reports Unknown for a running pod; we use the default.)
  const restartPolicy = getString(obj, "spec", "restartPolicy") || "Always";
  const statusMessage = getString(obj, "status", "message");
  const containerStatuses = getArray(obj, "status", "containerStatuses");

  // Only for long-running pods: hook pods (Never/OnFailure) may wait on an image that appears later,
  // and marking them Degraded would fail a sync hook prematurely.
  if (restartPolicy === "Always") {
    const messages: string[] = [];
    for (const containerStatus of containerStatuses) {
      const reason = getString(containerStatus, "state", "waiting", "reason");
      if (isFailingWaitReason(reason)) {
        // gitops-engine reports only the waiting message; fall back to the reason so it is never blank.
        const message = getString(containerStatus, "state", "waiting", "message");
        messages.push(message || `container "${getString(containerStatus, "name")}": ${reason}`);
      }
    }
    if (messages.length > 0) return health("Degraded", messages.join(", "));
  }

  switch (getString(obj, "status", "phase")) {
    case "Pending":
      return health("Progressing", statusMessage);
    case "Succeeded":
      return health("Healthy", statusMessage);
    case "Failed": {
      if (statusMessage) return health("Degraded", statusMessage);
      const all = [...getArray(obj, "status", "initContainerStatuses"), ...containerStatuses];
      for (const containerStatus of all) {
        const message = failMessage(containerStatus);
        if (message) return health("Degraded", message);
      }
      return health("Degraded");
    }
    case "Running": {
      if (restartPolicy === "Always") {
        const ready = conditionsOf(obj).some((c) => c.type === "Ready" && c.status === "True");
        if (ready) return health("Healthy", statusMessage);
        // Not ready and a container has terminated before: it is crashing, not starting.
        const crashed = containerStatuses.some((s) => {
          const last = getPath(s, "lastState", "terminated");
          return last !== undefined && last !== null;
        });
        return health(crashed ? "Degraded" : "Progressing", statusMessage);
      }
      // Never/OnFailure pods have a finite life (typically hooks): running means not done yet.
      if (restartPolicy === "OnFailure" || restartPolicy === "Never") {
        return health("Progressing", statusMessage);
      }
      break;
    }
  }
  return health("Unknown", statusMessage);
}
