// Sync windows with Argo CD's semantics. A window opens at each time its cron `schedule` fires and
// stays open for `duration`. For one app, only the windows that match it count (by app name,
// destination namespace or cluster):
//   - an active deny window blocks syncs (deny wins over allow);
//   - if the app has allow windows, it syncs only while one of them is active;
//   - `manualSync: true` lets a manual sync through a window that blocks (every active deny window
//     must say so; for allow windows, any of them).
// Pure: the clock is an argument.
import { Cron } from "croner";
import type { SyncWindow } from "../../model/appproject.js";
import { parseDuration } from "../../lib/duration.js";
import { globMatch } from "./glob.js";
import { errorMessage } from "../../lib/errormessage.js";

function cronOf(window: SyncWindow): Cron {
  return new Cron(window.schedule, { paused: true, mode: "5-part", timezone: window.timeZone || "UTC" });
}

/** A message per field that cannot be used, naming `spec.syncWindows[i].<field>`. */
export function validateSyncWindows(windows: readonly SyncWindow[] | undefined): string[] {
  const errors: string[] = [];
  (windows ?? []).forEach((w, i) => {
    const at = `spec.syncWindows[${i}]`;
    if (w.kind !== "allow" && w.kind !== "deny")
      errors.push(`${at}.kind "${String(w.kind)}" must be allow or deny`);
    const ms = parseDuration(w.duration ?? "");
    if (ms === undefined || ms <= 0)
      errors.push(`${at}.duration "${w.duration ?? ""}" is not a duration such as 1h or 30m`);
    if (w.timeZone) {
      try {
        new Intl.DateTimeFormat("en", { timeZone: w.timeZone });
      } catch {
        errors.push(`${at}.timeZone "${w.timeZone}" is not an IANA time zone`);
        return;
      }
    }
    try {
      cronOf(w);
    } catch (error) {
      errors.push(`${at}.schedule "${w.schedule ?? ""}": ${errorMessage(error)}`);
    }
  });
  return errors;
}

export interface WindowTarget {
  readonly app: string;
  readonly namespace: string;
  readonly server: string;
  readonly cluster: string;
}

/** The windows that apply to this app: any of its name, namespace or cluster matches. */
export function matchingWindows(
  windows: readonly SyncWindow[] | undefined,
  target: WindowTarget,
): { window: SyncWindow; index: number }[] {
  const any = (patterns: readonly string[] | undefined, ...values: string[]) =>
    (patterns ?? []).some((p) => values.some((v) => globMatch(p, v)));
  return (windows ?? [])
    .map((window, index) => ({ window, index }))
    .filter(
      ({ window: w }) =>
        any(w.applications, target.app) ||
        any(w.namespaces, target.namespace) ||
        any(w.clusters, target.server, target.cluster),
    );
}

/** How far ahead windows are followed: an end or an opening past it is "not within a year". */
const HORIZON_MS = 366 * 24 * 3_600_000;

/**
 * When the window is active at `now`, the instant it closes (overlapping occurrences joined, up to
 * 1000 of them and no further than the horizon: a window that never closes reports a far end
 * rather than looping).
 */
export function activeUntil(window: SyncWindow, now: Date): Date | undefined {
  const duration = parseDuration(window.duration) ?? 0;
  const cron = cronOf(window);
  // The last start at or before now: previousRuns excludes its reference, so look from now + 1 ms.
  const [start] = cron.previousRuns(1, new Date(now.getTime() + 1));
  if (!start || start.getTime() + duration <= now.getTime()) return undefined;
  let end = start.getTime() + duration;
  const horizon = now.getTime() + HORIZON_MS;
  for (
    let i = 0, next = cron.nextRun(now);
    next && next.getTime() <= end && end < horizon && i < 1_000;
    i++
  ) {
    end = next.getTime() + duration;
    next = cron.nextRun(next);
  }
  return new Date(end);
}

export interface WindowVerdict {
  /** Automated syncs (including self-heal) may run now. */
  readonly autoAllowed: boolean;
  readonly manualAllowed: boolean;
  /** What blocks, naming each window, when something does. */
  readonly reason?: string;
  /** The next instant at which automated syncs are allowed, when closed now (within a year). */
  readonly opensAt?: Date;
}

function describe(w: SyncWindow, index: number): string {
  return `spec.syncWindows[${index}] (${w.kind} "${w.schedule}" for ${w.duration}${w.timeZone ? ` ${w.timeZone}` : ""})`;
}

function verdictAt(
  windows: readonly { window: SyncWindow; index: number }[],
  now: Date,
): Omit<WindowVerdict, "opensAt"> {
  if (windows.length === 0) return { autoAllowed: true, manualAllowed: true };
  const active = windows.filter(({ window }) => activeUntil(window, now) !== undefined);
  const denies = active.filter(({ window }) => window.kind === "deny");
  if (denies.length > 0) {
    return {
      autoAllowed: false,
      manualAllowed: denies.every(({ window }) => window.manualSync === true),
      reason: `deny window ${denies.map(({ window, index }) => describe(window, index)).join(", ")} is active`,
    };
  }
  if (active.some(({ window }) => window.kind === "allow")) return { autoAllowed: true, manualAllowed: true };
  const allows = windows.filter(({ window }) => window.kind === "allow");
  if (allows.length === 0) return { autoAllowed: true, manualAllowed: true };
  return {
    autoAllowed: false,
    manualAllowed: allows.some(({ window }) => window.manualSync === true),
    reason: `no allow window is active (${allows.map(({ window, index }) => describe(window, index)).join(", ")})`,
  };
}

/** Whether this app may sync at `now` under the windows of its project, and if not, until when. */
export function evaluateSyncWindows(
  windows: readonly SyncWindow[] | undefined,
  target: WindowTarget,
  now: Date,
): WindowVerdict {
  const matching = matchingWindows(windows, target);
  const verdict = verdictAt(matching, now);
  if (verdict.autoAllowed) return verdict;
  // Step from boundary to boundary (a window starting or an active one ending) until open.
  let t = now;
  for (let step = 0; step < 200 && t.getTime() - now.getTime() < HORIZON_MS; step++) {
    // An active window's next boundary is its end: starts before it are joined into it, and
    // stepping through them (every minute for "* * * * *" over a window of a year) took a reconcile
    // a minute of CPU. An inactive window's next boundary is its next start.
    const boundaries = matching.flatMap(({ window }) => {
      const until = activeUntil(window, t);
      if (until) return [until];
      const next = cronOf(window).nextRun(t);
      return next ? [next] : [];
    });
    const next = boundaries
      .filter((d) => d.getTime() > t.getTime())
      .sort((a, b) => a.getTime() - b.getTime())[0];
    if (!next) break;
    t = next;
    if (verdictAt(matching, t).autoAllowed) return { ...verdict, opensAt: t };
  }
  return verdict;
}
