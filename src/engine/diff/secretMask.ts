// Secret values never leave the diff stage: comparison results go to status, the API and the UI.
import { type JsonObject, groupOf, isJsonObject, jsonEqual } from "./json.js";

const SAME = "++++++++";
const CHANGED = "+++++++++";

function isSecret(obj: JsonObject | undefined): obj is JsonObject {
  return obj !== undefined && groupOf(obj.apiVersion) === "" && obj.kind === "Secret";
}

/**
 * Copies of two Secrets with `data`/`stringData` values replaced by runs of "+", like Argo CD:
 * a value equal on both sides gets the same mask, a changed value a mask of another length, so a
 * diff still shows *which* keys changed without showing any value. Other kinds pass through.
 */
export function maskSecretValues(
  a: JsonObject | undefined,
  b: JsonObject | undefined,
): [JsonObject | undefined, JsonObject | undefined] {
  if (!isSecret(a) && !isSecret(b)) return [a, b];
  const maskedA = a && structuredClone(a);
  const maskedB = b && structuredClone(b);
  for (const field of ["data", "stringData"]) {
    const mapA = maskedA?.[field];
    const mapB = maskedB?.[field];
    const valuesA = isJsonObject(mapA) ? mapA : {};
    const valuesB = isJsonObject(mapB) ? mapB : {};
    for (const key of new Set([...Object.keys(valuesA), ...Object.keys(valuesB)])) {
      const changed = !jsonEqual(valuesA[key], valuesB[key]);
      if (Object.hasOwn(valuesA, key)) valuesA[key] = SAME;
      if (Object.hasOwn(valuesB, key)) valuesB[key] = changed ? CHANGED : SAME;
    }
  }
  return [maskedA, maskedB];
}
