// A reconcile that stops before the plan (invalid spec, unknown cluster, project refusal, a failed
// source, render or watch): the status says why, nothing is applied or pruned anywhere.
import type { ApplicationStatus } from "../../model/application.js";
import { CONDITION_REASONS, type ConditionReason, type ErrorReason } from "../errors.js";
import { findCondition, setCondition } from "../status/conditions.js";
import type { PlanEvent } from "./events.js";

/** The spec cannot be acted on: InvalidSpec, sync status Unknown. */
export function invalidSpec(status: ApplicationStatus, message: string, now: Date): ApplicationStatus {
  const condition = {
    type: "InvalidSpec",
    status: "True" as const,
    reason: CONDITION_REASONS.InvalidSpec,
    message,
  };
  return {
    ...status,
    conditions: setCondition(status.conditions, condition, now),
    sync: unknownSync(status),
  };
}

export function unknownSync(status: ApplicationStatus): NonNullable<ApplicationStatus["sync"]> {
  return { ...status.sync, status: "Unknown" };
}

/** Source, render, cluster or watch failed: a ComparisonError (an Event when its text is new). */
export function comparisonFailed(input: {
  readonly status: ApplicationStatus;
  readonly previous: ApplicationStatus;
  readonly reason: ConditionReason | ErrorReason;
  readonly message: string;
  readonly now: Date;
}): { status: ApplicationStatus; events: PlanEvent[] } {
  const { previous, reason, message, now } = input;
  const condition = { type: "ComparisonError", status: "True" as const, reason, message };
  const events: PlanEvent[] =
    findCondition(previous.conditions, "ComparisonError")?.message !== message
      ? [{ type: "Warning", reason: "ComparisonError", message }]
      : [];
  return {
    status: { ...input.status, conditions: setCondition(input.status.conditions, condition, now) },
    events,
  };
}
