// Where renders run, chosen once per controller. The cache is always the controller's (a cache hit
// costs no round trip); only uncached renders cross to the renderer.
//   { socket }    a renderer that is already running: in a pod, the `renderer` container
//   "child"       a `tether renderer` child without credentials (the default next to a cluster)
//   "in-process"  this process (the render stage's own tests and benchmarks)
import { setTimeout as delay } from "node:timers/promises";
import type { RenderBackend, Renderer } from "../renderer.js";
import { createRenderer } from "../renderer.js";
import type { RendererOptions } from "../types.js";
import { resolveLimits } from "../types.js";
import { createRendererChild } from "./child.js";
import { neverReached, remoteRenderBackend } from "./client.js";

export type RenderPlacement = "child" | "in-process" | { readonly socket: string };

export interface RenderService {
  readonly renderer: Renderer;
  /** Where trees must be extracted for the renderer to read them (unset: the source cache's default). */
  readonly treesDir?: string;
  /** The child renderer's pid while one runs (tests). */
  readonly pid?: () => number | undefined;
  stop(): Promise<void>;
}

/** A renderer that runs out its own time limit answers before the controller gives up on it. */
const REPLY_GRACE_MS = 15_000;
/** How long a render waits for a renderer socket that nothing listens on (yet). */
const SOCKET_WAIT_MS = 30_000;

export async function startRenderService(
  placement: RenderPlacement,
  options: RendererOptions & {
    readonly log: (line: string) => void;
    /** Where a child renderer's workspace is created (default: the system temp folder). */
    readonly parentDir?: string;
  },
): Promise<RenderService> {
  const replyTimeoutMs = resolveLimits(options.limits).timeoutMs + REPLY_GRACE_MS;
  const nothingToStop = () => Promise.resolve();
  if (placement === "in-process") return { renderer: createRenderer(options), stop: nothingToStop };
  if (placement === "child") {
    const child = await createRendererChild({ ...options, replyTimeoutMs });
    return {
      renderer: createRenderer(options, child.backend),
      treesDir: child.treesDir,
      pid: () => child.pid(),
      stop: () => child.stop(),
    };
  }
  const remote = remoteRenderBackend({ socket: () => placement.socket, replyTimeoutMs });
  // The renderer container starts beside the controller and restarts on its own: a render that
  // finds no one listening waits for it a while rather than failing the app at every pod start.
  const backend: RenderBackend = async (input, stats) => {
    const deadline = Date.now() + SOCKET_WAIT_MS;
    for (let pause = 100; ; pause = Math.min(pause * 2, 2_000)) {
      try {
        return await remote(input, stats);
      } catch (error) {
        if (!neverReached(error) || Date.now() + pause > deadline) throw error;
        await delay(pause);
      }
    }
  };
  return { renderer: createRenderer(options, backend), stop: nothingToStop };
}
