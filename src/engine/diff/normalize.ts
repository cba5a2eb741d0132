// Normalization before comparison: drop what the server owns or what never counts as drift, then
// what the user asked to ignore, and sort keys so that output and comparison are deterministic.
import { Buffer } from "node:buffer";
import type { IgnoreDifference } from "../../model/application.js";
import { type FieldPath, locateFieldPaths } from "./fieldsV1.js";
import { matchingIgnoreRules, removeIgnoredPaths } from "./ignoreDifferences.js";
import { type JsonObject, isJsonObject, sortKeysDeep } from "./json.js";
import { groupOf } from "../../model/ref.js";
import { removeLocations } from "./jsonPointer.js";

/** Written by the apiserver on every change; never part of what Git declares. */
const SERVER_METADATA = [
  "managedFields",
  "resourceVersion",
  "generation",
  "uid",
  "creationTimestamp",
  "selfLink",
  "deletionGracePeriodSeconds",
] as const;

/**
 * Annotations written by tools, not by the user. last-applied-configuration is kubectl's copy of
 * the whole previous manifest (for a Secret, its data in clear text). The revision annotation is
 * the Deployment controller's rollout counter (also on ReplicaSets, so it is dropped everywhere).
 */
const TOOL_ANNOTATIONS = [
  "kubectl.kubernetes.io/last-applied-configuration",
  "deployment.kubernetes.io/revision",
] as const;

export interface NormalizeOptions {
  /** All of the Application's rules; only those matching the object are applied. */
  ignoreDifferences?: readonly IgnoreDifference[];
  /** Fields to drop because a trusted manager owns them (see fieldsOwnedBy). */
  ignoredFields?: readonly FieldPath[];
}

/**
 * The apiserver folds Secret `stringData` into base64 `data` (stringData wins) and never stores
 * stringData; doing the same here lets a manifest be compared with a live Secret directly.
 */
function foldSecretStringData(obj: JsonObject): void {
  if (groupOf(obj.apiVersion) !== "" || obj.kind !== "Secret" || !isJsonObject(obj.stringData)) return;
  const data: JsonObject = isJsonObject(obj.data) ? obj.data : {};
  for (const [key, value] of Object.entries(obj.stringData)) {
    if (typeof value === "string") data[key] = Buffer.from(value, "utf8").toString("base64");
  }
  obj.data = data;
  delete obj.stringData;
}

function dropIfEmpty(parent: JsonObject, key: string): void {
  const value = parent[key];
  if (isJsonObject(value) && Object.keys(value).length === 0) delete parent[key];
}

/** A normalized deep copy of `obj`; the input is never modified. */
export function normalizeForDiff(obj: JsonObject, options: NormalizeOptions = {}): JsonObject {
  const copy = structuredClone(obj);
  delete copy.status;
  const metadata = copy.metadata;
  if (isJsonObject(metadata)) {
    for (const key of SERVER_METADATA) delete metadata[key];
    if (isJsonObject(metadata.annotations)) {
      for (const key of TOOL_ANNOTATIONS) delete metadata.annotations[key];
    }
  }
  foldSecretStringData(copy);

  // User rules first (their list indexes refer to the object as written), then manager-owned
  // fields, which find list items by key and so are unaffected by earlier removals.
  removeIgnoredPaths(copy, matchingIgnoreRules(options.ignoreDifferences, obj));
  if (options.ignoredFields && options.ignoredFields.length > 0) {
    removeLocations(copy, locateFieldPaths(copy, options.ignoredFields));
  }

  // `annotations: {}` and no annotations mean the same; emptied maps must not show up as drift.
  if (isJsonObject(metadata)) {
    dropIfEmpty(metadata, "annotations");
    dropIfEmpty(metadata, "labels");
  }
  return sortKeysDeep(copy);
}
