// The project gate of a reconcile, step 1: admission, before anything is fetched — the project
// exists and allows the app's namespace, repository and destination. Step 2 (the rendered objects,
// the sync windows, dependsOn) needs the render and is a verdict of the plan (src/engine/plan/gate.ts);
// the dependsOn apps are read from the controller's cache here (dependencyVerdict).
import type { AppProject } from "../model/appproject.js";
import { DEFAULT_PROJECT } from "../model/appproject.js";
import type { Application, Condition } from "../model/application.js";
import type { DependencyNode, DependencyVerdict } from "../engine/policy/dependencies.js";
import { dependencyKeys, evaluateDependencies } from "../engine/policy/dependencies.js";
import type { Placement } from "../engine/policy/project.js";
import { checkAdmission, placementOf } from "../engine/policy/project.js";
import { PROJECT_VIOLATION } from "../engine/plan/gate.js";
import type { PlanEvent } from "../engine/plan/events.js";
import { raise } from "../engine/plan/events.js";
import { findCondition, removeCondition } from "../engine/status/conditions.js";
import type { ProjectLookup } from "./projects.js";

export {
  DEPENDENCY_CYCLE,
  PROJECT_VIOLATION,
  SYNC_WINDOW_CLOSED,
  WAITING_FOR_DEPENDENCIES,
} from "../engine/plan/gate.js";

export const projectName = (app: Application): string => app.spec?.project || DEFAULT_PROJECT;

export type Admission =
  | {
      readonly ok: true;
      readonly project: AppProject;
      readonly placement: Placement;
      readonly conditions: Condition[];
      readonly events: PlanEvent[];
    }
  | { readonly ok: false; readonly conditions: Condition[]; readonly events: PlanEvent[] };

/** Step 1: may this app use its project, repository and destination at all? */
export function admitToProject(input: {
  readonly app: Application;
  readonly projects: ProjectLookup;
  readonly localServers?: readonly string[];
  readonly conditions: readonly Condition[] | undefined;
  readonly now: Date;
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
  const events: PlanEvent[] = [];
  if (!project || violations.length > 0) {
    const reason = violations[0]?.reason ?? "ProjectNotFound";
    const message = violations.map((v) => v.message).join("; ");
    conditions = raise(conditions, events, { type: PROJECT_VIOLATION, reason, message }, now);
    return { ok: false, conditions, events };
  }
  // A refused rendered object is step 2's to clear (it needs the render).
  if (findCondition(conditions, PROJECT_VIOLATION)?.reason !== "ResourceNotPermitted")
    conditions = removeCondition(conditions, PROJECT_VIOLATION);
  return { ok: true, project, placement, conditions, events };
}

/** Whether the apps this one depends on are Synced and Healthy, from the controller's app cache. */
export function dependencyVerdict(
  key: string,
  app: Application,
  apps: { get(key: string): Application | undefined },
): DependencyVerdict {
  const nodeOf = (a: Application): DependencyNode => ({
    dependsOn: dependencyKeys(a.metadata.namespace ?? "", a.spec?.dependsOn),
    sync: a.status?.sync?.status,
    health: a.status?.health?.status,
    generation: a.metadata.generation,
    observedGeneration: a.status?.observedGeneration,
  });
  return evaluateDependencies(key, (k) => {
    const other = k === key ? app : apps.get(k);
    return other ? nodeOf(other) : undefined;
  });
}
