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

/** JSON with object keys sorted at every level, and undefined members dropped as JSON does. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))) // prettier-ignore
      : v,
  );
}

/**
 * Equal for the purpose of writing: reconciledAt alone never justifies a write. Compared by content,
 * not key order: the status read back from the apiserver has its keys sorted, the one a reconcile
 * builds has them in code order, and a plain comparison made every reconcile a write.
 */
export function statusesEqual(a: ApplicationStatus | undefined, b: ApplicationStatus | undefined): boolean {
  const strip = (s: ApplicationStatus | undefined) => canonical({ ...s, reconciledAt: undefined });
  return strip(a) === strip(b);
}
