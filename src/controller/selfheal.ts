// Self-heal must never become a hot loop against another writer (an HPA, a second app, a script).
// Each re-apply of drift is recorded per object; an object healed too often in a short window is
// left alone for a while, and the app says which field manager keeps changing it.
import type { ObjectComparison } from "./compare.js";
import { FIELD_MANAGER } from "../model/contract.js";

const WINDOW_MS = 120_000;
const MAX_HEALS_IN_WINDOW = 5;

interface ManagedFieldsEntry {
  manager?: string;
  time?: string | Date;
  subresource?: string;
  fieldsV1?: unknown;
}

/** Whether a managedFields entry owns the field at a JSON pointer (list items count by their list). */
function ownsPointer(fieldsV1: unknown, pointer: string): boolean {
  let node: unknown = fieldsV1;
  for (const raw of pointer.split("/").slice(1)) {
    if (!node || typeof node !== "object") return false;
    if (/^\d+$/.test(raw)) return true;
    node = (node as Record<string, unknown>)[`f:${raw.replace(/~1/g, "/").replace(/~0/g, "~")}`];
  }
  return node !== undefined;
}

/**
 * The manager (other than Tether) that most recently wrote one of the drifted fields, from live
 * managedFields; status-subresource writers (kube-controller-manager on a Deployment) never count,
 * and when no entry owns a drifted field, the most recent other writer is named.
 */
export function lastOtherManager(
  live: { metadata?: { managedFields?: unknown } } | undefined,
  fields: readonly string[] = [],
): string {
  const others = ((live?.metadata?.managedFields ?? []) as ManagedFieldsEntry[]).filter(
    (e) => e.manager && e.manager !== FIELD_MANAGER && !e.subresource,
  );
  const owners = others.filter((e) => fields.some((f) => ownsPointer(e.fieldsV1, f)));
  let best: { manager: string; time: number } | undefined;
  for (const entry of owners.length > 0 ? owners : others) {
    if (!entry.manager) continue;
    const time = entry.time ? new Date(entry.time).getTime() : 0;
    if (!best || time >= best.time) best = { manager: entry.manager, time };
  }
  return best?.manager ?? "an unknown writer";
}

export class SelfHealGuard {
  private readonly heals = new Map<string, number[]>();

  constructor(private readonly now: () => number) {}

  /** Counts a re-apply of drift on each of these objects (keys of desired objects). */
  record(app: string, keys: readonly string[]): void {
    for (const k of keys) {
      const key = `${app}|${k}`;
      const recent = this.recent(key);
      recent.push(this.now());
      this.heals.set(key, recent);
    }
  }

  private recent(key: string): number[] {
    return (this.heals.get(key) ?? []).filter((t) => this.now() - t < WINDOW_MS);
  }

  /**
   * The objects healed too often lately, each with the manager that keeps changing it: the plan
   * (src/engine/plan) leaves them alone when it self-heals.
   */
  paused(app: string, comparisons: readonly ObjectComparison[]): Record<string, string> {
    const paused: Record<string, string> = {};
    if (this.heals.size === 0) return paused;
    for (const c of comparisons) {
      if (this.recent(`${app}|${c.desired.key}`).length >= MAX_HEALS_IN_WINDOW)
        paused[c.desired.key] = lastOtherManager(c.live, c.result.fields);
    }
    return paused;
  }
}
