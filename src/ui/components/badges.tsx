// Sync and health badges: a word plus a colour, so the status reads without colour too.
import type { ApplicationSummary } from "../../api/types";

export type SyncCode = ApplicationSummary["sync"];
export type HealthCode = ApplicationSummary["health"];

const SYNC_ICON: Record<SyncCode, string> = { Synced: "✓", OutOfSync: "≠", Unknown: "?" };
const HEALTH_ICON: Record<HealthCode, string> = {
  Healthy: "♥",
  Progressing: "◔",
  Degraded: "✕",
  Missing: "∅",
  Suspended: "❚❚",
  Unknown: "?",
};

export function SyncBadge({ status }: { status: SyncCode }) {
  return (
    <span className={`badge sync-${status}`} data-sync={status} title={`sync: ${status}`}>
      <span aria-hidden="true">{SYNC_ICON[status]} </span>
      {status}
    </span>
  );
}

export function HealthBadge({ status }: { status: HealthCode }) {
  return (
    <span className={`badge health-${status}`} data-health={status} title={`health: ${status}`}>
      <span aria-hidden="true">{HEALTH_ICON[status]} </span>
      {status}
    </span>
  );
}
