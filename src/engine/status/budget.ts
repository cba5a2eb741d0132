// What an Application's status may hold, so that it can always be written. Its text comes from Git
// (commit messages and authors), from the spec (sources copied into history) and from tools and
// the apiserver (error messages): any of it can be as large as its author likes, and one status
// that does not fit in etcd (1.5 MiB per request) freezes the app: the sync happened, but the
// status keeps the old revision and no condition can say why. So every text is capped as it is
// stored (marked as cut, with its full size), and the whole status is kept under a budget by
// dropping, in order, what matters least: old history, the last operation's per-object results,
// per-object diff paths. Pure and idempotent: fitting a fitted status changes nothing (so an
// unchanged app still costs no write).
import type {
  ApplicationStatus,
  Condition,
  HistoryEntry,
  OperationState,
  ResourceStatus,
  RevisionInfo,
} from "../../model/application.js";

/** The serialized status stays under this: well below etcd's 1.5 MiB, with room for spec and metadata. */
export const STATUS_BUDGET_BYTES = 512 * 1024;
/** A commit message keeps its subject (up to SUBJECT_BYTES) and this much more. */
export const COMMIT_BODY_BYTES = 2 * 1024;
export const SUBJECT_BYTES = 1024;
export const AUTHOR_BYTES = 256;
/** A condition or an operation message: room for a few full error messages. */
export const MESSAGE_BYTES = 4 * 1024;
/** Per-object texts (resource, result, hook, policy violation, health): one error each. */
export const ITEM_MESSAGE_BYTES = 1024;
const PATH_BYTES = 256;

const encoder = new TextEncoder();

function byteLength(text: string): number {
  return encoder.encode(text).length;
}

/** The longest prefix of `text` of at most `bytes` UTF-8 bytes, never splitting a character. */
function prefixBytes(text: string, bytes: number): string {
  let used = 0;
  let end = 0;
  for (const ch of text) {
    const size = encoder.encode(ch).length;
    if (used + size > bytes) break;
    used += size;
    end += ch.length;
  }
  return text.slice(0, end);
}

/**
 * `text` if it fits in `maxBytes` (UTF-8), else its beginning with a marker saying it was cut and
 * how large it was. The result always fits, so a second call returns it unchanged.
 */
export function truncateText(text: string, maxBytes: number): string {
  // A UTF-16 unit is at most 3 bytes of UTF-8 (a surrogate pair, two units, is 4): no need to count.
  if (text.length * 3 <= maxBytes) return text;
  const size = byteLength(text);
  if (size <= maxBytes) return text;
  const marker = ` … [truncated: ${size} bytes]`;
  return prefixBytes(text, Math.max(0, maxBytes - byteLength(marker))) + marker;
}

function cap(text: string | undefined, maxBytes: number): string | undefined {
  return text === undefined ? undefined : truncateText(text, maxBytes);
}

/** A commit message as status keeps it: the subject (first line, capped) plus COMMIT_BODY_BYTES. */
export function truncateCommitMessage(message: string): string {
  const newline = message.indexOf("\n");
  const subject = byteLength(newline < 0 ? message : message.slice(0, newline));
  return truncateText(message, Math.min(subject, SUBJECT_BYTES) + 1 + COMMIT_BODY_BYTES);
}

/** Commit author and message as status keeps them (revisionInfo and history). */
export function fitRevisionInfo<T extends RevisionInfo>(info: T): T {
  const author = info.author === undefined ? undefined : truncateText(info.author, AUTHOR_BYTES);
  const message = info.message === undefined ? undefined : truncateCommitMessage(info.message);
  if (author === info.author && message === info.message) return info;
  return { ...info, author, message };
}

function fitCondition(c: Condition): Condition {
  const message = truncateText(c.message, MESSAGE_BYTES);
  const reason = truncateText(c.reason, PATH_BYTES);
  return message === c.message && reason === c.reason ? c : { ...c, message, reason };
}

function fitResource(r: ResourceStatus): ResourceStatus {
  const message = cap(r.message, ITEM_MESSAGE_BYTES);
  const health =
    r.health?.message !== undefined
      ? { ...r.health, message: cap(r.health.message, ITEM_MESSAGE_BYTES) }
      : r.health;
  const diff = r.diff?.map((p) => truncateText(p, PATH_BYTES));
  const same =
    message === r.message &&
    health?.message === r.health?.message &&
    (diff ?? []).every((p, i) => p === r.diff?.[i]);
  return same ? r : { ...r, message, health, diff };
}

function fitOperation(op: OperationState): OperationState {
  const item = <T extends { message?: string }>(x: T): T => {
    const message = cap(x.message, ITEM_MESSAGE_BYTES);
    return message === x.message ? x : { ...x, message };
  };
  return {
    ...op,
    message: cap(op.message, MESSAGE_BYTES),
    failure: cap(op.failure, MESSAGE_BYTES),
    ...(op.results ? { results: op.results.map(item) } : {}),
    ...(op.hooks ? { hooks: op.hooks.map(item) } : {}),
  };
}

/** Every text of the status capped; nothing dropped. */
export function capStatusText(status: ApplicationStatus): ApplicationStatus {
  const { conditions, resources, operationState: op, history, revisionInfo, health } = status;
  const violations = status.policyViolations;
  return {
    ...status,
    ...(conditions ? { conditions: conditions.map(fitCondition) } : {}),
    ...(resources ? { resources: resources.map(fitResource) } : {}),
    ...(op ? { operationState: fitOperation(op) } : {}),
    ...(history ? { history: history.map((h) => fitRevisionInfo(h)) } : {}),
    ...(revisionInfo ? { revisionInfo: fitRevisionInfo(revisionInfo) } : {}),
    ...(health?.message !== undefined
      ? { health: { ...health, message: cap(health.message, MESSAGE_BYTES) } }
      : {}),
    ...(violations
      ? {
          policyViolations: violations.map((v) => ({
            ...v,
            message: truncateText(v.message, ITEM_MESSAGE_BYTES),
          })),
        }
      : {}),
  };
}

export function statusBytes(status: ApplicationStatus): number {
  return encoder.encode(JSON.stringify(status)).length;
}

/** The ways to shrink a status, least valuable first; each returns a smaller status or undefined. */
const shrinkers: readonly ((s: ApplicationStatus) => ApplicationStatus | undefined)[] = [
  // Old history first (one at a time): the newest entry is what the app is at.
  (s) => ((s.history?.length ?? 0) > 1 ? { ...s, history: (s.history ?? []).slice(1) } : undefined),
  // The last operation's per-object results: its message and phase stay.
  (s) =>
    s.operationState?.results?.length
      ? { ...s, operationState: { ...s.operationState, results: [] } }
      : undefined,
  (s) =>
    s.resources?.some((r) => r.diff)
      ? { ...s, resources: s.resources?.map(({ diff: _d, ...r }) => r) }
      : undefined,
  // The source copied into the remaining history entry (inline Helm values can be large).
  (s) =>
    s.history?.some((h) => h.source)
      ? { ...s, history: s.history?.map(({ source: _s, ...h }): HistoryEntry => h) }
      : undefined,
  (s) => (s.policyViolations?.length ? { ...s, policyViolations: [] } : undefined),
  // A copy of the spec's source (read by nothing but people); the spec itself holds it.
  (s) =>
    s.sync?.comparedTo ? { ...s, sync: { status: s.sync.status, revision: s.sync.revision } } : undefined,
];

/**
 * The status capped and, if still over `budget` bytes, shrunk until it fits (or nothing more can go:
 * the write may then fail, and the failure is reported as a condition by the caller).
 */
export function fitStatus(status: ApplicationStatus, budget = STATUS_BUDGET_BYTES): ApplicationStatus {
  let fitted = capStatusText(status);
  let size = statusBytes(fitted);
  for (const shrink of shrinkers) {
    while (size > budget) {
      const smaller = shrink(fitted);
      if (!smaller) break;
      fitted = smaller;
      size = statusBytes(fitted);
    }
  }
  return fitted;
}
