// Comparing one desired object with the cluster.
//
// What is compared with what: the controller server-side-applies each rendered object as a dry
// run (field manager "tether") and passes the result here as `predicted` — the object exactly as
// the apiserver would store it if Tether applied now: defaults filled, admission mutations made,
// and merged with everything other managers own. If `predicted` equals `live` (after
// normalization), applying would change nothing: Synced. Consequences worth knowing:
//   - Fields someone else added (a label set by hand, a sidecar injected, an annotation from a
//     controller) are in `predicted` too, because SSA keeps fields Tether does not own: no drift.
//   - A field Tether applied earlier but that has left the manifest is absent from `predicted`
//     (SSA removes fields its manager no longer applies): drift, and the next sync removes it.
//   - A field Tether sets that someone changed in place (kubectl edit, `kubectl scale`) shows in
//     `predicted` with Tether's value (dry-run with force-conflicts): drift — unless ignored.
//   - Fields Tether does not own that differ only because the dry-run ran admission webhooks or
//     defaulting again are not drift (webhookMutations.ts), unless `includeMutationWebhook`.
// The dry-run must use force-conflicts: without it, a field someone else took over makes the
// dry-run fail instead of showing up as drift.
// Without a dry-run result (`predicted` undefined, e.g. the dry-run could not be made) only the
// fields set in the manifest are compared with live, which cannot see removed fields.
import { FIELD_MANAGER } from "../../model/contract.js";
import type { IgnoreDifference } from "../../model/application.js";
import { changedDesiredFields, changedFields } from "./changedFields.js";
import { type FieldPath, locateFieldPath, ownedFieldsOf } from "./fieldsV1.js";
import { matchingIgnoreRules } from "./ignoreDifferences.js";
import type { JsonObject } from "./json.js";
import { normalizeForDiff } from "./normalize.js";
import { maskSecretValues } from "./secretMask.js";
import { removeWebhookMutations } from "./webhookMutations.js";

export interface CompareInput {
  /** The rendered manifest. */
  desired: JsonObject;
  /** The server-side apply dry-run result; undefined when no dry-run result is available. */
  predicted?: JsonObject | undefined;
  /** The object in the cluster; undefined when it does not exist. */
  live?: JsonObject | undefined;
  /** The Application's rules; only those matching this object apply. */
  ignoreDifferences?: readonly IgnoreDifference[];
  /** Managers whose fields never count as drift, for every object (e.g. an HPA's "kube-controller-manager"). */
  managedFieldsManagers?: readonly string[];
  /** Count differences made by admission webhooks in fields Tether does not own (Argo CD's IncludeMutationWebhook). */
  includeMutationWebhook?: boolean;
  /** The field manager the dry-run used; defaults to Tether's own. */
  fieldManager?: string;
}

export interface CompareResult {
  status: "Synced" | "OutOfSync";
  /** The object does not exist yet: a sync will create it. */
  created: boolean;
  /** JSON pointers of the fields that differ (empty when Synced or created). */
  fields: string[];
  /** What the object will be after a sync, normalized (Secret values masked). */
  predicted: JsonObject;
  /** The live object, normalized the same way (Secret values masked); undefined if it does not exist. */
  live?: JsonObject;
  /** "dry-run": compared with the dry-run result; "manifest": fallback on the manifest's own fields. */
  basis: "dry-run" | "manifest";
}

/**
 * The fields to ignore because a listed manager owns them. Ownership is read from live: it records
 * who last wrote each field that is there now. A value the manager owns whole is ignored on both
 * sides; a list item it only created (a "." node) is ignored only when one side lacks the item,
 * so that Tether's own fields inside a shared item still count (like Argo CD, which ignores a
 * trusted manager's fields only where they differ).
 */
function ignoredManagerFields(
  target: JsonObject,
  live: JsonObject | undefined,
  managers: readonly string[],
): FieldPath[] {
  if (!live) return [];
  return ownedFieldsOf(live, managers)
    .filter((f) => f.leaf || !locateFieldPath(target, f.path) || !locateFieldPath(live, f.path))
    .map((f) => f.path);
}

export function compareObject(input: CompareInput): CompareResult {
  const { desired, predicted, live } = input;
  const basis = predicted ? "dry-run" : "manifest";
  const target =
    predicted && live && !input.includeMutationWebhook
      ? removeWebhookMutations(predicted, live, input.fieldManager ?? FIELD_MANAGER)
      : (predicted ?? desired);
  const rules = matchingIgnoreRules(input.ignoreDifferences, target);
  const managers = [
    ...(input.managedFieldsManagers ?? []),
    ...rules.flatMap((rule) => rule.managedFieldsManagers ?? []),
  ];
  const options = { ignoreDifferences: rules, ignoredFields: ignoredManagerFields(target, live, managers) };
  const normalizedTarget = normalizeForDiff(target, options);

  if (!live) {
    const [masked] = maskSecretValues(normalizedTarget, undefined);
    return { status: "OutOfSync", created: true, fields: [], predicted: masked ?? normalizedTarget, basis };
  }

  const normalizedLive = normalizeForDiff(live, options);
  const fields = predicted
    ? changedFields(normalizedTarget, normalizedLive)
    : changedDesiredFields(normalizedTarget, normalizedLive);
  const [maskedTarget, maskedLive] = maskSecretValues(normalizedTarget, normalizedLive);
  return {
    status: fields.length > 0 ? "OutOfSync" : "Synced",
    created: false,
    fields,
    predicted: maskedTarget ?? normalizedTarget,
    live: maskedLive ?? normalizedLive,
    basis,
  };
}
