// Ownership marks: what makes an object Tether's to prune. An object is owned by an app only if
// it carries this installation's label AND a tracking annotation naming that app and the object
// itself (so a copied annotation never transfers ownership).
import { MANAGED_LABEL, SYNC_OPTIONS_ANNOTATION, TRACKING_ANNOTATION } from "../../model/contract.js";
import { type KubeObject, groupOf } from "../../model/ref.js";

/** `namespace/name` of an Application. */
export type AppKey = string;

export function trackingId(app: AppKey, object: KubeObject): string {
  const m = object.metadata ?? {};
  return `${app}:${groupOf(object.apiVersion)}/${object.kind ?? ""}:${m.namespace ?? ""}/${m.name ?? ""}`;
}

/** The app a live object says it belongs to, if its tracking annotation is well-formed. */
export function trackedApp(object: KubeObject): AppKey | undefined {
  const value = object.metadata?.annotations?.[TRACKING_ANNOTATION];
  const colon = value?.indexOf(":") ?? -1;
  return value && colon > 0 ? value.slice(0, colon) : undefined;
}

/** A copy of `object` with the ownership label and tracking annotation set. */
export function withOwnershipMarks<T extends KubeObject>(object: T, app: AppKey, installationId: string): T {
  const metadata = object.metadata ?? {};
  return {
    ...object,
    metadata: {
      ...metadata,
      labels: { ...metadata.labels, [MANAGED_LABEL]: installationId },
      annotations: { ...metadata.annotations, [TRACKING_ANNOTATION]: trackingId(app, object) },
    },
  };
}

export function isOwnedBy(live: KubeObject, app: AppKey, installationId: string): boolean {
  return (
    live.metadata?.labels?.[MANAGED_LABEL] === installationId &&
    live.metadata?.annotations?.[TRACKING_ANNOTATION] === trackingId(app, live)
  );
}

/**
 * The per-resource options Tether acts on, and those it accepts because it always behaves so
 * (server-side apply; an object that does not exist is never dry-run).
 */
const RESOURCE_OPTIONS: ReadonlyMap<string, readonly string[]> = new Map([
  ["Prune", ["true", "false"]],
  ["Delete", ["true", "false"]],
  ["Replace", ["true", "false"]],
  ["ServerSideApply", ["true"]],
  ["SkipDryRunOnMissingResource", ["true"]],
]);

const entriesOf = (object: KubeObject) =>
  (object.metadata?.annotations?.[SYNC_OPTIONS_ANNOTATION] ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);

/** Per-resource sync options from the annotation, e.g. `Prune=false,Delete=false` (values in lower case). */
export function resourceSyncOptions(object: KubeObject): Set<string> {
  return new Set(
    entriesOf(object).map((entry) => {
      const at = entry.indexOf("=");
      return at < 0 ? entry : `${entry.slice(0, at)}=${entry.slice(at + 1).toLowerCase()}`;
    }),
  );
}

/**
 * What is wrong with an object's sync-options annotation, one message per entry. A misspelt
 * `Prune=flase` must not be ignored: the object it was meant to keep would be pruned.
 */
export function resourceSyncOptionProblems(object: KubeObject): string[] {
  const known = [...RESOURCE_OPTIONS]
    .map(([name, values]) => values.map((v) => `${name}=${v}`).join(", "))
    .join(", ");
  return entriesOf(object).flatMap((entry) => {
    const [name = "", value = ""] = entry.split(/=(.*)/s);
    const values = RESOURCE_OPTIONS.get(name);
    if (values?.includes(value.toLowerCase())) return [];
    const shown = JSON.stringify(entry.length > 64 ? `${entry.slice(0, 64)}…` : entry);
    return [`annotation ${SYNC_OPTIONS_ANNOTATION}: ${shown} is not an option (known: ${known})`];
  });
}
