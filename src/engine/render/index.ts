// Public API of the render stage: `createRenderer(options).render(input)` → `{ type, objects }`
// or a RenderError (see ../errors.ts for the reason codes).
export { createRenderer, localRenderBackend } from "./renderer.js";
export type { RenderBackend, Renderer } from "./renderer.js";
export { DEFAULT_LIMITS } from "./types.js";
export type {
  RenderedObject,
  RenderInput,
  RenderLimits,
  RendererOptions,
  RenderResult,
  RenderStats,
} from "./types.js";
