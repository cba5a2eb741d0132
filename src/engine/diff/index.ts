// The diff stage: pure comparison of a desired object's server-side-apply dry-run result with the
// live object, plus the normalization, ignore rules and YAML line diff it is built from.
export { compareObject, type CompareInput, type CompareResult } from "./compareObject.js";
export { normalizeForDiff, type NormalizeOptions } from "./normalize.js";
export { changedDesiredFields, changedFields } from "./changedFields.js";
export {
  ignoreRuleMatches,
  matchingIgnoreRules,
  removeIgnoredPaths,
  validateIgnoreDifferences,
} from "./ignoreDifferences.js";
export { jqPathLocations, parseJqPath, removeJqPath, type JqStep } from "./jqPath.js";
export {
  formatJsonPointer,
  parseJsonPointer,
  removeJsonPointer,
  removeLocations,
  type ConcretePath,
} from "./jsonPointer.js";
export {
  fieldsOwnedBy,
  formatFieldPath,
  locateFieldPath,
  locateFieldPaths,
  ownedFieldsOf,
  parseFieldsV1,
  parseOwnedFields,
  type FieldPath,
  type FieldPathElement,
  type OwnedField,
} from "./fieldsV1.js";
export { respectIgnoredFields } from "./respectIgnored.js";
export { maskDecryptedValues, maskSecretValues } from "./secretMask.js";
export { removeWebhookMutations } from "./webhookMutations.js";
export { yamlDiff, type YamlDiffOptions } from "./yamlDiff.js";
export type { JsonObject, JsonValue } from "./json.js";
