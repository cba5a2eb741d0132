// ignoreDifferences rules (Argo CD's format): which rules apply to an object, and removing what
// their jsonPointers and jqPathExpressions name. managedFieldsManagers are resolved elsewhere
// (they need the live object's managedFields) — see fieldsV1.ts and compareObject.ts.
import type { IgnoreDifference } from "../../model/application.js";
import { InvalidSpec } from "../errors.js";
import { type JsonObject, metadataOf, stringField } from "./json.js";
import { groupOf } from "../../model/ref.js";
import { parseJqPath, removeJqPath } from "./jqPath.js";
import { parseJsonPointer, removeJsonPointer } from "./jsonPointer.js";

/** Argo CD matches group and kind as globs ("*" = any run of characters), name/namespace exactly. */
function globMatch(pattern: string, value: string): boolean {
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replaceAll("*", ".*");
  return new RegExp(`^${escaped}$`).test(value);
}

/**
 * Does this rule apply to `obj`? As in Argo CD: `group` and `kind` are globs matched against the
 * object's group and kind — an omitted group means the core group "" (use "*" for any group);
 * an omitted or empty name/namespace matches every object.
 */
export function ignoreRuleMatches(rule: IgnoreDifference, obj: JsonObject): boolean {
  const metadata = metadataOf(obj);
  return (
    globMatch(rule.group ?? "", groupOf(obj.apiVersion)) &&
    globMatch(rule.kind, stringField(obj, "kind")) &&
    (!rule.name || rule.name === stringField(metadata, "name")) &&
    (!rule.namespace || rule.namespace === stringField(metadata, "namespace"))
  );
}

export function matchingIgnoreRules(
  rules: readonly IgnoreDifference[] | undefined,
  obj: JsonObject,
): IgnoreDifference[] {
  return (rules ?? []).filter((rule) => ignoreRuleMatches(rule, obj));
}

/** In place: removes everything the rules' jsonPointers and jqPathExpressions name. */
export function removeIgnoredPaths(obj: JsonObject, rules: readonly IgnoreDifference[]): void {
  for (const rule of rules) {
    for (const pointer of rule.jsonPointers ?? []) removeJsonPointer(obj, pointer);
    for (const expression of rule.jqPathExpressions ?? []) removeJqPath(obj, expression);
  }
}

/**
 * Checks every pointer and expression up front, so an Application with a bad rule is rejected as
 * InvalidSpec once, with the rule's position, instead of failing each comparison.
 */
export function validateIgnoreDifferences(rules: readonly IgnoreDifference[] | undefined): void {
  (rules ?? []).forEach((rule, i) => {
    const where = `spec.ignoreDifferences[${i}]`;
    if (!rule.kind) throw new InvalidSpec(`${where}.kind is required (use "*" for every kind)`);
    try {
      for (const pointer of rule.jsonPointers ?? []) {
        if (parseJsonPointer(pointer).length === 0) {
          throw new InvalidSpec(`JSON pointer "" would ignore the whole object; name a field instead`);
        }
      }
      for (const expression of rule.jqPathExpressions ?? []) parseJqPath(expression);
    } catch (error) {
      if (error instanceof InvalidSpec) throw new InvalidSpec(`${where}: ${error.message}`, { cause: error });
      throw error;
    }
  });
}
