// Kubernetes Events on an Application, so `kubectl describe application` and `kubectl get events`
// tell what Tether did. Recording never blocks or fails a reconcile.
import type { CoreApi } from "../kube/apis.js";
import type { Application } from "../model/application.js";

export type EventType = "Normal" | "Warning";

export interface EventRecorder {
  record(app: Application, type: EventType, reason: string, message: string): void;
}

export function kubeEventRecorder(
  core: CoreApi,
  log: (line: string) => void,
  clock: () => Date,
): EventRecorder {
  return {
    record(app, type, reason, message) {
      const now = clock();
      const namespace = app.metadata.namespace ?? "default";
      core
        .createNamespacedEvent({
          namespace,
          body: {
            metadata: { generateName: `${app.metadata.name}.`, namespace },
            involvedObject: {
              apiVersion: app.apiVersion,
              kind: "Application",
              name: app.metadata.name,
              namespace,
              uid: app.metadata.uid,
              resourceVersion: app.metadata.resourceVersion,
            },
            type,
            reason,
            // The Event API caps messages at 1 KiB.
            message: message.length > 1024 ? `${message.slice(0, 1021)}...` : message,
            source: { component: "tether-controller" },
            reportingComponent: "tether.dev/controller",
            reportingInstance: "tether-controller",
            firstTimestamp: now,
            lastTimestamp: now,
            count: 1,
          },
        })
        .catch((error: unknown) =>
          log(`could not record event ${reason} on ${namespace}/${app.metadata.name}: ${String(error)}`),
        );
    },
  };
}

/** Something that learns of every Event recorded (notifications, metrics): one source of truth. */
export type EventObserver = (app: Application, type: EventType, reason: string, message: string) => void;

/**
 * Records through `recorder`, then tells each observer. An observer that throws is logged and
 * ignored: what it does must never fail or delay the reconcile that recorded the Event.
 */
export function observedRecorder(
  recorder: EventRecorder,
  observers: readonly EventObserver[],
  log: (line: string) => void,
): EventRecorder {
  return {
    record(app, type, reason, message) {
      recorder.record(app, type, reason, message);
      for (const observe of observers) {
        try {
          observe(app, type, reason, message);
        } catch (error) {
          log(
            `event observer failed on ${reason}: ${error instanceof Error ? error.message : String(error)}`,
          );
        }
      }
    },
  };
}
