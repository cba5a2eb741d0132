// The first stage of a reconcile, before anything is fetched: the spec must be valid, the
// destination cluster known, the project must admit the app; then the user's requests are read.
// A refusal stops the reconcile with a status that says why (nothing applied or pruned anywhere).
import { validateIgnoreDifferences } from "../../engine/diff/index.js";
import { kubeErrorMessage as errorMessage } from "../../kube/client.js";
import type { PlanEvent } from "../../engine/plan/events.js";
import { invalidSpec, unknownSync } from "../../engine/plan/stopped.js";
import { removeCondition } from "../../engine/status/conditions.js";
import { readRequests, type AppRequests } from "../../engine/status/requests.js";
import { parseSyncOptions, type SyncOptions } from "../../engine/status/syncoptions.js";
import type { Application, ApplicationStatus } from "../../model/application.js";
import { validateApplication } from "../../engine/validate.js";
import type { ClusterTarget } from "../clusters.js";
import { admitToProject, type Admission } from "../policy.js";
import type { ReconcilerDeps } from "./deps.js";
import { STATUS_WRITE_FAILED } from "./statusWriter.js";

export type Admitted =
  | { readonly ok: false; readonly status: ApplicationStatus; readonly events: readonly PlanEvent[] }
  | {
      readonly ok: true;
      readonly status: ApplicationStatus;
      readonly events: readonly PlanEvent[];
      readonly cluster: ClusterTarget;
      readonly admission: Extract<Admission, { ok: true }>;
      readonly requests: AppRequests;
      readonly syncOptions: SyncOptions;
    };

export function admit(deps: ReconcilerDeps, key: string, app: Application, now: Date): Admitted {
  const previous: ApplicationStatus = app.status ?? {};
  let status: ApplicationStatus = {
    ...previous,
    reconciledAt: now.toISOString(),
    observedGeneration: app.metadata.generation,
    // Set only by a refused write (statusWriter.ts): the next write that succeeds clears it.
    conditions: removeCondition(previous.conditions, STATUS_WRITE_FAILED),
  };
  const { options: syncOptions, errors: optionErrors } = parseSyncOptions(app.spec?.syncPolicy);
  const invalid = [
    ...validateApplication(app, { localServers: deps.localServers, clusters: deps.knownClusters() }),
    ...optionErrors,
  ];
  try {
    validateIgnoreDifferences(app.spec?.ignoreDifferences);
  } catch (error) {
    invalid.push(errorMessage(error));
  }
  if (invalid.length > 0)
    return { ok: false, status: invalidSpec(status, invalid.join("; "), now), events: [] };
  status.conditions = removeCondition(status.conditions, "InvalidSpec");

  // The destination cluster: its clients, watches and comparer are all this reconcile uses.
  const target = deps.clusterFor(app);
  if (!target.ok) return { ok: false, status: invalidSpec(status, target.message, now), events: [] };
  const cluster = target.cluster;
  deps.releaseApp(key, cluster);

  // The project must exist and allow this app's namespace, repository and destination before
  // anything is fetched for it; it judges the destination with both server and name filled in.
  const placed = {
    ...app,
    spec: {
      ...app.spec,
      destination: { ...app.spec.destination, server: cluster.server, name: cluster.name },
    },
  };
  const admission = admitToProject({
    app: placed,
    projects: deps.projects,
    localServers: deps.localServers,
    conditions: status.conditions,
    now,
  });
  status.conditions = admission.conditions;
  if (!admission.ok)
    return { ok: false, status: { ...status, sync: unknownSync(status) }, events: admission.events };

  const requests = readRequests({
    annotations: app.metadata.annotations ?? {},
    previous,
    generation: app.metadata.generation,
    conditions: status.conditions,
    now,
  });
  status = { ...status, conditions: requests.conditions, rollback: requests.rolledBack };
  return { ok: true, status, events: admission.events, cluster, admission, requests, syncOptions };
}
