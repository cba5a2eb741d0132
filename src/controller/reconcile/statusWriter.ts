// Every status write of a reconcile, and its last step: the status (if it changed), then the
// request annotations it handled. Both writes carry the resourceVersion of the app as this
// reconcile last wrote it: if the user changed anything since (even re-setting the same request
// annotation), the write conflicts and the queue runs the reconcile again, so a request is never
// swallowed. Every write first passes sharding's fence check.
import { CONDITION_REASONS, type ConditionReason } from "../../engine/errors.js";
import { ITEM_MESSAGE_BYTES, fitStatus, truncateText } from "../../engine/status/budget.js";
import { findCondition, setCondition, statusesEqual } from "../../engine/status/conditions.js";
import { kubeErrorMessage as errorMessage, errorStatus } from "../../kube/client.js";
import type { Application, ApplicationStatus } from "../../model/application.js";
import { appKeyOf } from "../applications.js";
import type { ReconcilerDeps } from "./deps.js";

/** Condition: the last status write was refused (the status shown is older than the app's state). */
export const STATUS_WRITE_FAILED = "StatusWriteFailed";

type Deps = Pick<ReconcilerDeps, "apps" | "events" | "clock" | "log" | "fence">;

/**
 * Writes a status, fitted first (engine/status/budget.ts). A write the apiserver refuses for
 * another reason than a conflict (too large, an admission policy, a validation error) would
 * otherwise fail silently on every retry while the app shows an old state: it becomes a
 * StatusWriteFailed condition, written in a small second write (the stored status plus that
 * condition), and a Warning Event; the error is rethrown, so the queue retries with its
 * exponential backoff rather than at once.
 */
export async function writeStatus(
  deps: Deps,
  app: Application,
  status: ApplicationStatus,
): Promise<Application> {
  deps.fence?.check(appKeyOf(app));
  try {
    return await deps.apps.writeStatus(app, fitStatus(status));
  } catch (error) {
    if (errorStatus(error) === 409) throw error;
    const code = errorStatus(error);
    const text = truncateText(
      `status could not be written${code ? ` (HTTP ${code})` : ""}: ${errorMessage(error)}`,
      ITEM_MESSAGE_BYTES,
    );
    const stored = app.status ?? {};
    if (findCondition(stored.conditions, STATUS_WRITE_FAILED)?.message !== text)
      deps.events.record(app, "Warning", STATUS_WRITE_FAILED, text);
    const reason: ConditionReason = CONDITION_REASONS.WriteRejected;
    const conditions = setCondition(
      stored.conditions,
      { type: STATUS_WRITE_FAILED, status: "True", reason, message: text },
      deps.clock(),
    );
    await deps.apps.writeStatus(app, fitStatus({ ...stored, conditions })).catch((second: unknown) => {
      deps.log(
        `${appKeyOf(app)}: the StatusWriteFailed condition could not be written either: ${errorMessage(second)}`,
      );
    });
    throw new Error(`${appKeyOf(app)}: ${text}`, { cause: error });
  }
}

/** Writes the status if it changed, then removes the request annotations this reconcile handled. */
export async function finish(
  deps: Deps,
  app: Application,
  previous: ApplicationStatus,
  status: ApplicationStatus,
  handledRequests: readonly string[],
): Promise<void> {
  let current = app;
  // A quiet reconcile writes nothing; one that answers a user's request (refresh, sync) records
  // reconciledAt even when nothing else changed, so they can see it was looked at.
  // Compared as it would be written (texts capped, within the budget): a status that only fits
  // when trimmed must not look changed on every reconcile.
  const fitted = statusesEqual(previous, status) ? status : fitStatus(status);
  if (!statusesEqual(previous, fitted) || handledRequests.length > 0)
    current = await writeStatus(deps, current, fitted);
  if (handledRequests.length > 0) await deps.apps.removeAnnotations(current, handledRequests);
}
