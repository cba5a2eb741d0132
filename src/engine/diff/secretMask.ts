// Secret values never leave the diff stage: comparison results go to status, the API and the UI.
import { type JsonObject, isJsonObject, jsonEqual } from "./json.js";
import { groupOf } from "../../model/ref.js";

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
  // Anything else a manifest may hold — `stringData` written as one string, `data` as a list, a
  // string where `immutable`'s boolean belongs, an unknown field — is a value too: masked whole.
  for (const field of new Set([...Object.keys(maskedA ?? {}), ...Object.keys(maskedB ?? {})])) {
    const shown = (o: JsonObject | undefined) => SECRET_SHAPE[field]?.(o?.[field]) ?? false;
    if (shown(maskedA) && shown(maskedB)) continue;
    const changed = !jsonEqual(maskedA?.[field], maskedB?.[field]);
    if (maskedA && Object.hasOwn(maskedA, field)) maskedA[field] = maskLeaves(maskedA[field] ?? null);
    if (maskedB && Object.hasOwn(maskedB, field)) {
      maskedB[field] = changed ? CHANGED : maskLeaves(maskedB[field] ?? null);
    }
  }
  return [maskedA, maskedB];
}

type Shape = (value: JsonObject[string] | undefined) => boolean;
const isMap: Shape = (v) => v === undefined || isJsonObject(v);
/** The fields of a Secret that may be shown as they are, when they have the shape they should. */
const SECRET_SHAPE: Record<string, Shape> = {
  apiVersion: () => true,
  kind: () => true,
  metadata: () => true,
  type: (v) => v === undefined || typeof v === "string",
  immutable: (v) => v === undefined || typeof v === "boolean",
  data: isMap,
  stringData: isMap,
};

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
