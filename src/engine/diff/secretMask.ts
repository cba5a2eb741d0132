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

function maskLeaves(value: JsonObject[string]): JsonObject[string] {
  if (Array.isArray(value)) return value.map(maskLeaves);
  if (isJsonObject(value))
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskLeaves(v)]));
  return value === null ? null : SAME;
}

/**
 * A copy of a SOPS-decrypted object (any kind) with every value outside apiVersion, kind and
 * metadata masked: which fields were encrypted is no longer known, so all count as secret. Keys
 * and list lengths stay, so the diff view still shows the object's shape.
 */
export function maskDecryptedValues(obj: JsonObject): JsonObject {
  return Object.fromEntries(
    Object.entries(obj).map(([k, v]) => [
      k,
      ["apiVersion", "kind", "metadata"].includes(k) ? v : maskLeaves(v),
    ]),
  );
}
