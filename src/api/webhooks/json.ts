// Reading a forge's JSON payload defensively: every field is checked for the type we rely on, and
// a missing or wrong one is a 400 that names the field by its dotted path.
import { nestingMessage, parseJsonBounded } from "../../engine/nesting.js";
import { WebhookError } from "./errors.js";

export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function parseJsonObject(body: Buffer | string, what: string): JsonObject {
  let parsed: ReturnType<typeof parseJsonBounded>;
  try {
    parsed = parseJsonBounded(typeof body === "string" ? body : body.toString("utf8"));
  } catch (error) {
    throw new WebhookError(400, `${what}: the body is not valid JSON`, { cause: error });
  }
  // No forge nests a payload anywhere near the limit; a body that does is refused before any
  // code walks it.
  if (parsed.problem) throw new WebhookError(400, `${what}: the body has ${nestingMessage(parsed.problem)}`);
  const value = parsed.value;
  if (!isObject(value)) throw new WebhookError(400, `${what}: the body is not a JSON object`);
  return value;
}

/** The value at a dotted path, or undefined when any step is missing or not an object. */
export function at(root: unknown, path: string): unknown {
  let current: unknown = root;
  for (const key of path.split(".")) {
    if (!isObject(current)) return undefined;
    current = current[key];
  }
  return current;
}

/** A non-empty string at path; absent/null is undefined, any other type is a 400. */
export function optionalString(root: unknown, path: string, what: string): string | undefined {
  const value = at(root, path);
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value !== "string") throw new WebhookError(400, `${what}: field "${path}" is not a string`);
  return value;
}

export function requiredString(root: unknown, path: string, what: string): string {
  const value = optionalString(root, path, what);
  if (value === undefined) throw new WebhookError(400, `${what}: field "${path}" is missing`);
  return value;
}

const OBJECT_ID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/i;

/** A full commit id (SHA-1 or SHA-256 repositories), lowercased. */
export function requiredSha(root: unknown, path: string, what: string): string {
  const value = requiredString(root, path, what);
  if (!OBJECT_ID.test(value)) throw new WebhookError(400, `${what}: field "${path}" is not a commit id`);
  return value.toLowerCase();
}

/** The first string of each path that is set, in order, without duplicates. */
export function strings(root: unknown, paths: readonly string[], what: string): string[] {
  const found: string[] = [];
  for (const path of paths) {
    const value = optionalString(root, path, what);
    if (value !== undefined && !found.includes(value)) found.push(value);
  }
  return found;
}
