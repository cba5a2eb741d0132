// The decisions of one reconcile, as a value: given what the reconcile observed (the app, the
// resolved revision, the comparison with the cluster, the gates' verdicts, the user's requests and
// the clock), which conditions hold, whether an operation starts, continues, is refused or skipped
// and why, what it applies and prunes, which Events to record and which request annotations are
// handled. Pure: the controller observes before it and executes after it
// (src/controller/reconcile.ts); ./conclude.ts turns what the execution did into the final status.
import type { Condition, OperationState } from "../../model/application.js";
import { CONDITION_REASONS } from "../errors.js";
import { operationId } from "../apply/operation.js";
import { pruneCandidates, refusedDeletions } from "../prune/candidates.js";
import { trackedApp } from "../prune/ownership.js";
import { groupOf } from "../../model/ref.js";
import { findCondition, removeCondition, setCondition } from "../status/conditions.js";
import { isSelected } from "../status/syncrequest.js";
import { ROLLBACK_ANNOTATION, SYNC_ANNOTATION } from "../../model/contract.js";
import { decideOperation, POLICY_STEP, skipReason } from "./decide.js";
import type { PlanEvent } from "./events.js";
import { judgeGates, POLICY_VIOLATION, policyRefusal } from "./gate.js";
import type { OperationPlan, Plan, PlanComparison, PlanInput } from "./types.js";
import { shortRevision } from "../../model/revision.js";

/** Condition: objects carrying this app's marks that its project refuses (kept, never deleted). */
export const DELETION_NOT_PERMITTED = "DeletionNotPermitted";
export const SHARED_RESOURCE_WARNING = "SharedResourceWarning";
export const SELF_HEAL_BACKOFF = "SelfHealBackoff";

const describe = (d: { kind: string; namespace?: string; name: string }) =>
  `${d.kind} ${d.namespace ? `${d.namespace}/` : ""}${d.name}`;

const refOf = (d: { apiVersion: string; kind: string; namespace?: string; name: string }) => ({
  group: groupOf(d.apiVersion),
  kind: d.kind,
  namespace: d.namespace,
  name: d.name,
});

export function planReconcile<C extends PlanComparison>(input: PlanInput<C>): Plan<C> {
  const { app, key, previous, now, comparisons, requests } = input;
  const events: PlanEvent[] = [];
  let conditions: Condition[] = [...(input.status.conditions ?? [])];
  const automated = app.spec.syncPolicy?.automated;

  const inventory = pruneCandidates({
    app: key,
    installationId: input.installationId,
    desired: comparisons.map((c) => c.desired.object),
    live: input.pruneCandidates,
    project: { name: input.project.name, project: input.project.project, placement: input.project.placement },
  });
  // Marked objects outside the project are kept: say so once (a forged mark is an attack signal).
  const refused = refusedDeletions(inventory);
  if (refused) {
    const condition = {
      type: DELETION_NOT_PERMITTED,
      status: "True" as const,
      reason: CONDITION_REASONS.NotPermittedByProject,
      message: refused,
    };
    conditions = setCondition(conditions, condition, now);
    if (findCondition(previous.conditions, DELETION_NOT_PERMITTED)?.message !== refused)
      events.push({ type: "Warning", reason: DELETION_NOT_PERMITTED, message: refused });
  } else {
    conditions = removeCondition(conditions, DELETION_NOT_PERMITTED);
  }
  const emptyRenderGuard = comparisons.length === 0 && !automated?.allowEmpty;

  const compareErrors = comparisons.flatMap((c) => (c.error ? [c.error] : []));
  conditions =
    compareErrors.length > 0
      ? setCondition(
          conditions,
          {
            type: "ComparisonError",
            status: "True",
            reason: CONDITION_REASONS.DryRunFailed,
            message: compareErrors.join("; "),
          },
          now,
        )
      : removeCondition(conditions, "ComparisonError");

  // An object another app of this installation owns (its tracking annotation names that app) is
  // not this app's to change or adopt silently: report it (Argo CD's SharedResourceWarning).
  const sharedWith: Record<string, string> = {};
  for (const c of comparisons) {
    const owner = c.live ? trackedApp(c.live) : undefined;
    if (owner !== undefined && owner !== key) sharedWith[c.desired.key] = owner;
  }
  const claimed = (c: C) => sharedWith[c.desired.key] !== undefined;
  const shared = comparisons
    .filter(claimed)
    .map((c) => `${describe(c.desired)} is managed by application ${sharedWith[c.desired.key] ?? ""}`);
  if (shared.length > 0) {
    const message = shared.join("; ");
    conditions = setCondition(
      conditions,
      { type: SHARED_RESOURCE_WARNING, status: "True", reason: CONDITION_REASONS.SharedResource, message },
      now,
    );
    if (!previous.conditions?.some((c) => c.type === SHARED_RESOURCE_WARNING))
      events.push({ type: "Warning", reason: SHARED_RESOURCE_WARNING, message });
  } else {
    conditions = removeCondition(conditions, SHARED_RESOURCE_WARNING);
  }
  const outOfSync = comparisons.filter((c) => c.result.status === "OutOfSync" || claimed(c));
  const pruneNeeded = inventory.filter((d) => d.action === "delete");
  const syncStatus = outOfSync.length > 0 || pruneNeeded.length > 0 ? "OutOfSync" : "Synced";

  const gate = judgeGates({
    app: { name: app.metadata.name, namespace: app.metadata.namespace ?? "" },
    scope: input.project,
    rendered: input.rendered,
    dependencies: input.dependencies,
    policy: input.policy,
    manualRequested: requests.syncRequested,
    conditions,
    now,
  });
  conditions = gate.conditions;
  events.push(...gate.events);
  const decisionInput = {
    policy: app.spec.syncPolicy,
    requested: requests.syncRequested,
    outOfSync: syncStatus === "OutOfSync",
    revision: input.revision,
    last: previous.operationState,
    gate,
  };
  const verdict = decideOperation({ ...decisionInput, now });
  const { continuing, superseded, initiatedBy } = verdict;

  let operationState = input.status.operationState;
  let refusal: OperationState | undefined;
  if (verdict.refusedByPolicy) {
    // The sync that would run now is answered with a Failed operation, so a user (or a CI waiting
    // on the app) sees the refusal; it is not retried at this revision until the gate opens.
    const message = `refused by the policy gate: ${policyRefusal(conditions)}`;
    refusal = {
      phase: "Failed",
      revision: input.revision,
      startedAt: now.toISOString(),
      finishedAt: now.toISOString(),
      initiatedBy: verdict.refusedByPolicy.initiatedBy,
      retryCount: verdict.refusedByPolicy.retryCount,
      step: POLICY_STEP,
      message,
    };
    operationState = refusal;
    conditions = setCondition(
      conditions,
      { type: "SyncError", status: "True", reason: CONDITION_REASONS.PolicyViolation, message },
      now,
    );
    events.push({
      type: "Warning",
      reason: "SyncFailed",
      message: `sync of ${shortRevision(input.revision)} ${message}`,
    });
  } else if (!gate.policyBlocked && findCondition(conditions, "SyncError")?.reason === POLICY_VIOLATION) {
    conditions = removeCondition(conditions, "SyncError");
  }

  const chosen = continuing ? continuing.request?.resources : requests.selection;
  let apply = (input.syncOptions.applyOutOfSyncOnly ? outOfSync : comparisons).filter(
    (c) => !c.error && !claimed(c) && isSelected(chosen, refOf(c.desired)),
  );
  const healPaused: string[] = [];
  if (verdict.selfHeal) {
    // Self-heal of drift at an already-synced revision: guard against another writer fighting us.
    const paused = apply.filter((c) => input.healPaused[c.desired.key] !== undefined);
    apply = apply.filter((c) => input.healPaused[c.desired.key] === undefined);
    if (paused.length > 0) {
      healPaused.push(...paused.map((c) => c.desired.key));
      const message = paused
        .map(
          (c) =>
            `${describe(c.desired)} keeps changing (last by ${input.healPaused[c.desired.key] ?? ""}); self-heal paused for it`,
        )
        .join("; ");
      conditions = setCondition(
        conditions,
        { type: SELF_HEAL_BACKOFF, status: "True", reason: CONDITION_REASONS.FieldManagerConflict, message },
        now,
      );
      if (!previous.conditions?.some((c) => c.type === SELF_HEAL_BACKOFF))
        events.push({ type: "Warning", reason: SELF_HEAL_BACKOFF, message });
    }
  } else {
    conditions = removeCondition(conditions, SELF_HEAL_BACKOFF);
  }
  // An empty render with objects to prune looks exactly like a broken render: prune nothing, say why.
  const emptyRenderBlocked = emptyRenderGuard && pruneNeeded.length > 0;
  if (initiatedBy && emptyRenderBlocked) {
    const message = `the render is empty: refusing to prune ${pruneNeeded.length} object(s) (set spec.syncPolicy.automated.allowEmpty=true to allow)`;
    conditions = setCondition(
      conditions,
      { type: "SyncError", status: "True", reason: CONDITION_REASONS.EmptyRender, message },
      now,
    );
  } else if (findCondition(conditions, "SyncError")?.reason === CONDITION_REASONS.EmptyRender) {
    conditions = removeCondition(conditions, "SyncError");
  }

  const startsNew =
    !continuing &&
    initiatedBy !== undefined &&
    (apply.length > 0 ||
      (pruneNeeded.length > 0 && !emptyRenderBlocked) ||
      requests.syncRequested ||
      superseded !== undefined);
  let operation: OperationPlan;
  if (continuing) {
    const id = continuing.id ?? operationId(continuing.revision, continuing.startedAt);
    operation = { kind: "continue", op: { ...continuing, id } };
  } else if (startsNew) {
    const startedAt = now.toISOString();
    const op: OperationState = {
      phase: "Running",
      id: operationId(input.revision, startedAt),
      revision: input.revision,
      startedAt,
      initiatedBy: initiatedBy ?? "auto",
      retryCount: verdict.retryCount,
      request:
        requests.prune !== undefined || requests.selection
          ? { prune: requests.prune, resources: requests.selection?.map((r) => ({ ...r })) }
          : undefined,
    };
    operation = { kind: "start", op, supersedes: superseded };
    if (superseded)
      events.push({
        type: "Normal",
        reason: "SyncSuperseded",
        message: `sync of ${shortRevision(superseded.revision)} stopped (${superseded.step ?? "running"}): ${shortRevision(input.revision)} is newer`,
      });
    // Recorded as the intent first: a crash mid-sync leaves a Running operation to resume.
    operationState = op;
  } else if (refusal) {
    operation = { kind: "refuse", op: refusal };
  } else {
    operation = { kind: "skip", why: skipReason({ ...decisionInput, verdict }) };
  }

  const running = operation.kind === "continue" || operation.kind === "start" ? operation.op : undefined;
  // Automatic syncs prune per the policy; a manual sync prunes when it asks to (like Argo CD's
  // sync dialog), defaulting to the policy; a rollback follows the policy.
  const pruneAllowed = running?.request?.prune ?? automated?.prune ?? false;
  const prune = running
    ? (emptyRenderGuard ? inventory.filter((d) => d.action === "keep") : inventory).filter((d) =>
        isSelected(running.request?.resources, {
          group: groupOf(d.object.apiVersion),
          kind: d.object.kind ?? "",
          namespace: d.object.metadata?.namespace,
          name: d.object.metadata?.name ?? "",
        }),
      )
    : [];
  const status = { ...input.status, conditions, operationState };
  if (gate.policyViolations) status.policyViolations = gate.policyViolations;
  else delete status.policyViolations;
  return {
    status,
    syncStatus,
    operation,
    verdict,
    apply: running ? apply : [],
    prune,
    pruneAllowed,
    inventory,
    sharedWith,
    emptyRenderBlocked,
    healPaused,
    retryLimit: app.spec.syncPolicy?.retry?.limit ?? 0,
    events,
    // A refused manual request stays pending (its annotation kept) until the gate opens.
    handled: gate.manualRefused
      ? requests.handled.filter((a) => a !== SYNC_ANNOTATION && a !== ROLLBACK_ANNOTATION)
      : [...requests.handled],
    windowOpensAt: gate.opensAt,
  };
}
