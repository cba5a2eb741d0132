// The controller's side of the socket: a RenderBackend that sends one render to a renderer process
// and turns every way that can go wrong (no renderer, renderer killed mid-render, no answer in
// time, a reply too large or malformed) into a RenderError with a reason — never an empty result.
// One connection per render (no keep-alive): a Unix-socket connect costs microseconds, and no
// idle connection can be closed by the renderer just as a request is sent on it.
import http from "node:http";
import { RenderError } from "../../errors.js";
import type { RenderBackend } from "../renderer.js";
import type { RenderInput } from "../types.js";
import { MAX_REPLY_BYTES, MAX_REQUEST_BYTES, readReply, RENDER_PATH } from "./protocol.js";

export interface RemoteRendererOptions {
  /** The socket to use (a spawned renderer resolves once it listens). */
  socket: () => Promise<string> | string;
  /** How long a render may take before the controller gives up on the answer. */
  replyTimeoutMs: number;
  /** Why the renderer is gone, when known (e.g. "the renderer process was killed by SIGKILL"). */
  explain?: () => string | undefined;
}

function post(
  socketPath: string,
  body: string,
  timeoutMs: number,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({
      socketPath,
      path: RENDER_PATH,
      method: "POST",
      agent: false,
      headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
    });
    const timer = setTimeout(() => {
      req.destroy(new RenderError("RenderTimeout", `the renderer did not answer within ${timeoutMs} ms`));
    }, timeoutMs);
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      let bytes = 0;
      res.on("data", (chunk: Buffer) => {
        bytes += chunk.length;
        if (bytes > MAX_REPLY_BYTES)
          req.destroy(
            new RenderError("LimitExceeded", `the renderer's reply exceeds ${MAX_REPLY_BYTES} bytes`),
          );
        else chunks.push(chunk);
      });
      res.on("end", () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") });
      });
      res.on("error", () => undefined); // reported through req's error
    });
    req.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    req.end(body);
  });
}

function unavailable(
  socketPath: string,
  error: NodeJS.ErrnoException,
  explain: string | undefined,
): RenderError {
  const lost = error.code === "ECONNRESET" || error.message === "socket hang up";
  const what = lost
    ? "the connection to the renderer was lost during the render"
    : `the renderer at ${socketPath} cannot be reached (${error.code ?? error.message})`;
  const message = `${what}${explain ? `: ${explain}` : ""}; the render is tried again at the next reconcile`;
  return new RenderError("RendererUnavailable", message, { cause: error });
}

/** The renderer was not reached at all (nothing listens): the request was never seen by it. */
export function neverReached(error: unknown): boolean {
  const code = ((error as { cause?: NodeJS.ErrnoException } | null)?.cause ?? {}).code;
  return error instanceof RenderError && (code === "ECONNREFUSED" || code === "ENOENT");
}

export function remoteRenderBackend(options: RemoteRendererOptions): RenderBackend {
  return async (input: RenderInput, stats) => {
    const body = JSON.stringify({ input });
    if (Buffer.byteLength(body) > MAX_REQUEST_BYTES)
      throw new RenderError(
        "LimitExceeded",
        `the render request (source spec and values) exceeds ${MAX_REQUEST_BYTES} bytes`,
      );
    const socketPath = await options.socket();
    let reply: { status: number; text: string };
    try {
      reply = await post(socketPath, body, options.replyTimeoutMs);
    } catch (error) {
      if (error instanceof RenderError) throw error;
      throw unavailable(socketPath, error as NodeJS.ErrnoException, options.explain?.());
    }
    const { work, outcome } = readReply(reply.text, reply.status);
    stats.toolInvocations += work.toolInvocations;
    stats.filesRead += work.filesRead;
    if (outcome instanceof Error) throw outcome;
    return outcome;
  };
}
