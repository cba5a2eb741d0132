// Compares each desired object with the cluster: server-side apply dry-run (the only I/O), then
// the pure comparison of src/engine/diff. A result is reused while neither the desired object nor
// the live object's resourceVersion changed, so a quiet app costs no API calls.
//
// An object that does not exist is not dry-run: it is OutOfSync whatever the apiserver would say,
// and the sync's own apply reports a refusal (SyncError with the apiserver's message) exactly as a
// refused dry-run would have. Skipping it halves the requests of a first sync (one apply per object
// instead of a dry-run and an apply) — the difference between Tether's and a raw client's throughput.
import { createHash } from "node:crypto";
import type { KubernetesObject } from "@kubernetes/client-node";
import type { CompareResult, JsonObject } from "../engine/diff/index.js";
import { compareObject, maskDecryptedValues, respectIgnoredFields } from "../engine/diff/index.js";
import type { IgnoreDifference } from "../model/application.js";
import { kubeErrorMessage, errorStatus } from "../kube/client.js";
import type { ResourceClient } from "../kube/resources.js";
import type { DesiredObject } from "./desired.js";

/**
 * What a comparison keeps: the verdict, and the prediction only while it differs from live (the
 * diff view shows OutOfSync objects only). Not the normalized copies of every Synced object: at a
 * thousand apps those were two more copies of everything the watch cache already holds.
 */
export type ComparisonResult = Pick<CompareResult, "status" | "created" | "fields" | "basis"> & {
  readonly predicted?: JsonObject;
};

function slim(result: CompareResult): ComparisonResult {
  const { status, created, fields, basis, predicted } = result;
  return status === "OutOfSync"
    ? { status, created, fields, basis, predicted }
    : { status, created, fields, basis };
}

export interface ObjectComparison {
  readonly desired: DesiredObject;
  readonly live: KubernetesObject | undefined;
  readonly result: ComparisonResult;
  /** Set when the dry-run failed for a reason other than the apiserver refusing the object (422). */
  readonly error?: string;
  /** Why the project refuses the object: it was not read, so nothing about its live state is known. */
  readonly notPermitted?: string;
}

/**
 * The comparison of an object the app's project refuses. Its live copy is never read or dry-run:
 * it belongs to another tenant, and a verdict (Synced, a diff path, a health, an owner) computed
 * from it would let the author of the manifest probe its content from the app's status.
 */
export function notPermittedComparison(desired: DesiredObject, why: string): ObjectComparison {
  return {
    desired,
    live: undefined,
    result: { status: "OutOfSync", created: false, fields: [], basis: "manifest" },
    notPermitted: why,
  };
}

interface CacheEntry {
  readonly fingerprint: string;
  readonly result: ComparisonResult;
  readonly error?: string;
}

const hash = (value: unknown) => createHash("sha256").update(JSON.stringify(value)).digest("base64url");

/**
 * Desired objects are reused from one reconcile to the next while the render and destination stay
 * the same (see Reconciler), so their hash is kept with them: a quiet app's comparison costs no
 * serialization of its manifests.
 */
const desiredHashes = new WeakMap<object, string>();
function desiredHash(object: object): string {
  let value = desiredHashes.get(object);
  if (value === undefined) desiredHashes.set(object, (value = hash(object)));
  return value;
}

/**
 * What of a live object can change the comparison. Kinds with a spec/status split bump
 * `generation` on every spec change, and status is never compared — so their status updates (a
 * rollout progressing) reuse the last result instead of costing a dry-run. Metadata counts too
 * (labels and annotations do not bump generation). Kinds without `generation` (ConfigMap, Secret)
 * fall back to resourceVersion.
 */
export function liveFingerprint(live: KubernetesObject | undefined): unknown {
  if (!live) return "absent";
  const metadata = live.metadata ?? {};
  if (metadata.generation === undefined) return metadata.resourceVersion ?? "";
  const { resourceVersion: _rv, managedFields: _mf, ...rest } = metadata;
  return rest;
}

export interface CompareRequest {
  readonly desired: DesiredObject;
  readonly live: KubernetesObject | undefined;
  readonly ignoreDifferences?: readonly IgnoreDifference[];
  /** RespectIgnoreDifferences: what is compared and applied keeps the live value of ignored fields. */
  readonly respectIgnoreDifferences?: boolean;
}

export class Comparer {
  private readonly cache = new Map<string, CacheEntry>();
  /** Dry-run calls made; benchmarks and tests read it. */
  dryRuns = 0;

  constructor(private readonly resources: ResourceClient) {}

  async compare(input: CompareRequest): Promise<ObjectComparison> {
    const { live } = input;
    const { desired, fingerprint } = this.prepare(input);
    const cacheKey = `${desired.key}`;
    const cached = this.cache.get(cacheKey);
    if (cached && cached.fingerprint === fingerprint) {
      return { desired, live, result: cached.result, error: cached.error };
    }
    let predicted: KubernetesObject | undefined;
    let error: string | undefined;
    let rejected = false;
    if (live) {
      try {
        this.dryRuns += 1;
        // force: the dry-run shows the values Tether would set even where another manager holds
        // the field (kubectl scale); whether the real apply may force is decided at sync time.
        predicted = await this.resources.apply(desired.object, {
          dryRun: true,
          force: true,
          sensitive: desired.sensitive,
        });
      } catch (e) {
        // The apiserver refusing the object (an invalid field) is not a failure to compare: the
        // object is OutOfSync and the sync reports the apiserver's message (SyncError).
        const rejectedByServer = errorStatus(e) === 422;
        if (rejectedByServer) rejected = true;
        else
          error = `dry-run of ${desired.kind} ${desired.namespace ? `${desired.namespace}/` : ""}${desired.name} failed: ${kubeErrorMessage(e)}`;
      }
    }
    const compared = slim(
      compareObject({
        desired: desired.object as unknown as JsonObject,
        predicted: predicted as unknown as JsonObject | undefined,
        live: live as unknown as JsonObject | undefined,
        ignoreDifferences: input.ignoreDifferences,
      }),
    );
    // The prediction is what the diff view shows: decrypted content of any kind shows no value.
    const result =
      desired.sensitive && compared.predicted
        ? { ...compared, predicted: maskDecryptedValues(compared.predicted) }
        : compared;
    // Not cached when rejected: what the apiserver accepts can change (a CRD updated) while the object does not.
    if (!error && !rejected) this.cache.set(cacheKey, { fingerprint, result });
    return { desired, live, result, error };
  }

  /**
   * Records that `live` is what the apiserver stored when Tether applied `desired` just now: the
   * dry-run of the same manifest on it would predict it unchanged, so the comparison is Synced
   * without asking. Without this, the reconcile after a sync (woken by the watch events of what it
   * applied) would dry-run every object again — 2,000 requests for an app of 2,000 objects.
   */
  recordApplied(input: CompareRequest & { readonly live: KubernetesObject }): void {
    const { desired, fingerprint } = this.prepare(input);
    // Nothing to compute: the prediction is the live object itself, so the verdict is Synced.
    this.cache.set(desired.key, {
      fingerprint,
      result: { status: "Synced", created: false, fields: [], basis: "dry-run" },
    });
  }

  /**
   * The object to compare and apply, and what identifies the comparison's inputs. With
   * RespectIgnoreDifferences the object to apply is the manifest with the ignored fields taken from
   * live; the comparison returns it as `desired`, so the sync applies exactly that.
   */
  private prepare(input: CompareRequest): { desired: DesiredObject; fingerprint: string } {
    const { live } = input;
    const desired =
      input.respectIgnoreDifferences && live
        ? {
            ...input.desired,
            object: respectIgnoredFields({
              desired: input.desired.object as unknown as JsonObject,
              live: live as unknown as JsonObject,
              ignoreDifferences: input.ignoreDifferences,
            }) as unknown as DesiredObject["object"],
          }
        : input.desired;
    const fingerprint = hash([
      desiredHash(desired.object),
      liveFingerprint(live),
      input.ignoreDifferences ?? [],
      input.respectIgnoreDifferences ?? false,
    ]);
    return { desired, fingerprint };
  }

  /**
   * What the last comparison predicted the object will be after a sync (the server-side-apply dry-run,
   * normalized, Secret values masked): the desired side of a diff. Undefined when never compared.
   */
  predicted(key: string): JsonObject | undefined {
    return this.cache.get(key)?.result.predicted;
  }

  forget(keys: Iterable<string>): void {
    for (const key of keys) this.cache.delete(key);
  }
}
