// Rollback as a pure decision: which revision the app must be at, given its status and the
// request annotation. A rollback pins the app to a history entry's revision and pauses following
// Git, until the spec changes or the user asks to resume (`tether.dev/rollback: cancel`).
import type { ApplicationStatus, RollbackState } from "../../model/application.js";
import { shortRevision } from "../../model/revision.js";

export type RollbackDecision =
  | { readonly kind: "none" }
  | { readonly kind: "active"; readonly state: RollbackState; readonly requested: boolean }
  | { readonly kind: "invalid"; readonly message: string };

export function decideRollback(input: {
  readonly status: ApplicationStatus;
  readonly generation: number | undefined;
  /** The annotation's value, when present. */
  readonly request: string | undefined;
  readonly now: Date;
}): RollbackDecision {
  const { status, generation, request } = input;
  if (request !== undefined) {
    const wanted = request.trim();
    if (wanted === "" || wanted === "cancel") return { kind: "none" };
    const entry = (status.history ?? []).find(
      (h) => String(h.id) === wanted || (wanted.length >= 7 && h.revision.startsWith(wanted)),
    );
    if (!entry) {
      const known =
        (status.history ?? []).map((h) => `${h.id} (${shortRevision(h.revision)})`).join(", ") || "none";
      return {
        kind: "invalid",
        message: `annotation tether.dev/rollback "${wanted}": no such history entry (known: ${known})`,
      };
    }
    return {
      kind: "active",
      requested: true,
      state: { id: entry.id, revision: entry.revision, generation, requestedAt: input.now.toISOString() },
    };
  }
  const current = status.rollback;
  if (!current || current.generation !== generation) return { kind: "none" };
  return { kind: "active", state: current, requested: false };
}
