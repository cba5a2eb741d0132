// RFC 6901 JSON pointers: parsing (with the ~0/~1 escapes), formatting, and deleting the value a
// pointer names. Used both for ignoreDifferences.jsonPointers and for the list of drifted fields.
import { InvalidSpec } from "../errors.js";
import { type JsonValue, isJsonObject } from "./json.js";

/** "/metadata/annotations/a~1b" → ["metadata", "annotations", "a/b"]. Throws InvalidSpec if malformed. */
export function parseJsonPointer(pointer: string): string[] {
  if (pointer === "") return [];
  if (!pointer.startsWith("/")) {
    throw new InvalidSpec(`invalid JSON pointer "${pointer}": it must be empty or start with "/"`);
  }
  return pointer
    .slice(1)
    .split("/")
    .map((token) => {
      // A "~" must be followed by 0 or 1; anything else is not a valid pointer (RFC 6901 §3).
      if (/~[^01]|~$/.test(token)) {
        throw new InvalidSpec(`invalid JSON pointer "${pointer}": "~" must be followed by 0 or 1`);
      }
      // Order matters: "~01" is "~1" literally, so ~1 is decoded before ~0 (RFC 6901 §4).
      return token.replaceAll("~1", "/").replaceAll("~0", "~");
    });
}

export function escapePointerToken(token: string | number): string {
  return String(token).replaceAll("~", "~0").replaceAll("/", "~1");
}

/** ["spec", "containers", 0] → "/spec/containers/0". */
export function formatJsonPointer(path: readonly (string | number)[]): string {
  return path.map((token) => `/${escapePointerToken(token)}`).join("");
}

/** An array index token: "0" or a number without leading zeros (RFC 6901 §4). */
function arrayIndex(token: string): number | undefined {
  return /^(0|[1-9][0-9]*)$/.test(token) ? Number(token) : undefined;
}

/**
 * Deletes the value at `path` inside `root`, in place. A path that does not exist is a no-op: an
 * ignore rule naming a field that one side lacks simply has nothing to remove there.
 */
export function removeAtPath(root: JsonValue, path: readonly string[]): void {
  if (path.length === 0) return;
  let parent: JsonValue | undefined = root;
  for (const token of path.slice(0, -1)) {
    if (Array.isArray(parent)) {
      const index = arrayIndex(token);
      parent = index === undefined ? undefined : parent[index];
    } else if (isJsonObject(parent)) {
      parent = Object.hasOwn(parent, token) ? parent[token] : undefined;
    } else {
      return;
    }
  }
  const last = path[path.length - 1] as string;
  if (Array.isArray(parent)) {
    const index = arrayIndex(last);
    if (index !== undefined && index < parent.length) parent.splice(index, 1);
  } else if (isJsonObject(parent) && Object.hasOwn(parent, last)) {
    delete parent[last];
  }
}

/** A concrete location inside a document: object keys and array indexes. */
export type ConcretePath = (string | number)[];

/** Orders locations so that deleting them one by one never shifts an index still to be deleted. */
function deletionOrder(a: ConcretePath, b: ConcretePath): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i] as string | number;
    const y = b[i] as string | number;
    if (x === y) continue;
    if (typeof x === "number" && typeof y === "number") return y - x;
    return String(y) < String(x) ? -1 : 1;
  }
  // Deeper locations first, so a location inside an item goes before the item itself.
  return b.length - a.length;
}

/** In place: deletes every location (higher array indexes first, so the others stay valid). */
export function removeLocations(root: JsonValue, locations: readonly ConcretePath[]): void {
  for (const location of [...locations].sort(deletionOrder)) removeAtPath(root, location.map(String));
}

/** Deletes the value a JSON pointer names; the empty pointer (the whole object) is refused. */
export function removeJsonPointer(root: JsonValue, pointer: string): void {
  const path = parseJsonPointer(pointer);
  if (path.length === 0) {
    throw new InvalidSpec(`JSON pointer "" would ignore the whole object; name a field instead`);
  }
  removeAtPath(root, path);
}
