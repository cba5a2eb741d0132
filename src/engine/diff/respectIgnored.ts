// RespectIgnoreDifferences=true: a sync must not overwrite what the ignore rules leave to others.
// The object applied is the manifest with every ignored field set to its live value (or left out
// where live has none), as Argo CD does. With server-side apply, applying the live value of a
// field another manager owns changes nothing and takes nothing from it: no conflict arises when
// the values are equal. Pure: the inputs are never modified.
import type { IgnoreDifference } from "../../model/application.js";
import { locateFieldPath, ownedFieldsOf } from "./fieldsV1.js";
import { matchingIgnoreRules } from "./ignoreDifferences.js";
import { jqPathLocations } from "./jqPath.js";
import { type JsonObject, type JsonValue, isJsonObject } from "./json.js";
import { type ConcretePath, parseJsonPointer, removeLocations } from "./jsonPointer.js";

function valueAt(root: JsonValue, path: ConcretePath): JsonValue | undefined {
  let current: JsonValue | undefined = root;
  for (const step of path) {
    if (Array.isArray(current) && typeof step === "number") current = current[step];
    else if (Array.isArray(current) && /^\d+$/.test(String(step))) current = current[Number(step)];
    else if (isJsonObject(current) && typeof step === "string") current = current[step];
    else return undefined;
    if (current === undefined) return undefined;
  }
  return current;
}

/** Sets the value at `path` where its parent exists (a field Git does not set at all stays unset). */
function setAt(root: JsonValue, path: ConcretePath, value: JsonValue): void {
  const parent = valueAt(root, path.slice(0, -1));
  const last = path[path.length - 1];
  if (last === undefined) return;
  if (Array.isArray(parent) && Number(last) < parent.length) parent[Number(last)] = structuredClone(value);
  else if (isJsonObject(parent) && typeof last === "string") parent[last] = structuredClone(value);
}

/** Makes desired's value at `path` equal live's: copied when live has one, removed otherwise. */
function takeLive(target: JsonObject, live: JsonObject, path: ConcretePath): void {
  const value = valueAt(live, path);
  if (value === undefined) removeLocations(target, [path]);
  else setAt(target, path, value);
}

export function respectIgnoredFields(input: {
  desired: JsonObject;
  live: JsonObject | undefined;
  ignoreDifferences?: readonly IgnoreDifference[];
  managedFieldsManagers?: readonly string[];
}): JsonObject {
  const { desired, live } = input;
  if (!live) return desired;
  const rules = matchingIgnoreRules(input.ignoreDifferences, desired);
  const managers = [
    ...(input.managedFieldsManagers ?? []),
    ...rules.flatMap((r) => r.managedFieldsManagers ?? []),
  ];
  if (rules.length === 0 && managers.length === 0) return desired;
  const target = structuredClone(desired);
  for (const rule of rules) {
    for (const pointer of rule.jsonPointers ?? []) takeLive(target, live, parseJsonPointer(pointer));
    for (const expression of rule.jqPathExpressions ?? []) {
      // Locations in either object: a list item present on one side only is taken from live too.
      const seen = new Set<string>();
      for (const path of [...jqPathLocations(live, expression), ...jqPathLocations(target, expression)]) {
        const key = JSON.stringify(path);
        if (seen.has(key)) continue;
        seen.add(key);
        takeLive(target, live, path);
      }
    }
  }
  // Fields a trusted manager owns in live: where Git sets them too, Git's value yields to live's.
  for (const field of ownedFieldsOf(live, managers)) {
    if (!field.leaf) continue;
    const inLive = locateFieldPath(live, field.path);
    const inTarget = locateFieldPath(target, field.path);
    if (!inLive || !inTarget) continue;
    const value = valueAt(live, inLive);
    if (value !== undefined) setAt(target, inTarget, value);
  }
  return target;
}
