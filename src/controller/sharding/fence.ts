// Fencing by this replica's own Lease: it may apply only while its last successful renewal was sent
// less than (duration − margin) ago by its monotonic clock. Another replica treats it as gone only
// once it has not seen a renewal for a whole duration by *its* clock, and it saw that renewal after
// it was sent: so this replica has stopped at least `margin` before anyone may take its apps
// (docs/architecture.md, "Sharding and fencing").
import type { ResourceClient } from "../../kube/resources.js";

export class FencedError extends Error {
  readonly reason = "Fenced";
}

/** Why this replica must not apply now, or undefined when its Lease is fresh. */
export function fenceReason(input: {
  /** Monotonic send time of the last renewal the apiserver accepted; undefined before the first. */
  readonly lastRenewSentMs: number | undefined;
  readonly durationMs: number;
  readonly marginMs: number;
  readonly nowMs: number;
}): string | undefined {
  const { lastRenewSentMs, durationMs, marginMs, nowMs } = input;
  if (lastRenewSentMs === undefined) return "its member Lease has not been written yet";
  const age = nowMs - lastRenewSentMs;
  if (age < durationMs - marginMs) return undefined;
  return `its member Lease was last renewed ${(age / 1000).toFixed(1)} s ago (applies stop at ${((durationMs - marginMs) / 1000).toFixed(1)} s)`;
}

const fencedClients = new WeakMap<ResourceClient, WeakMap<object, ResourceClient>>();

/** What a fenced client reports of each write it let through (for debug logs and tests). */
export type WriteObserver = (verb: "apply" | "replace" | "remove", what: string) => void;

function describeObject(o: { kind?: string; metadata?: { namespace?: string; name?: string } }): string {
  const ns = o.metadata?.namespace;
  return `${o.kind ?? "?"} ${ns ? `${ns}/` : ""}${o.metadata?.name ?? "?"}`;
}

/**
 * `resources` with every write (apply that is not a dry-run, replace, remove) checked by `check`
 * first, which throws when fenced. Reads and dry-runs pass: they change nothing. The same wrapper is
 * returned for the same pair, so caches keyed by the client's identity keep working.
 * A refused write is a rejected promise, as the wrapped methods fail.
 */
export function fencedResources(
  resources: ResourceClient,
  check: () => void,
  observe?: WriteObserver,
): ResourceClient {
  let byCheck = fencedClients.get(resources);
  if (!byCheck) fencedClients.set(resources, (byCheck = new WeakMap()));
  const known = byCheck.get(check);
  if (known) return known;
  const wrapped = Object.create(resources) as ResourceClient;
  wrapped.apply = async (object, options = {}) => {
    if (!options.dryRun) {
      check();
      observe?.("apply", describeObject(object));
    }
    return resources.apply(object, options);
  };
  wrapped.replace = async (object, options) => {
    check();
    observe?.("replace", describeObject(object));
    return resources.replace(object, options);
  };
  wrapped.remove = async (ref, propagationPolicy) => {
    check();
    observe?.("remove", `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ""}${ref.name}`);
    return resources.remove(ref, propagationPolicy);
  };
  byCheck.set(check, wrapped);
  return wrapped;
}
