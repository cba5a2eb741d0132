// managedFields ownership: parsing the `fieldsV1` format into a set of field paths, and locating
// those paths inside an object.
//
// fieldsV1 is structured-merge-diff's serialized field set. Each key is one path element:
//   f:<name>        a field of an object                 f:replicas
//   k:<json>        an item of an associative list, by its key fields   k:{"name":"nginx"}
//   v:<json>        an item of a set-like list, by value  v:"example.com/finalizer"
//   i:<n>           an item of an atomic list, by index   i:0
//   .               "this node itself" (the item/map exists because of this manager)
// A node is owned ("a member of the set") when it is an empty object `{}` or has a "." child.
import type { JsonObject, JsonValue } from "./json.js";
import { isJsonObject, jsonEqual } from "./json.js";
import type { ConcretePath } from "./jsonPointer.js";

export type FieldPathElement =
  { field: string } | { key: JsonObject } | { value: JsonValue } | { index: number };

export type FieldPath = FieldPathElement[];

function parseElement(raw: string): FieldPathElement | undefined {
  const kind = raw.slice(0, 2);
  const rest = raw.slice(2);
  try {
    switch (kind) {
      case "f:":
        return { field: rest };
      case "k:": {
        const key: unknown = JSON.parse(rest);
        return isJsonObject(key) ? { key } : undefined;
      }
      case "v:":
        return { value: JSON.parse(rest) as JsonValue };
      case "i:":
        return /^[0-9]+$/.test(rest) ? { index: Number(rest) } : undefined;
      default:
        return undefined;
    }
  } catch {
    return undefined;
  }
}

/** One owned path; `leaf` when the node has no children (a field or atomic value owned whole). */
export interface OwnedField {
  path: FieldPath;
  leaf: boolean;
}

/**
 * Every owned path in a fieldsV1 document, in document order. A node with "." and children owns
 * the item's existence, not every field inside it; a childless node `{}` owns its whole value.
 * Elements this code cannot read (a future element kind, malformed JSON) drop their subtree.
 */
export function parseOwnedFields(fieldsV1: unknown): OwnedField[] {
  const owned: OwnedField[] = [];
  const walk = (node: unknown, prefix: FieldPath): void => {
    if (!isJsonObject(node)) return;
    const keys = Object.keys(node);
    if (prefix.length > 0 && keys.length === 0) owned.push({ path: prefix, leaf: true });
    else if (prefix.length > 0 && keys.includes(".")) owned.push({ path: prefix, leaf: false });
    for (const raw of keys) {
      if (raw === ".") continue;
      const element = parseElement(raw);
      if (element) walk(node[raw], [...prefix, element]);
    }
  };
  walk(fieldsV1, []);
  return owned;
}

/**
 * Every owned path in a fieldsV1 document. Unreadable elements are skipped: ownership is used to
 * *ignore* differences, so reading too little can only show more drift, never hide it.
 */
export function parseFieldsV1(fieldsV1: unknown): FieldPath[] {
  return parseOwnedFields(fieldsV1).map((owned) => owned.path);
}

/** The fields (with their leaf flag) owned by any of `managers`, per `obj`'s metadata.managedFields. */
export function ownedFieldsOf(obj: JsonObject | undefined, managers: readonly string[]): OwnedField[] {
  if (!obj || managers.length === 0) return [];
  const metadata = obj.metadata;
  const entries =
    isJsonObject(metadata) && Array.isArray(metadata.managedFields) ? metadata.managedFields : [];
  const owned: OwnedField[] = [];
  for (const entry of entries) {
    if (!isJsonObject(entry) || typeof entry.manager !== "string") continue;
    if (managers.includes(entry.manager)) owned.push(...parseOwnedFields(entry.fieldsV1));
  }
  return owned;
}

/** structured-merge-diff's notation: `.spec.containers[name="web"].image`, `.finalizers[="x"]`, `.args[0]`. */
export function formatFieldPath(path: FieldPath): string {
  return path
    .map((element) => {
      if ("field" in element) return `.${element.field}`;
      if ("index" in element) return `[${element.index}]`;
      if ("value" in element) return `[=${JSON.stringify(element.value)}]`;
      const parts = Object.entries(element.key).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
      return `[${parts.join(",")}]`;
    })
    .join("");
}

/** The paths owned by any of `managers`, read from the object's metadata.managedFields. */
export function fieldsOwnedBy(obj: JsonObject | undefined, managers: readonly string[]): FieldPath[] {
  return ownedFieldsOf(obj, managers).map((owned) => owned.path);
}

/** An associative-list item matches a `k:` element when every key field is equal. */
function matchesKey(item: JsonValue, key: JsonObject): boolean {
  return isJsonObject(item) && Object.entries(key).every(([k, v]) => jsonEqual(item[k], v));
}

/**
 * Where a field path points inside `root` (list items are found by key or value, so the same path
 * finds the same item in two objects even when their list order differs). A path that does not
 * exist in `root` yields nothing.
 */
export function locateFieldPath(root: JsonValue, path: FieldPath): ConcretePath | undefined {
  let node: JsonValue | undefined = root;
  const location: ConcretePath = [];
  for (const element of path) {
    if ("field" in element) {
      if (!isJsonObject(node) || !Object.hasOwn(node, element.field)) return undefined;
      node = node[element.field];
      location.push(element.field);
      continue;
    }
    if (!Array.isArray(node)) return undefined;
    const list: JsonValue[] = node;
    let index: number;
    if ("index" in element) index = element.index < list.length ? element.index : -1;
    else if ("value" in element) index = list.findIndex((item) => jsonEqual(item, element.value));
    else index = list.findIndex((item) => matchesKey(item, element.key));
    if (index < 0) return undefined;
    node = list[index];
    location.push(index);
  }
  return location;
}

/** The locations in `root` of every path in `paths` that exists there. */
export function locateFieldPaths(root: JsonValue, paths: readonly FieldPath[]): ConcretePath[] {
  return paths.map((p) => locateFieldPath(root, p)).filter((l): l is ConcretePath => l !== undefined);
}
