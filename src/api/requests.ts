// The `tether.dev/*` keys of an Application written through the API (create, update). Request
// annotations are instructions to the controller, so each needs the right of the action route
// that writes it: a PUT that adds `tether.dev/sync` is a sync and needs `sync`, not just `update`.
// Tether's own marks (the tracking annotation, the managed and ApplicationSet labels) decide what
// owns an Application — the parent app that prunes it, the ApplicationSet that deletes it — so
// they are never changed through the API. Pure.
import {
  MANAGED_LABEL,
  REFRESH_ANNOTATION,
  ROLLBACK_ANNOTATION,
  SYNC_ANNOTATION,
  TRACKING_ANNOTATION,
} from "../model/contract.js";
import { APPSET_LABEL } from "../model/contract.js";
import type { Action } from "./auth/rbac.js";

/** Every request annotation the controller acts on, with the right its action route requires. */
export const REQUEST_ANNOTATION_RIGHTS: Readonly<Record<string, Action>> = {
  [REFRESH_ANNOTATION]: "get", // as POST …/refresh: a refresh only re-reads Git
  [SYNC_ANNOTATION]: "sync",
  [ROLLBACK_ANNOTATION]: "rollback",
};

/** Written by Tether only; an API write may repeat the current value, never change it. */
const OWN_MARKS = { annotations: [TRACKING_ANNOTATION], labels: [MANAGED_LABEL, APPSET_LABEL] } as const;

type StringMap = Readonly<Record<string, string>>;

export interface MetadataWrite {
  /** The labels and annotations to store. */
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  /** Request annotations this write adds or changes, each with the right it needs. */
  readonly requests: readonly { readonly key: string; readonly right: Action }[];
  /** Tether's own marks this write would change (refused, each naming the field). */
  readonly marks: readonly string[];
}

/**
 * What an API write stores and what it needs, from the current metadata (none for a create) and
 * the body's. A request annotation or a mark the body leaves out is kept as it is: a client that
 * edits the spec never cancels a pending sync by not knowing about it.
 */
export function metadataWrite(
  current: { labels?: StringMap; annotations?: StringMap } | undefined,
  next: { labels?: StringMap; annotations?: StringMap },
): MetadataWrite {
  const before = { labels: current?.labels ?? {}, annotations: current?.annotations ?? {} };
  const labels: Record<string, string> = { ...(next.labels ?? {}) };
  // No annotations in the body keeps them all, as before; otherwise the body's set replaces them.
  const annotations: Record<string, string> = { ...(next.annotations ?? before.annotations) };
  const requests: { key: string; right: Action }[] = [];
  const marks: string[] = [];
  const keep = (target: Record<string, string>, from: StringMap, key: string) => {
    const value = from[key];
    if (value !== undefined && !(key in target)) target[key] = value;
  };
  for (const [key, right] of Object.entries(REQUEST_ANNOTATION_RIGHTS)) {
    keep(annotations, before.annotations, key);
    if (annotations[key] !== undefined && annotations[key] !== before.annotations[key])
      requests.push({ key, right });
  }
  for (const field of ["annotations", "labels"] as const) {
    const target = field === "labels" ? labels : annotations;
    for (const key of OWN_MARKS[field]) {
      keep(target, before[field], key);
      if (target[key] !== before[field][key]) marks.push(`metadata.${field}.${key}`);
    }
  }
  return { labels, annotations, requests, marks };
}
