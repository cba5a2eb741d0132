// Pure helpers for an Application's status: conditions keep their transition time while their
// status holds; history keeps the last entries; equality ignores the fields that change on every
// reconcile, so an unchanged app costs no write.
import type { ApplicationStatus, Condition, HistoryEntry } from "../../model/application.js";

export const HISTORY_LIMIT = 10;

export type ConditionInput = Omit<Condition, "lastTransitionTime">;

/** Sets (or replaces) a condition; lastTransitionTime changes only when the status changes. */
export function setCondition(
  conditions: readonly Condition[] | undefined,
  next: ConditionInput,
  now: Date,
): Condition[] {
  const list = [...(conditions ?? [])];
  const index = list.findIndex((c) => c.type === next.type);
  const previous = index >= 0 ? list[index] : undefined;
  const lastTransitionTime =
    previous && previous.status === next.status ? previous.lastTransitionTime : now.toISOString();
  const condition: Condition = { ...next, lastTransitionTime };
  if (index >= 0) list[index] = condition;
  else list.push(condition);
  return list;
}

export function removeCondition(conditions: readonly Condition[] | undefined, type: string): Condition[] {
  return (conditions ?? []).filter((c) => c.type !== type);
}

export function findCondition(
  conditions: readonly Condition[] | undefined,
  type: string,
): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

/** Appends a history entry (ids increase), keeping the newest HISTORY_LIMIT. */
export function appendHistory(
  history: readonly HistoryEntry[] | undefined,
  entry: Omit<HistoryEntry, "id">,
): HistoryEntry[] {
  const list = history ?? [];
  const id = list.reduce((max, h) => Math.max(max, h.id), 0) + 1;
  return [...list, { ...entry, id }].slice(-HISTORY_LIMIT);
}

/**
 * Deep equality as JSON sees it: object keys in any order, members that are undefined count as
 * absent, arrays in order. Allocates nothing, unlike comparing two canonical JSON strings of a
 * status (measured as a large share of the controller's garbage in a fleet's first sync).
 */
function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], b[i])) return false;
    return true;
  }
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  let defined = 0;
  for (const key in x) {
    if (x[key] === undefined) continue;
    defined++;
    if (!Object.hasOwn(y, key) || !jsonEqual(x[key], y[key])) return false;
  }
  for (const key in y) if (y[key] !== undefined) defined--;
  return defined === 0;
}

/**
 * Equal for the purpose of writing: reconciledAt alone never justifies a write. Compared by content,
 * not key order: the status read back from the apiserver has its keys sorted, the one a reconcile
 * builds has them in code order, and a plain comparison made every reconcile a write.
 */
export function statusesEqual(a: ApplicationStatus | undefined, b: ApplicationStatus | undefined): boolean {
  return jsonEqual({ ...a, reconciledAt: undefined }, { ...b, reconciledAt: undefined });
}
