// The renderer's side of the socket: HTTP over a Unix socket (node:http, no new dependency), one
// `POST /render` per uncached render. It renders with the local backend and answers the result or
// the RenderError as a value; it never caches (the controller does) and never decides anything.
import fs from "node:fs/promises";
import http from "node:http";
import { isTetherError } from "../../errors.js";
import type { RenderBackend } from "../renderer.js";
import type { RenderInput, RenderStats } from "../types.js";
import type { RenderReply } from "./protocol.js";
import { MAX_REQUEST_BYTES, RENDER_PATH } from "./protocol.js";
import { errorMessage } from "../../../lib/errormessage.js";

export interface RendererServer {
  readonly socketPath: string;
  close(): Promise<void>;
}

class BadRequest extends Error {}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    req.on("data", (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > MAX_REQUEST_BYTES) {
        reject(new BadRequest(`request over ${MAX_REQUEST_BYTES} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

/** Enough shape to render; the render stage checks the rest as it does in-process. */
function renderInput(body: string): RenderInput {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new BadRequest("request is not JSON");
  }
  const input = (parsed as { input?: unknown } | null)?.input as Record<string, unknown> | undefined;
  if (
    typeof input !== "object" ||
    input === null ||
    typeof input["repoRoot"] !== "string" ||
    typeof input["commit"] !== "string" ||
    typeof input["namespace"] !== "string" ||
    typeof input["source"] !== "object" ||
    input["source"] === null
  )
    throw new BadRequest("request has no render input (repoRoot, commit, namespace, source)");
  return input as unknown as RenderInput;
}

async function answer(backend: RenderBackend, input: RenderInput): Promise<RenderReply> {
  const stats: RenderStats = { renders: 0, cacheHits: 0, toolInvocations: 0, filesRead: 0 };
  const work = () => ({ toolInvocations: stats.toolInvocations, filesRead: stats.filesRead });
  try {
    const result = await backend(input, stats);
    return { ok: true, result, work: work() };
  } catch (error) {
    const message = errorMessage(error);
    const reason = isTetherError(error) ? error.reason : undefined;
    return { ok: false, error: { reason, message }, work: work() };
  }
}

/** A socket file left by an earlier run is replaced; anything else at the path is refused. */
async function clearStaleSocket(socketPath: string): Promise<void> {
  const stat = await fs.lstat(socketPath).catch(() => undefined);
  if (!stat) return;
  if (!stat.isSocket()) throw new Error(`${socketPath} exists and is not a socket`);
  await fs.rm(socketPath);
}

export async function serveRenderer(options: {
  socketPath: string;
  backend: RenderBackend;
  log: (line: string) => void;
}): Promise<RendererServer> {
  const { socketPath, backend, log } = options;
  const server = http.createServer((req, res) => {
    const reply = (status: number, body: unknown) =>
      res
        .writeHead(status, { "content-type": "application/json", connection: "close" })
        .end(JSON.stringify(body));
    if (req.method !== "POST" || req.url !== RENDER_PATH) {
      reply(404, { ok: false, error: { message: `no route ${req.method ?? ""} ${req.url ?? ""}` } });
      return;
    }
    readBody(req)
      .then((body) => answer(backend, renderInput(body)))
      .then(
        (body) => reply(200, body),
        (error: unknown) => {
          const message = errorMessage(error);
          if (!(error instanceof BadRequest)) log(`render request failed: ${message}`);
          reply(400, { ok: false, error: { message: `renderer: ${message}` } });
        },
      );
  });
  await clearStaleSocket(socketPath);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(socketPath, () => resolve());
  });
  // Who may connect is decided by the folder the socket is in (a private folder next to a local
  // controller; in a pod an emptyDir only the controller and renderer containers mount), so the
  // controller can connect even when it runs under another uid than the renderer.
  await fs.chmod(socketPath, 0o666);
  return {
    socketPath,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
