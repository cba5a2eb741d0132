// Kubernetes Events on an Application, so `kubectl describe application` and `kubectl get events`
// tell what Tether did. Recording never blocks or fails a reconcile.
import type { CoreV1Event } from "@kubernetes/client-node";
import type { CoreApi } from "../kube/apis.js";
import type { Application } from "../model/application.js";
import { errorStatus } from "../kube/client.js";
import { CORRELATOR_CACHE_SIZE, EventCorrelator, LruMap } from "./eventcorrelator.js";
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

/** One Event object as this recorder knows it: what repeats of it have added since. */
interface Folded {
  readonly key: string;
  readonly namespace: string;
  readonly body: CoreV1Event;
  count: number;
  lastTimestamp: Date;
  message: string;
  /** Its name once created. */
  name?: string;
  /** A write of it waits in the queue (it reads the counts above when it is sent). */
  queued: boolean;
  /** A write of it is in flight; repeats meanwhile are written after it. */
  busy: boolean;
  dirty: boolean;
}

type Write = { readonly kind: "create" | "patch"; readonly event: Folded };

/**
 * Records Events through a small queue, as client-go's EventBroadcaster does: a reconcile never
 * waits for them, and during a sync storm they trail the syncs instead of competing with them
 * for the apiserver. Repeats fold as client-go's EventCorrelator folds them (eventcorrelator.ts):
 * one Event object whose count and lastTimestamp grow, patched at most once per write slot, so a
 * flapping app cannot flood etcd.
 */
export function kubeEventRecorder(
  core: Pick<CoreApi, "createNamespacedEvent" | "patchNamespacedEvent">,
  log: (line: string) => void,
  clock: () => Date,
  writers = EVENT_WRITERS,
): EventRecorder {
  const queue: Write[] = [];
  const correlator = new EventCorrelator();
  const folded = new LruMap<Folded>(CORRELATOR_CACHE_SIZE);
  let running = 0;
  let dropped = 0;
  const enqueue = (kind: Write["kind"], event: Folded) => {
    event.queued = true;
    queue.push({ kind, event });
    if (queue.length > EVENT_QUEUE_LIMIT) {
      const oldest = queue.shift();
      if (oldest) forgetQueued(oldest);
      if (dropped++ % 100 === 0)
        log(`events are written slower than recorded: ${dropped} dropped so far (oldest first)`);
    }
  };
  // A dropped create is forgotten (a repeat creates it again); a dropped patch waits for the next.
  const forgetQueued = ({ kind, event }: Write) => {
    event.queued = false;
    if (kind === "create" && folded.get(event.key) === event) folded.delete(event.key);
  };
  const what = (event: Folded) =>
    `${event.body.reason} on ${event.namespace}/${event.body.involvedObject.name}`;
  const send = async ({ kind, event }: Write): Promise<void> => {
    event.queued = false;
    event.busy = true;
    const counts = { count: event.count, lastTimestamp: event.lastTimestamp, message: event.message };
    try {
      if (kind === "patch" && event.name) {
        try {
          await core.patchNamespacedEvent({ namespace: event.namespace, name: event.name, body: counts });
          return;
        } catch (error) {
          // Expired (Events live an hour) or deleted: written anew with its count.
          if (errorStatus(error) !== 404) throw error;
        }
      }
      const created = await core.createNamespacedEvent({
        namespace: event.namespace,
        body: { ...event.body, ...counts },
      });
      event.name = created.metadata?.name;
    } catch (error) {
      log(`could not record event ${what(event)}: ${String(error)}`);
      if (!event.name && folded.get(event.key) === event) folded.delete(event.key);
    } finally {
      event.busy = false;
      if (event.dirty && event.name && !event.queued) enqueue("patch", event);
      event.dirty = false;
    }
  };
  const pump = () => {
    while (running < writers && queue.length > 0) {
      const next = queue.shift();
      if (!next) break;
      running += 1;
      void send(next).finally(() => {
        running -= 1;
        pump();
      });
    }
  };
  return {
    record(app, type, reason, message) {
      const now = clock();
      const namespace = app.metadata.namespace ?? "default";
      const name = app.metadata.name;
      const correlated = correlator.correlate(
        { namespace, name, uid: app.metadata.uid, type, reason },
        message,
        now.getTime(),
      );
      // The Event API caps messages at 1 KiB.
      const text = capMessage(correlated.message);
      const seen = folded.get(correlated.key);
      if (seen) {
        seen.count += 1;
        seen.lastTimestamp = now;
        seen.message = text;
        if (seen.queued) return;
        if (seen.busy || !seen.name) seen.dirty = true;
        else enqueue("patch", seen);
        return pump();
      }
      const event: Folded = {
        key: correlated.key,
        namespace,
        count: 1,
        lastTimestamp: now,
        message: text,
        queued: false,
        busy: false,
        dirty: false,
        body: {
          metadata: { generateName: `${name}.`, namespace },
          involvedObject: {
            apiVersion: app.apiVersion,
            kind: "Application",
            name,
            namespace,
            uid: app.metadata.uid,
            resourceVersion: app.metadata.resourceVersion,
          },
          type,
          reason,
          message: text,
          source: { component: "tether-controller" },
          reportingComponent: EVENT_REPORTING_COMPONENT,
          reportingInstance: "tether-controller",
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
        },
      };
      folded.set(correlated.key, event);
      enqueue("create", event);
      pump();
    },
  };
}

function capMessage(message: string): string {
  return message.length > 1024 ? `${message.slice(0, 1021)}...` : message;
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
