// Keeping admission-webhook mutations out of the comparison, as Argo CD's server-side diff does.
//
// A dry-run runs mutating admission webhooks and defaulting. A webhook that writes something new
// on every request (a timestamp, a generated id, a newer sidecar version) would make the dry-run
// result differ from live forever, and every sync would "fix" it only for the webhook to change it
// again. So in the dry-run result only the fields Tether's field manager owns are taken as
// predicted; every other field takes its live value (gitops-engine's removeWebhookMutation):
//   owned by Tether                       → the predicted value
//   not owned, present in predicted+live  → the live value
//   not owned, only in predicted          → dropped (added by a webhook or a default)
//   only in live                          → stays absent (Tether's apply removes it: real drift)
//
// Approximations, since Tether has no OpenAPI schema here: a childless owned node ({}) owns its
// whole subtree (right for atomic fields such as a selector); list items are paired with live
// items by `name` when every item has one, else by index. Secret data is never treated as a
// mutation: fields applied as stringData are recorded under stringData, not data.
import { type OwnedField, locateFieldPath, ownedFieldsOf } from "./fieldsV1.js";
import { type JsonObject, type JsonValue, isJsonObject, jsonEqual } from "./json.js";
import { groupOf } from "../../model/ref.js";
import { formatJsonPointer } from "./jsonPointer.js";

type Path = (string | number)[];

interface Ownership {
  /** Pointers whose whole value is owned. */
  whole: Set<string>;
  /** Pointers with an owned node somewhere strictly below them. */
  above: Set<string>;
}

function ownershipIn(predicted: JsonObject, owned: readonly OwnedField[]): Ownership {
  const whole = new Set<string>();
  const above = new Set<string>();
  for (const field of owned) {
    const location = locateFieldPath(predicted, field.path);
    if (!location) continue;
    if (field.leaf) whole.add(formatJsonPointer(location));
    for (let i = 0; i < location.length; i++) above.add(formatJsonPointer(location.slice(0, i)));
    // A "." node owns the item's existence; its own fields are listed below it.
    if (!field.leaf) above.add(formatJsonPointer(location));
  }
  return { whole, above };
}

function isNamedList(list: readonly JsonValue[]): boolean {
  return list.length > 0 && list.every((item) => isJsonObject(item) && typeof item.name === "string");
}

/** The live counterpart of predicted[index]: same `name` in lists of named items, else same index. */
function livePartner(pred: JsonValue[], live: JsonValue[] | undefined, index: number): JsonValue | undefined {
  if (!live) return undefined;
  const item = pred[index];
  if (isNamedList(pred) && isNamedList(live) && isJsonObject(item)) {
    return live.find((candidate) => isJsonObject(candidate) && candidate.name === item.name);
  }
  return live[index];
}

function merge(
  pred: JsonValue,
  live: JsonValue | undefined,
  path: Path,
  ownership: Ownership,
): JsonValue | undefined {
  const pointer = formatJsonPointer(path);
  for (let i = path.length; i >= 0; i--) {
    if (ownership.whole.has(formatJsonPointer(path.slice(0, i)))) return pred;
  }
  if (live !== undefined && jsonEqual(pred, live)) return pred;
  if (!ownership.above.has(pointer)) return live;
  if (isJsonObject(pred) && (live === undefined || isJsonObject(live))) {
    const out: JsonObject = {};
    for (const [key, value] of Object.entries(pred)) {
      const merged = merge(value, live?.[key], [...path, key], ownership);
      if (merged !== undefined) out[key] = merged;
    }
    return out;
  }
  if (Array.isArray(pred) && (live === undefined || Array.isArray(live))) {
    const out: JsonValue[] = [];
    pred.forEach((item, i) => {
      const merged = merge(item, livePartner(pred, live, i), [...path, i], ownership);
      if (merged !== undefined) out.push(merged);
    });
    return out;
  }
  return pred;
}

/**
 * The dry-run result with fields not owned by `manager` replaced by their live values (see the
 * module comment). Returns `predicted` unchanged when it records nothing owned by `manager`:
 * then there is no basis to tell mutations apart, and showing too much beats hiding drift.
 */
export function removeWebhookMutations(predicted: JsonObject, live: JsonObject, manager: string): JsonObject {
  const owned = ownedFieldsOf(predicted, [manager]);
  if (owned.length === 0) return predicted;
  const ownership = ownershipIn(predicted, owned);
  if (groupOf(predicted.apiVersion) === "" && predicted.kind === "Secret") ownership.whole.add("/data");
  const merged = merge(predicted, live, [], ownership);
  return isJsonObject(merged) ? merged : predicted;
}
