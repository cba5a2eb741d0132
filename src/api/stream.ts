// GET /api/v1/stream: server-sent events. First the current apps (`application` events of type
// ADDED) and a `ready` event; then one `application` event per Application change seen by a
// watch (an Informer per connection, so a slow client only ever holds up itself), and a `heartbeat`
// comment-like event every `heartbeatMs` so proxies keep the connection open. Ends cleanly when the
// client goes away or the server closes.
//
// A stream lives as long as its credential: the caller's credential is checked again whenever this
// process revokes one (logout, token revoked, password changed; no event is written while that
// check runs) and every `recheckMs` (revocations on other replicas, expiry, RBAC changes). Once it
// no longer passes, a `revoked` event is sent and the stream ends; what each event may show is
// decided with the RBAC policy of that last check.
import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import type { KubeClients } from "../kube/client.js";
import type { ResourceClient } from "../kube/resources.js";
import type { Application } from "../model/application.js";
import type { RequestAuth } from "./authn.js";
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
  /** Which apps the caller may see, by the caller's current rights (no auth: every app). */
  visible: (app: Application, auth: RequestAuth | undefined) => boolean;
  /** The caller's credential, re-checked while the stream is open; undefined when auth is off. */
  auth?: {
    readonly current: RequestAuth;
    /** Subscribes to this process's revocations; returns the unsubscribe. */
    readonly onRevoked: (listener: () => void) => () => void;
    readonly recheckMs: number;
  };
}

export function applicationStream(c: Context, options: StreamOptions): Response {
  return streamSSE(c, async (stream) => {
    const queue: { type: ApplicationEvent["type"]; app: Application }[] = [];
    let wake: (() => void) | undefined;
    let done = false;
    const finish = () => {
      done = true;
      wake?.();
    };
    let auth = options.auth?.current;
    let revoked = false;
    // One check at a time; writers wait for it, so nothing is delivered once a revocation is known.
    let checking: Promise<void> | undefined;
    const recheck = () => {
      const current = auth;
      if (!current || checking) return;
      checking = current
        .recheck()
        .catch(() => undefined) // cannot tell: fail closed (the client reconnects and logs in again)
        .then((fresh) => {
          checking = undefined;
          if (fresh) auth = fresh;
          else {
            revoked = true;
            finish();
          }
        });
    };
    const unsubscribe = options.auth?.onRevoked(recheck);
    const recheckTimer = options.auth ? setInterval(recheck, options.auth.recheckMs) : undefined;
    const informer = await applicationInformer(options, (type, object) => {
      queue.push({ type, app: object as unknown as Application });
      wake?.();
    });
    const deliver = async (next: { type: ApplicationEvent["type"]; app: Application }) => {
      if (checking) await checking;
      if (done || !options.visible(next.app, auth)) return;
      const event: ApplicationEvent = { type: next.type, application: summaryOf(next.app) };
      await stream.writeSSE({ event: "application", data: JSON.stringify(event) });
    };
    stream.onAbort(finish);
    void options.closing.then(finish);
    const heartbeat = setInterval(() => {
      void stream.writeSSE({ event: "heartbeat", data: new Date().toISOString() }).catch(finish);
    }, options.heartbeatMs);
    try {
      await informer.start();
      // The initial list arrives as ADDED events, then `ready`: what follows are changes.
      for (let next = queue.shift(); next && !done; next = queue.shift()) await deliver(next);
      if (checking) await checking;
      if (!done) await stream.writeSSE({ event: "ready", data: "{}" });
      while (!done) {
        const next = queue.shift();
        if (next) {
          await deliver(next);
          continue;
        }
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
      if (revoked) {
        await stream
          .writeSSE({
            event: "revoked",
            data: JSON.stringify({
              message: "the credential of this stream was revoked or has expired: log in again",
            }),
          })
          .catch(() => undefined);
      }
    } finally {
      clearInterval(heartbeat);
      if (recheckTimer) clearInterval(recheckTimer);
      unsubscribe?.();
      informer.stop();
      await stream.close();
    }
  });
}
