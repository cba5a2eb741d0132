// The resource operations a sync needs, as gitops-engine's pkg/sync sees them: apply, replace,
// read, delete. The step machine (./operation.ts) and the object actions (./objects.ts) only talk
// to the cluster through this interface; the controller implements it over its (fenced) client.
import type { KubernetesObject } from "@kubernetes/client-node";
import type { ConditionReason, ErrorReason } from "../errors.js";

export interface ObjectRef {
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
}

/** An object as a sync applies it: rendered, placed and marked. */
export interface ApplyTarget extends ObjectRef {
  /** Stable identity (group/kind/namespace/name) shared with the comparison and the watch cache. */
  readonly key: string;
  readonly object: KubernetesObject;
  /** SOPS-decrypted content: errors about it lose every value, as for a Secret. */
  readonly sensitive?: boolean;
}

export interface ResourceWriter {
  /** Server-side apply with Tether's field manager. */
  apply(
    object: KubernetesObject,
    options: { force: boolean; sensitive?: boolean },
  ): Promise<KubernetesObject>;
  /** Create, or replace at the live resourceVersion (sync option Replace=true). */
  replace(object: KubernetesObject, options: { sensitive?: boolean }): Promise<KubernetesObject>;
  read(ref: ObjectRef): Promise<KubernetesObject | undefined>;
  remove(ref: ObjectRef, propagationPolicy: string): Promise<"deleted" | "absent">;
  /** Resolves once the CRD is Established (custom resources of the same step follow it). */
  waitEstablished(name: string): Promise<void>;
  /** The field manager Tether applies with: a conflict with itself is no dispute. */
  readonly fieldManager: string;
  /** The HTTP status of a refused request, if the server answered. */
  statusOf(error: unknown): number | undefined;
  /** The server's message for a refused request. */
  messageOf(error: unknown): string;
  /**
   * A failure that is not the object's but the whole run's (sharding's fence: this replica may no
   * longer write for the app). It is rethrown, never recorded as a failed entry.
   */
  stopsRun(error: unknown): boolean;
}

export type ChangeAction = "created" | "configured" | "unchanged" | "deleted" | "kept" | "failed";

/** One object's outcome in a sync: fluxcd ssa's change-set entry. */
export interface ChangeSetEntry extends ObjectRef {
  readonly action: ChangeAction;
  readonly message?: string;
  /** Why an object was kept or failed, as a code (decisions never read `message`). */
  readonly reason?: ConditionReason | ErrorReason;
  /** The object as the server stored it after apply. */
  readonly applied?: KubernetesObject;
}

export function describeObject(d: { kind: string; namespace?: string; name: string }): string {
  return `${d.kind} ${d.namespace ? `${d.namespace}/` : ""}${d.name}`;
}
