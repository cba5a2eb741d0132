// Where renders run, chosen once per controller. The cache is always the controller's (a cache hit
// costs no round trip); only uncached renders cross to the renderer.
//   { socket }    a renderer that is already running: in a pod, the `renderer` container
//   "child"       a `tether renderer` child without credentials (the default next to a cluster)
//   "in-process"  this process (the render stage's own tests and benchmarks)
import type { Renderer } from "../renderer.js";
import { createRenderer } from "../renderer.js";
import type { RendererOptions } from "../types.js";
import { resolveLimits } from "../types.js";
import { createRendererChild } from "./child.js";
import { remoteRenderBackend } from "./client.js";

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

export async function startRenderService(
  placement: RenderPlacement,
  options: RendererOptions & { readonly log: (line: string) => void },
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
  const backend = remoteRenderBackend({ socket: () => placement.socket, replyTimeoutMs });
  return { renderer: createRenderer(options, backend), stop: nothingToStop };
}
