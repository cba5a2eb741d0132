// GET /api/v1/stream: server-sent events. First the current apps (`application` events of type
// ADDED) and a `ready` event; then one `application` event per Application change seen by a
// watch (an Informer per connection, so a slow client only ever holds up itself), and a `heartbeat`
// comment-like event every `heartbeatMs` so proxies keep the connection open. Ends cleanly when the
// client goes away or the server closes.
import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import type { KubeClients } from "../kube/client.js";
import type { ResourceClient } from "../kube/resources.js";
import type { Application } from "../model/application.js";
import type { ApplicationEvent } from "./types.js";
import { applicationInformer } from "./appindex.js";
import { summaryOf } from "./views.js";

export interface StreamOptions {
  clients: KubeClients;
  resources: ResourceClient;
  namespace?: string;
  heartbeatMs: number;
  /** Resolves when the server shuts down: every open stream ends then. */
  closing: Promise<void>;
  filter?: (app: Application) => boolean;
}

export function applicationStream(c: Context, options: StreamOptions): Response {
  return streamSSE(c, async (stream) => {
    const queue: ApplicationEvent[] = [];
    let wake: (() => void) | undefined;
    const informer = await applicationInformer(options, (type, object) => {
      const app = object as unknown as Application;
      if (options.filter && !options.filter(app)) return;
      queue.push({ type, application: summaryOf(app) });
      wake?.();
    });
    let done = false;
    const finish = () => {
      done = true;
      wake?.();
    };
    stream.onAbort(finish);
    void options.closing.then(finish);
    const heartbeat = setInterval(() => {
      void stream.writeSSE({ event: "heartbeat", data: new Date().toISOString() }).catch(finish);
    }, options.heartbeatMs);
    try {
      await informer.start();
      // The initial list arrives as ADDED events, then `ready`: what follows are changes.
      for (let next = queue.shift(); next; next = queue.shift()) {
        await stream.writeSSE({ event: "application", data: JSON.stringify(next) });
      }
      await stream.writeSSE({ event: "ready", data: "{}" });
      while (!done) {
        const next = queue.shift();
        if (next) {
          await stream.writeSSE({ event: "application", data: JSON.stringify(next) });
          continue;
        }
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
    } finally {
      clearInterval(heartbeat);
      informer.stop();
      await stream.close();
    }
  });
}
