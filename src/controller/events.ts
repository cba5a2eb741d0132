// Kubernetes Events on an Application, so `kubectl describe application` and `kubectl get events`
// tell what Tether did. Recording never blocks or fails a reconcile.
import type { CoreV1Event } from "@kubernetes/client-node";
import type { CoreApi } from "../kube/apis.js";
import type { Application } from "../model/application.js";
import { errorMessage } from "../lib/errormessage.js";
import { EVENT_REPORTING_COMPONENT } from "../model/contract.js";

export type EventType = "Normal" | "Warning";

export interface EventRecorder {
  record(app: Application, type: EventType, reason: string, message: string): void;
}

/** Events written at once; the rest wait in order (client-go's broadcaster writes one at a time). */
export const EVENT_WRITERS = 4;
/** Events waiting beyond this are dropped, oldest first, and the drop is logged (client-go: 1,000). */
export const EVENT_QUEUE_LIMIT = 1_000;

/**
 * Records Events through a small queue, as client-go's EventBroadcaster does: a reconcile never
 * waits for them, and during a sync storm they trail the syncs instead of competing with them
 * for the apiserver.
 */
export function kubeEventRecorder(
  core: Pick<CoreApi, "createNamespacedEvent">,
  log: (line: string) => void,
  clock: () => Date,
  writers = EVENT_WRITERS,
): EventRecorder {
  const queue: { namespace: string; body: CoreV1Event; what: string }[] = [];
  let running = 0;
  let dropped = 0;
  const pump = () => {
    while (running < writers && queue.length > 0) {
      const next = queue.shift();
      if (!next) break;
      running += 1;
      core
        .createNamespacedEvent({ namespace: next.namespace, body: next.body })
        .catch((error: unknown) => log(`could not record event ${next.what}: ${String(error)}`))
        .finally(() => {
          running -= 1;
          pump();
        });
    }
  };
  return {
    record(app, type, reason, message) {
      const now = clock();
      const namespace = app.metadata.namespace ?? "default";
      queue.push({
        namespace,
        what: `${reason} on ${namespace}/${app.metadata.name}`,
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
          reportingComponent: EVENT_REPORTING_COMPONENT,
          reportingInstance: "tether-controller",
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
        },
      });
      if (queue.length > EVENT_QUEUE_LIMIT) {
        queue.shift();
        if (dropped++ % 100 === 0)
          log(`events are written slower than recorded: ${dropped} dropped so far (oldest first)`);
      }
      pump();
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
          log(`event observer failed on ${reason}: ${errorMessage(error)}`);
        }
      }
    },
  };
}
