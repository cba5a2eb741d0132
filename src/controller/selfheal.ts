// Self-heal must never become a hot loop against another writer (an HPA, a second app, a script).
// Each re-apply of drift is recorded per object; an object healed too often in a short window is
// left alone for a while, and the app says which field manager keeps changing it.
import type { ObjectComparison } from "./compare.js";
import { FIELD_MANAGER } from "../kube/constants.js";

const WINDOW_MS = 120_000;
const MAX_HEALS_IN_WINDOW = 5;

interface ManagedFieldsEntry {
  manager?: string;
  time?: string | Date;
}

/** The manager (other than Tether) that wrote the object most recently, from live managedFields. */
export function lastOtherManager(live: { metadata?: { managedFields?: unknown } } | undefined): string {
  const entries = (live?.metadata?.managedFields ?? []) as ManagedFieldsEntry[];
  let best: { manager: string; time: number } | undefined;
  for (const entry of entries) {
    if (!entry.manager || entry.manager === FIELD_MANAGER) continue;
    const time = entry.time ? new Date(entry.time).getTime() : 0;
    if (!best || time >= best.time) best = { manager: entry.manager, time };
  }
  return best?.manager ?? "an unknown writer";
}

export class SelfHealGuard {
  private readonly heals = new Map<string, number[]>();

  constructor(private readonly now: () => number) {}

  record(app: string, comparison: ObjectComparison): void {
    const key = `${app}|${comparison.desired.key}`;
    const recent = (this.heals.get(key) ?? []).filter((t) => this.now() - t < WINDOW_MS);
    recent.push(this.now());
    this.heals.set(key, recent);
  }

  filter(app: string, comparisons: readonly ObjectComparison[]) {
    const allowed: ObjectComparison[] = [];
    const blocked: { what: string; manager: string }[] = [];
    for (const c of comparisons) {
      const recent = (this.heals.get(`${app}|${c.desired.key}`) ?? []).filter(
        (t) => this.now() - t < WINDOW_MS,
      );
      if (recent.length >= MAX_HEALS_IN_WINDOW) {
        const d = c.desired;
        blocked.push({
          what: `${d.kind} ${d.namespace ? `${d.namespace}/` : ""}${d.name}`,
          manager: lastOtherManager(c.live),
        });
      } else {
        allowed.push(c);
      }
    }
    return { allowed, blocked };
  }
}
