// Events a plan asks the controller to record, and the condition helper that raises one only when
// its message is new: an unchanged blocker must not repeat its Warning on every reconcile.
import type { Condition } from "../../model/application.js";
import type { ConditionReason } from "../errors.js";
import { findCondition, setCondition } from "../status/conditions.js";

export interface PlanEvent {
  readonly type: "Normal" | "Warning";
  readonly reason: string;
  readonly message: string;
}

/** Sets a True condition; a Warning Event (reason: the condition type) when its message is new. */
export function raise(
  conditions: readonly Condition[] | undefined,
  events: PlanEvent[],
  condition: { type: string; reason: ConditionReason; message: string },
  now: Date,
): Condition[] {
  const { type, reason, message } = condition;
  if (findCondition(conditions, type)?.message !== message)
    events.push({ type: "Warning", reason: type, message });
  return setCondition(conditions, { type, status: "True", reason, message }, now);
}
