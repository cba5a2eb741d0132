// Parameter sets: flat string maps, as Argo CD builds them for non-Go templates. Nested values are
// flattened with dots (`cluster.region`, `list.0`), scalars become their text. Pure.
import type { LabelSelector } from "../../model/applicationset.js";

export type Params = Readonly<Record<string, string>>;

/** Flattens a parsed JSON/YAML value into dotted keys (`a.b.c`, arrays as `a.0`). */
export function flattenParams(
  value: unknown,
  prefix = "",
  out: Record<string, string> = {},
): Record<string, string> {
  if (value !== null && typeof value === "object") {
    const entries = Array.isArray(value)
      ? value.map((v, i) => [String(i), v] as const)
      : Object.entries(value);
    for (const [key, child] of entries) flattenParams(child, prefix ? `${prefix}.${key}` : key, out);
    return out;
  }
  if (prefix)
    out[prefix] =
      value === null || value === undefined ? "" : typeof value === "string" ? value : JSON.stringify(value);
  return out;
}

/** Argo CD's SanitizeName: lower case, DNS characters only, no leading or trailing `-`/`.`. */
export function normalizeName(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^-a-z0-9.]/g, "-")
    .slice(0, 253)
    .replace(/^[-.]+|[-.]+$/g, "");
}

/** The path parameters of the Git generators: `path`, `path.basename`, `path[n]`, … */
export function pathParams(dir: string, prefix: string | undefined, file?: string): Record<string, string> {
  const name = prefix ? `${prefix}.path` : "path";
  const base = dir === "" || dir === "." ? "." : (dir.split("/").pop() ?? dir);
  const out: Record<string, string> = {
    [name]: dir === "" ? "." : dir,
    [`${name}.basename`]: base,
    [`${name}.basenameNormalized`]: normalizeName(base),
  };
  if (file !== undefined) {
    const filename = file.split("/").pop() ?? file;
    out[`${name}.filename`] = filename;
    out[`${name}.filenameNormalized`] = normalizeName(filename);
  }
  dir.split("/").forEach((segment, i) => {
    if (segment) out[`${name}[${i}]`] = segment;
  });
  return out;
}

/** Matrix: the union of two sets; the same key with two different values is an error (as Argo CD). */
export function combineParams(a: Params, b: Params): Params | { conflict: string } {
  const out: Record<string, string> = { ...a };
  for (const [key, value] of Object.entries(b)) {
    if (key in out && out[key] !== value)
      return { conflict: `parameter "${key}" has two values: "${out[key]}" and "${value}"` };
    out[key] = value;
  }
  return out;
}

/** Whether labels (or parameters, read as labels) match a Kubernetes label selector. */
export function matchesSelector(
  labels: Readonly<Record<string, string>>,
  selector: LabelSelector | undefined,
): boolean {
  for (const [key, value] of Object.entries(selector?.matchLabels ?? {}))
    if (labels[key] !== value) return false;
  for (const req of selector?.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, req.key);
    const value = labels[req.key];
    const among = value !== undefined && (req.values ?? []).includes(value);
    const ok =
      req.operator === "In"
        ? among
        : req.operator === "NotIn"
          ? !among
          : req.operator === "Exists"
            ? has
            : req.operator === "DoesNotExist"
              ? !has
              : false;
    if (!ok) return false;
  }
  return true;
}

export function selectorIsEmpty(selector: LabelSelector | undefined): boolean {
  return (
    Object.keys(selector?.matchLabels ?? {}).length === 0 && (selector?.matchExpressions ?? []).length === 0
  );
}
