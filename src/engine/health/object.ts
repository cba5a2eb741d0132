// Read-only accessors over unstructured Kubernetes objects (plain JSON from the apiserver or from
// YAML). Health checks read a handful of fields; these helpers keep each check free of casts and
// make a missing or mistyped field read as "absent" instead of throwing.

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The value at `path` (object keys or array indexes), or undefined if any step is missing. */
export function getPath(obj: unknown, ...path: (string | number)[]): unknown {
  let current: unknown = obj;
  for (const step of path) {
    if (typeof step === "number") {
      if (!Array.isArray(current)) return undefined;
      current = current[step];
    } else {
      if (!isRecord(current)) return undefined;
      current = current[step];
    }
  }
  return current;
}

export function getNumber(obj: unknown, ...path: string[]): number | undefined {
  const value = getPath(obj, ...path);
  return typeof value === "number" ? value : undefined;
}

/**
 * A number that Go's typed structs declare as a plain int (zero when absent). gitops-engine reads
 * these through typed structs, so "absent" and "0" must behave the same to match its results.
 */
export function getCount(obj: unknown, ...path: string[]): number {
  return getNumber(obj, ...path) ?? 0;
}

export function getString(obj: unknown, ...path: string[]): string {
  const value = getPath(obj, ...path);
  return typeof value === "string" ? value : "";
}

export function getArray(obj: unknown, ...path: string[]): unknown[] {
  const value = getPath(obj, ...path);
  return Array.isArray(value) ? value : [];
}

/** A status condition as found in most `status.conditions` lists; absent fields read as "". */
export interface KubeCondition {
  type: string;
  status: string;
  reason: string;
  message: string;
}

export function toCondition(value: unknown): KubeCondition {
  return {
    type: getString(value, "type"),
    status: getString(value, "status"),
    reason: getString(value, "reason"),
    message: getString(value, "message"),
  };
}

export function conditionsOf(obj: unknown): KubeCondition[] {
  return getArray(obj, "status", "conditions").map(toCondition);
}

/** The first condition of this type, like gitops-engine's get…Condition helpers. */
export function findCondition(obj: unknown, type: string): KubeCondition | undefined {
  return conditionsOf(obj).find((c) => c.type === type);
}
