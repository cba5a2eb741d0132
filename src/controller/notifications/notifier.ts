// Notifications derived from the Events the reconcile records (one source of truth): the controller
// brackets each reconcile with begin/end; the Events recorded in between are buffered and, when the
// reconcile ends, read against the app as it left it (the new revision, its author and message),
// deduplicated, matched to targets and queued for delivery. `end` only queues: config loading and
// sending run later, off the reconcile's path.
import type { Application } from "../../model/application.js";
import type { EventType } from "../events.js";
import { DEFAULT_TEMPLATES } from "./config.js";
import type { DeliveryQueue } from "./delivery.js";
import { buildPayload } from "./payload.js";
import type { ConfigSource } from "./source.js";
import { TRIGGER_OF_REASON, TransitionDedupe, targetsFor } from "./triggers.js";
import { revisionOf, templateValues } from "./values.js";
import { errorMessage } from "../../lib/errormessage.js";

interface Recorded {
  readonly app: Application;
  readonly reason: string;
  readonly message: string;
}

export interface NotifierStats {
  /** Trigger Events seen. */
  readonly events: number;
  /** Of those, repeats of a transition already notified. */
  readonly suppressed: number;
  /** Messages handed to the delivery queue. */
  readonly queued: number;
}

export interface NotifierOptions {
  readonly source: ConfigSource;
  readonly queue: DeliveryQueue;
  /** The app as the controller knows it now (after the reconcile's status write). */
  readonly current: (key: string) => Application | undefined;
  readonly clock: () => Date;
  readonly log: (line: string) => void;
}

const keyOf = (app: Application) => `${app.metadata.namespace ?? ""}/${app.metadata.name}`;

export class Notifier {
  private readonly active = new Set<string>();
  private readonly buffered = new Map<string, Recorded[]>();
  private readonly dedupe = new TransitionDedupe();
  private work: Promise<void> = Promise.resolve();
  private counts = { events: 0, suppressed: 0, queued: 0 };

  constructor(private readonly options: NotifierOptions) {}

  get stats(): NotifierStats {
    return { ...this.counts };
  }

  /** A reconcile of `key` starts: its Events wait for `end`. */
  begin(key: string): void {
    this.active.add(key);
  }

  /** An Event was recorded (the EventRecorder's observer). Never throws, never waits. */
  observe(app: Application, _type: EventType, reason: string, message: string): void {
    const key = keyOf(app);
    const list = this.buffered.get(key) ?? [];
    list.push({ app, reason, message });
    this.buffered.set(key, list);
    if (!this.active.has(key)) this.end(key);
  }

  /** The reconcile of `key` ended (either way): turn its Events into queued messages. */
  end(key: string): void {
    // Called in the reconcile's `finally`: a bug here must never become the reconcile's error.
    try {
      this.flush(key);
    } catch (error) {
      this.options.log(`notifications: ${key}: ${errorMessage(error)}`);
    }
  }

  private flush(key: string): void {
    this.active.delete(key);
    const list = this.buffered.get(key);
    this.buffered.delete(key);
    const current = this.options.current(key);
    if (!current) this.dedupe.forget(key);
    for (const recorded of list ?? []) {
      // One transition that cannot be rendered (an app of a shape no template foresaw) is logged;
      // the transitions after it are still delivered.
      try {
        this.deliver(key, current ?? recorded.app, recorded);
      } catch (error) {
        this.options.log(
          `notifications: ${key}: ${recorded.reason} skipped: ${this.options.source.redact(errorMessage(error))}`,
        );
      }
    }
  }

  private deliver(key: string, app: Application, recorded: { reason: string; message: string }): void {
    const trigger = TRIGGER_OF_REASON[recorded.reason];
    if (trigger) this.counts.events += 1;
    const fresh = this.dedupe.observe(key, recorded.reason, revisionOf(app, trigger));
    if (!fresh) {
      if (trigger) this.counts.suppressed += 1;
      return;
    }
    const values = templateValues(app, fresh, recorded.message);
    const labels = app.metadata.labels ?? {};
    const annotations = app.metadata.annotations ?? {};
    // Serialized: messages leave in the order their transitions happened.
    this.work = this.work
      .then(async () => {
        const { config, targets } = await this.options.source.load();
        const template = config.templates[fresh] ?? DEFAULT_TEMPLATES[fresh];
        for (const name of targetsFor(config, fresh, { labels, annotations })) {
          const target = targets.get(name);
          if (!target) continue;
          const body = JSON.stringify(buildPayload(target.type, template, values, this.options.clock()));
          this.counts.queued += 1;
          this.options.queue.enqueue({
            target: name,
            url: target.url,
            headers: target.headers,
            body,
            timeoutMs: target.timeoutMs,
            maxAttempts: target.maxAttempts,
            what: `${fresh} ${key}`,
          });
        }
      })
      .catch((error: unknown) =>
        this.options.log(`notifications: ${this.options.source.redact(errorMessage(error))}`),
      );
  }

  /** Resolves when every transition so far is queued and every queued message has finished. */
  async idle(): Promise<void> {
    await this.work;
    await this.options.queue.idle();
  }

  stop(): void {
    this.options.queue.stop();
  }
}
