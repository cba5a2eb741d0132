// Which fields differ between two normalized objects, as JSON pointers ("/spec/replicas").
import { type JsonValue, isJsonObject, jsonEqual } from "./json.js";
import { formatJsonPointer } from "./jsonPointer.js";

type Path = (string | number)[];

/** Same items, possibly in another order (each item of `a` used once in `b`). */
function sameItems(a: readonly JsonValue[], b: readonly JsonValue[]): boolean {
  if (a.length !== b.length) return false;
  const unused = [...b];
  return a.every((item) => {
    const i = unused.findIndex((candidate) => jsonEqual(candidate, item));
    if (i < 0) return false;
    unused.splice(i, 1);
    return true;
  });
}

function collect(a: JsonValue | undefined, b: JsonValue | undefined, path: Path, out: string[]): void {
  if (jsonEqual(a, b)) return;
  if (isJsonObject(a) && isJsonObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    for (const key of keys) collect(a[key], b[key], [...path, key], out);
    return;
  }
  // Lists of equal length are compared item by item, so one changed image reads as
  // /spec/template/spec/containers/0/image. A list that only changed order, or changed length,
  // is reported once as the whole list: a per-index report would list every shifted item.
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length && !sameItems(a, b)) {
    a.forEach((item, i) => collect(item, b[i], [...path, i], out));
    return;
  }
  out.push(formatJsonPointer(path));
}

/** JSON pointers of every difference between `a` and `b`, in a stable (sorted-key) order. */
export function changedFields(a: JsonValue | undefined, b: JsonValue | undefined): string[] {
  const out: string[] = [];
  collect(a, b, [], out);
  return out;
}

function collectSubset(desired: JsonValue, live: JsonValue | undefined, path: Path, out: string[]): void {
  if (isJsonObject(desired) && isJsonObject(live)) {
    for (const key of Object.keys(desired).sort()) {
      collectSubset(desired[key] as JsonValue, live[key], [...path, key], out);
    }
    return;
  }
  if (Array.isArray(desired) && Array.isArray(live) && desired.length === live.length) {
    desired.forEach((item, i) => collectSubset(item, live[i], [...path, i], out));
    return;
  }
  if (!jsonEqual(desired, live)) out.push(formatJsonPointer(path));
}

/**
 * Fallback when no dry-run result is available: only the fields the manifest sets are compared,
 * so values the server defaulted or other managers added do not count as drift. This cannot see
 * a field that Tether applied earlier and the manifest no longer has (the dry-run can).
 */
export function changedDesiredFields(desired: JsonValue, live: JsonValue | undefined): string[] {
  const out: string[] = [];
  collectSubset(desired, live, [], out);
  return out;
}
