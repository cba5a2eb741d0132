// One watch request: GET <collection>?watch=true, one JSON event per line, until the server ends
// it, the connection breaks or the caller aborts. `done` is called exactly once: with undefined
// when the server ended the watch, with the error otherwise (an HTTP refusal carries statusCode,
// so the informer can tell 410 Gone from an outage). Aborting by the caller calls nothing.
import http from "node:http";
import https from "node:https";
import { createInterface } from "node:readline";
import type { KubeConfig } from "./connection.js";

export type WatchHandler = (type: string, object: Record<string, unknown> & { code?: number }) => void;

export class WatchError extends Error {
  override readonly name = "WatchError";
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

export async function watch(
  config: KubeConfig,
  collection: string,
  query: Record<string, string | number | boolean | undefined>,
  onEvent: WatchHandler,
  done: (error: unknown) => void,
  /** Unref the connection: a watch that must not keep the process alive by itself. */
  options: { unref?: boolean } = {},
): Promise<AbortController> {
  const cluster = config.getCurrentCluster();
  if (!cluster) throw new Error("the kubeconfig has no current cluster");
  const url = new URL(cluster.server + collection);
  url.searchParams.set("watch", "true");
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== "") url.searchParams.set(key, String(value));
  }
  const controller = new AbortController();
  const requestOptions: https.RequestOptions = {
    method: "GET",
    headers: { accept: "application/json" },
    signal: controller.signal,
  };
  let finished = false;
  const finish = (error: unknown) => {
    if (finished) return;
    finished = true;
    if (!controller.signal.aborted) controller.abort();
    done(error);
  };
  controller.signal.addEventListener("abort", () => (finished = true), { once: true });
  try {
    await config.applyToHTTPSOptions(requestOptions);
  } catch (error) {
    finish(error);
    return controller;
  }
  const request = (url.protocol === "http:" ? http : https).request(url, requestOptions, (response) => {
    const status = response.statusCode ?? 0;
    if (status !== 200) {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("error", () => undefined);
      response.on("end", () => {
        let message = Buffer.concat(chunks).toString("utf8").slice(0, 2000);
        try {
          message = (JSON.parse(message) as { message?: string }).message ?? message;
        } catch {
          // not a Status object: keep the text
        }
        finish(
          new WatchError(
            status,
            `watch ${collection}: ${status} ${message || http.STATUS_CODES[status] || ""}`,
          ),
        );
      });
      return;
    }
    response.socket.setKeepAlive(true, 30_000);
    const lines = createInterface({ input: response, crlfDelay: Infinity });
    lines.on("line", (line) => {
      if (finished || line === "") return;
      let event: { type?: string; object?: Record<string, unknown> & { code?: number } };
      try {
        event = JSON.parse(line) as typeof event;
      } catch {
        return; // a torn line at a dropped connection: the informer resumes from the last good event
      }
      if (event.type && event.object) onEvent(event.type, event.object);
    });
    // readline re-emits the response's errors (a reset, our own abort): without a listener they would throw.
    lines.on("error", (error) => finish(error));
    response.on("error", (error) => finish(error));
    response.on("aborted", () => finish(new Error(`watch ${collection}: connection aborted`)));
    lines.on("close", () => finish(undefined));
  });
  if (options.unref) request.on("socket", (socket) => socket.unref());
  request.on("error", (error) => finish(error));
  request.end();
  return controller;
}
