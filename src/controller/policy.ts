// The policy gate of a reconcile: the app's AppProject, its sync windows and its dependsOn, read
// from the controller's caches and judged by the pure functions in src/engine/policy. Two steps:
//   1. admission, before anything is fetched: the project exists and allows the app's namespace,
//      repository and destination;
//   2. before the sync decision: the rendered kinds and namespaces, the sync windows and the
//      dependencies. A closed gate lets nothing be applied or pruned; the app still shows what is
//      OutOfSync, a condition says why, and a manual sync request stays pending (its annotation is
//      kept) until the gate opens.
import { type AppProject, DEFAULT_PROJECT } from "../model/appproject.js";
import type { Application, Condition } from "../model/application.js";
import { ROLLBACK_ANNOTATION, SYNC_ANNOTATION } from "../model/contract.js";
import { groupOf } from "../model/ref.js";
import { type DependencyNode, dependencyKeys, evaluateDependencies } from "../engine/policy/dependencies.js";
import { type Placement, checkAdmission, checkResources, placementOf } from "../engine/policy/project.js";
import { evaluateSyncWindows } from "../engine/policy/syncwindows.js";
import { findCondition, removeCondition, setCondition } from "../engine/status/conditions.js";
import type { SyncDecision } from "../engine/status/syncdecision.js";
import type { ProjectLookup } from "./projects.js";

export const PROJECT_VIOLATION = "ProjectViolation";
export const SYNC_WINDOW_CLOSED = "SyncWindowClosed";
export const WAITING_FOR_DEPENDENCIES = "WaitingForDependencies";
export const DEPENDENCY_CYCLE = "DependencyCycle";

type Record = (reason: string, message: string) => void;

export const projectName = (app: Application): string => app.spec?.project || DEFAULT_PROJECT;

/** Sets a blocking condition, recording a Warning Event when its message is new. */
function raise(
  conditions: Condition[],
  type: string,
  reason: string,
  message: string,
  now: Date,
  record: Record,
): Condition[] {
  if (findCondition(conditions, type)?.message !== message) record(type, message);
  return setCondition(conditions, { type, status: "True", reason, message }, now);
}

export type Admission =
  | {
      readonly ok: true;
      readonly project: AppProject;
      readonly placement: Placement;
      readonly conditions: Condition[];
    }
  | { readonly ok: false; readonly conditions: Condition[] };

/** Step 1: may this app use its project, repository and destination at all? */
export function admitToProject(input: {
  readonly app: Application;
  readonly projects: ProjectLookup;
  readonly localServers?: readonly string[];
  readonly conditions: readonly Condition[] | undefined;
  readonly now: Date;
  readonly record: Record;
}): Admission {
  const { app, now } = input;
  const name = projectName(app);
  const project = input.projects.get(name);
  const appNamespace = app.metadata.namespace ?? "";
  const placement = placementOf(app.spec.destination, appNamespace || "default", input.localServers);
  const violations = checkAdmission({
    projectName: name,
    project,
    placement,
    systemNamespace: input.projects.namespace,
    app: { name: app.metadata.name, namespace: appNamespace, repoURL: app.spec.source.repoURL },
  });
  let conditions = [...(input.conditions ?? [])];
  if (!project || violations.length > 0) {
    const reason = violations[0]?.reason ?? "ProjectNotFound";
    const message = violations.map((v) => v.message).join("; ");
    return {
      ok: false,
      conditions: raise(conditions, PROJECT_VIOLATION, reason, message, now, input.record),
    };
  }
  // A refused rendered object is step 2's to clear (it needs the render).
  if (findCondition(conditions, PROJECT_VIOLATION)?.reason !== "ResourceNotPermitted")
    conditions = removeCondition(conditions, PROJECT_VIOLATION);
  return { ok: true, project, placement, conditions };
}

export interface PolicyGate {
  readonly conditions: Condition[];
  /** The sync decision with what the gate refuses taken out (nothing applied, nothing pruned). */
  permit(decision: SyncDecision): SyncDecision;
  /** `initiatedBy` if the gate lets that kind of sync through now, else undefined. */
  allow(initiatedBy: "auto" | "manual" | undefined): "auto" | "manual" | undefined;
  /** The request annotations to remove: a refused manual sync request is kept, pending. */
  handled(annotations: readonly string[]): string[];
  /** The requeue delay, shortened to the moment a closed sync window opens. */
  requeueAfter(ms: number | undefined): number | undefined;
}

/** Step 2, before the sync decision: rendered kinds, sync windows, dependencies. */
export function policyGate(input: {
  readonly key: string;
  readonly app: Application;
  readonly admission: Extract<Admission, { ok: true }>;
  readonly desired: readonly { apiVersion: string; kind: string; namespace?: string; name: string }[];
  readonly apps: { get(key: string): Application | undefined };
  /** A manual sync (annotation or rollback) was asked for. */
  readonly manualRequested: boolean;
  readonly conditions: readonly Condition[] | undefined;
  readonly now: Date;
  readonly record: Record;
}): PolicyGate {
  const { key, app, now, record } = input;
  const { project, placement } = input.admission;
  const name = projectName(app);
  const pending = input.manualRequested ? "; the manual sync request stays pending until then" : "";
  let conditions = [...(input.conditions ?? [])];
  let blocksAll = false;

  const objects = input.desired.map((d) => ({
    group: groupOf(d.apiVersion),
    kind: d.kind,
    namespace: d.namespace,
    name: d.name,
  }));
  const violations = checkResources({ projectName: name, project, placement, objects });
  if (violations.length > 0) {
    blocksAll = true;
    const message = `${violations.map((v) => v.message).join("; ")}; nothing is applied or pruned${pending}`;
    conditions = raise(
      conditions,
      PROJECT_VIOLATION,
      violations[0]?.reason ?? "ResourceNotPermitted",
      message,
      now,
      record,
    );
  } else {
    conditions = removeCondition(conditions, PROJECT_VIOLATION);
  }

  const nodeOf = (a: Application): DependencyNode => ({
    dependsOn: dependencyKeys(a.metadata.namespace ?? "", a.spec?.dependsOn),
    sync: a.status?.sync?.status,
    health: a.status?.health?.status,
    generation: a.metadata.generation,
    observedGeneration: a.status?.observedGeneration,
  });
  const deps = evaluateDependencies(key, (k) => {
    const other = k === key ? app : input.apps.get(k);
    return other ? nodeOf(other) : undefined;
  });
  conditions =
    deps.kind === "cycle"
      ? raise(conditions, DEPENDENCY_CYCLE, "DependencyCycle", deps.message, now, record)
      : removeCondition(conditions, DEPENDENCY_CYCLE);
  if (deps.kind === "waiting") {
    const missing = deps.blockers.some((b) => b.state === "not found");
    conditions = setCondition(
      conditions,
      {
        type: WAITING_FOR_DEPENDENCIES,
        status: "True",
        reason: missing ? "DependencyNotFound" : "DependenciesNotReady",
        message: deps.message + pending,
      },
      now,
    );
  } else {
    conditions = removeCondition(conditions, WAITING_FOR_DEPENDENCIES);
  }
  if (deps.kind !== "ready") blocksAll = true;

  const windows = evaluateSyncWindows(
    project.spec?.syncWindows,
    {
      app: app.metadata.name,
      namespace: placement.namespace,
      server: placement.server,
      cluster: placement.name,
    },
    now,
  );
  if (!windows.autoAllowed) {
    const until = windows.opensAt
      ? `automated syncs wait until ${windows.opensAt.toISOString()}`
      : "no window opens within a year";
    const manual = windows.manualAllowed
      ? "manual syncs are allowed (manualSync)"
      : `manual syncs are refused too${pending}`;
    const message = `project "${name}": ${windows.reason ?? "sync window closed"}; ${until}; ${manual}`;
    conditions = setCondition(
      conditions,
      { type: SYNC_WINDOW_CLOSED, status: "True", reason: "SyncWindowClosed", message },
      now,
    );
  } else {
    conditions = removeCondition(conditions, SYNC_WINDOW_CLOSED);
  }

  const autoAllowed = !blocksAll && windows.autoAllowed;
  const manualAllowed = !blocksAll && windows.manualAllowed;
  const refusedManual = input.manualRequested && !manualAllowed;
  return {
    conditions,
    permit(decision) {
      const allowed = decision.initiatedBy === "manual" ? manualAllowed : autoAllowed;
      return decision.initiatedBy && !allowed
        ? { ...decision, initiatedBy: undefined, selfHeal: false, retryCount: 0 }
        : decision;
    },
    allow(initiatedBy) {
      if (!initiatedBy) return undefined;
      return (initiatedBy === "manual" ? manualAllowed : autoAllowed) ? initiatedBy : undefined;
    },
    handled(annotations) {
      return refusedManual
        ? annotations.filter((a) => a !== SYNC_ANNOTATION && a !== ROLLBACK_ANNOTATION)
        : [...annotations];
    },
    requeueAfter(ms) {
      if (windows.autoAllowed || !windows.opensAt) return ms;
      const untilOpen = Math.max(1_000, windows.opensAt.getTime() - now.getTime() + 500);
      return ms === undefined ? untilOpen : Math.min(ms, untilOpen);
    },
  };
}
