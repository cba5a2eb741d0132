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

/** Per-resource sync options from the annotation, e.g. `Prune=false,Delete=false`. */
export function resourceSyncOptions(object: KubeObject): Set<string> {
  const raw = object.metadata?.annotations?.[SYNC_OPTIONS_ANNOTATION] ?? "";
  return new Set(
    raw
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean),
  );
}
