// Rolling sync: apps are grouped into steps by their labels (an app belongs to the first step whose
// matchExpressions it matches); an app of step n is synced only once every app of the earlier steps
// is Synced and Healthy, at most `maxUpdate` at a time within a step. Pure: the plan is computed from
// the apps' status and the set's previous rollout status.
import type { HealthStatusCode, OperationState, SyncStatusCode } from "../../model/application.js";
import type {
  ApplicationSetApplicationStatus,
  ApplicationSetAppState,
  ApplicationSetRolloutStep,
} from "../../model/applicationset.js";
import { matchesSelector } from "./params.js";
import { shortRevision } from "../../model/revision.js";

export interface RolloutApp {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly sync?: SyncStatusCode;
  readonly syncRevision?: string;
  /** Repository and target revision: apps sharing it must be at the same commit for a step to count as done. */
  readonly source?: string;
  readonly health?: HealthStatusCode;
  /** The app's status describes its current spec (observedGeneration = generation). */
  readonly observed: boolean;
  /** A sync request (tether.dev/sync) is waiting to be handled. */
  readonly syncRequested: boolean;
  readonly operation?: Pick<OperationState, "phase" | "revision" | "message">;
}

export interface RolloutPlan {
  readonly statuses: ApplicationSetApplicationStatus[];
  /** Apps to sync now. */
  readonly sync: string[];
  /** Whether some app of a step is not Healthy yet. */
  readonly progressing: boolean;
}

export function stepOf(app: RolloutApp, steps: readonly ApplicationSetRolloutStep[]): number | undefined {
  const index = steps.findIndex((s) => matchesSelector(app.labels, { matchExpressions: s.matchExpressions }));
  return index >= 0 ? index : undefined;
}

/** How many apps of a step of `size` may sync at once. */
export function maxUpdateOf(step: ApplicationSetRolloutStep, size: number): number {
  const value = step.maxUpdate;
  if (value === undefined) return size;
  if (typeof value === "number") return Math.max(0, value);
  const percent = /^(\d+)%$/.exec(value.trim());
  if (percent) return Math.max(1, Math.floor((size * Number(percent[1])) / 100));
  const count = Number(value);
  return Number.isInteger(count) ? Math.max(0, count) : size;
}

function stateOf(app: RolloutApp): { state: ApplicationSetAppState; message: string } {
  if (app.syncRequested) return { state: "Pending", message: "sync requested" };
  if (app.operation?.phase === "Running") return { state: "Progressing", message: "sync running" };
  if (!app.observed) return { state: "Waiting", message: "waiting for the app to be reconciled" };
  if (app.sync === "Synced" && app.health === "Healthy")
    return { state: "Healthy", message: "Synced and Healthy" };
  if (app.sync === "Synced" && (app.health === "Progressing" || app.health === undefined))
    return { state: "Progressing", message: `Synced, health ${app.health ?? "unknown"}` };
  return { state: "Waiting", message: `${app.sync ?? "Unknown"}, health ${app.health ?? "Unknown"}` };
}

export function planRollingSync(
  steps: readonly ApplicationSetRolloutStep[],
  apps: readonly RolloutApp[],
  previous: readonly ApplicationSetApplicationStatus[] | undefined,
  now: Date,
): RolloutPlan {
  // An app Synced at an older commit than one another app of the same source already sees has not
  // looked at Git since the push: until it has, its step is not done (or a later step would deploy
  // the new commit before it).
  const pending = new Map<string, Set<string>>();
  for (const app of apps) {
    if (app.sync === "OutOfSync" && app.source && app.syncRevision)
      pending.set(app.source, (pending.get(app.source) ?? new Set()).add(app.syncRevision));
  }
  const behind = (app: RolloutApp) =>
    [...(app.source ? (pending.get(app.source) ?? []) : [])].find((r) => r !== app.syncRevision);
  const byStep = apps.map((app) => {
    const state = stateOf(app);
    const newer = state.state === "Healthy" ? behind(app) : undefined;
    return {
      app,
      step: stepOf(app, steps),
      ...(newer
        ? {
            state: "Waiting" as const,
            message: `Synced and Healthy at an older commit than ${shortRevision(newer)}: waiting for it to see the new commit`,
          }
        : state),
    };
  });
  const current = steps.findIndex((_, i) => byStep.some((a) => a.step === i && a.state !== "Healthy"));
  const sync: string[] = [];
  if (current >= 0) {
    const members = byStep.filter((a) => a.step === current);
    let room =
      maxUpdateOf(steps[current] as ApplicationSetRolloutStep, members.length) -
      members.filter((a) => a.state === "Pending" || a.state === "Progressing").length;
    for (const member of members) {
      if (room <= 0) break;
      const { app } = member;
      if (member.state !== "Waiting" || !app.observed || app.sync !== "OutOfSync") continue;
      // A sync that failed at this revision is not retried by the rollout (the app's retry policy
      // may); a new commit or spec starts again.
      if (app.operation?.phase === "Failed" && app.operation.revision === app.syncRevision) {
        member.message = `last sync failed: ${app.operation.message ?? ""}`.trim();
        continue;
      }
      sync.push(app.name);
      member.state = "Pending";
      member.message = `sync requested (step ${current + 1})`;
      room -= 1;
    }
  }
  const before = new Map((previous ?? []).map((s) => [s.application, s]));
  const statuses = byStep
    .map(({ app, step, state, message }): ApplicationSetApplicationStatus => {
      let text = message;
      if (step === undefined) text = `matches no step of the rolling sync: sync it by hand (${message})`;
      else if (current >= 0 && step > current && state !== "Healthy")
        text = `waiting for step ${current + 1} (${message})`;
      const old = before.get(app.name);
      const lastTransitionTime = old && old.status === state ? old.lastTransitionTime : now.toISOString();
      return {
        application: app.name,
        step: step === undefined ? "" : String(step + 1),
        status: state,
        message: text,
        lastTransitionTime,
      };
    })
    .sort((a, b) => (a.application < b.application ? -1 : a.application > b.application ? 1 : 0));
  return { statuses, sync, progressing: byStep.some((a) => a.step !== undefined && a.state !== "Healthy") };
}
