// Template rendering without code execution: every `{{ name }}` in a string leaf is replaced by the
// parameter's value, inserted as text (never parsed again as YAML or as a template). An unknown
// parameter is an error naming the template field. Pure.
import { ApplicationSetError } from "./errors.js";
import type { Params } from "./params.js";

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;

/** Replaces the placeholders of one string; `lenient` leaves unknown ones as they are. */
export function substitute(text: string, params: Params, where: string, lenient = false): string {
  return text.replace(PLACEHOLDER, (whole, name: string) => {
    if (Object.hasOwn(params, name)) return params[name] as string;
    if (lenient) return whole;
    throw new ApplicationSetError("TemplateError", where, `unknown parameter "${name}" in "${text}"`);
  });
}

/** Renders every string leaf of `value` (keys are kept as written). */
export function renderValue<T>(value: T, params: Params, where: string, lenient = false): T {
  const walk = (v: unknown, at: string): unknown => {
    if (typeof v === "string") return substitute(v, params, at, lenient);
    if (Array.isArray(v)) return v.map((item, i) => walk(item, `${at}[${i}]`));
    if (v !== null && typeof v === "object")
      return Object.fromEntries(Object.entries(v).map(([k, child]) => [k, walk(child, `${at}.${k}`)]));
    return v;
  };
  return walk(value, where) as T;
}

/** Deep merge for generator-level templates: objects merge, anything else in `over` wins. */
export function mergeTemplates<T>(base: T, over: unknown): T {
  if (over === undefined) return base;
  const isObject = (v: unknown): v is Record<string, unknown> =>
    v !== null && typeof v === "object" && !Array.isArray(v);
  if (!isObject(base) || !isObject(over)) return over as T;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over))
    out[key] = key in out ? mergeTemplates(out[key], value) : value;
  return out as T;
}
