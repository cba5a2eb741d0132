// What crosses the socket between the controller and a renderer process: one HTTP `POST /render`
// per uncached render, JSON both ways. The renderer is the side that reads hostile repositories,
// so the controller trusts nothing in a reply: it is size-capped, and its shape and error reason
// are checked before anything reaches the reconcile (a malformed reply is a RenderError, never a
// crash and never an empty render).
import type { ErrorReason } from "../../errors.js";
import { RenderError } from "../../errors.js";
import { MAX_NESTING_DEPTH, nestingMessage, parseJsonBounded } from "../../nesting.js";
import type { RenderInput, RenderResult, RenderStats } from "../types.js";

export const RENDER_PATH = "/render";

/** A request holds the source spec (inline Helm values included) and the age identities: small. */
export const MAX_REQUEST_BYTES = 8 * 1024 * 1024;
/** Manifests are capped by the render limit (64 MiB by default); JSON adds quoting, not much more. */
export const MAX_REPLY_BYTES = 256 * 1024 * 1024;

export interface RenderRequest {
  readonly input: RenderInput;
}

/** Work done for one render, added to the controller's counters. */
export type RenderWork = Pick<RenderStats, "toolInvocations" | "filesRead">;

export type RenderReply =
  | { readonly ok: true; readonly result: RenderResult; readonly work: RenderWork }
  | {
      readonly ok: false;
      /** No reason: a failure that was not a RenderError (the controller reports it as such). */
      readonly error: { readonly reason?: ErrorReason; readonly message: string };
      readonly work: RenderWork;
    };

/**
 * How deep a reply may nest: rendered objects are bounded by the manifest parser's limit, and the
 * reply wraps each in a few levels (`result.objects[i].object`). Deeper can only come from a
 * renderer that is not Tether's any more, and would overflow the stack in deepFreeze (renderer.ts).
 */
const MAX_REPLY_NESTING = MAX_NESTING_DEPTH + 8;

/** Reasons a renderer may answer with; anything else is reported as a broken reply. */
const RENDER_REASONS: ReadonlySet<string> = new Set<ErrorReason>([
  "PathOutsideRepository",
  "PathNotFound",
  "InvalidManifest",
  "LimitExceeded",
  "RenderTimeout",
  "KustomizeFailed",
  "RemoteBaseRefused",
  "HelmFailed",
  "DecryptionFailed",
  "RendererUnavailable",
]);
const SOURCE_TYPES: ReadonlySet<string> = new Set(["Directory", "Kustomize", "Helm"]);

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const count = (value: unknown): number =>
  typeof value === "number" && Number.isSafeInteger(value) && value >= 0 ? value : 0;

function broken(what: string): RenderError {
  return new RenderError("RendererUnavailable", `the renderer sent a malformed reply: ${what}`);
}

function checkObjects(objects: unknown): RenderResult["objects"] {
  if (!Array.isArray(objects)) throw broken("objects is not a list");
  objects.forEach((entry: unknown, i) => {
    if (!isRecord(entry) || typeof entry["sourceFile"] !== "string") throw broken(`objects[${i}]`);
    const object = entry["object"];
    if (
      !isRecord(object) ||
      typeof object["apiVersion"] !== "string" ||
      typeof object["kind"] !== "string" ||
      !isRecord(object["metadata"])
    )
      throw broken(`objects[${i}].object is not a Kubernetes object`);
    if (entry["line"] !== undefined && typeof entry["line"] !== "number") throw broken(`objects[${i}].line`);
  });
  return objects as RenderResult["objects"];
}

/**
 * A reply as a value: the result, or the RenderError it carries (reason and message as the
 * renderer made them, so a status condition reads the same as with an in-process render), or — for
 * a failure that was not a RenderError (an I/O error) — a plain Error with the renderer's message.
 */
export function decodeReply(reply: unknown): { work: RenderWork; outcome: RenderResult | Error } {
  if (!isRecord(reply)) throw broken("not a JSON object");
  const spent = isRecord(reply["work"]) ? reply["work"] : {};
  const work = { toolInvocations: count(spent["toolInvocations"]), filesRead: count(spent["filesRead"]) };
  if (reply["ok"] === false) {
    const error = reply["error"];
    if (!isRecord(error) || typeof error["message"] !== "string") throw broken("an error without a message");
    const reason = error["reason"];
    if (reason === undefined) return { work, outcome: new Error(error["message"]) };
    if (typeof reason !== "string" || !RENDER_REASONS.has(reason))
      throw broken(
        `unknown reason ${typeof reason === "string" ? JSON.stringify(reason.slice(0, 64)) : typeof reason}`,
      );
    return { work, outcome: new RenderError(reason as ErrorReason, error["message"]) };
  }
  const result = reply["result"];
  if (reply["ok"] !== true || !isRecord(result)) throw broken("no result");
  if (typeof result["type"] !== "string" || !SOURCE_TYPES.has(result["type"]))
    throw broken("unknown source type");
  const type = result["type"] as RenderResult["type"];
  return { work, outcome: { type, objects: checkObjects(result["objects"]) } };
}

/**
 * The reply's text (HTTP `status`) as decodeReply's value: parsed by parseJsonBounded, so a reply
 * nested 100,000 deep is a named RenderError, not a stack overflow in whatever walks it next.
 */
export function readReply(text: string, status: number): ReturnType<typeof decodeReply> {
  let parsed: ReturnType<typeof parseJsonBounded>;
  try {
    parsed = parseJsonBounded(text, MAX_REPLY_NESTING);
  } catch {
    throw new RenderError(
      "RendererUnavailable",
      `the renderer answered HTTP ${status} with a reply that is not JSON`,
    );
  }
  if (parsed.problem) throw broken(nestingMessage(parsed.problem, MAX_REPLY_NESTING));
  return decodeReply(parsed.value);
}
