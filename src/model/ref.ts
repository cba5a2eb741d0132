// How Tether names a Kubernetes object, defined once: the object type the pipeline passes around,
// the API group and version of an apiVersion, the key that identifies an object across versions,
// and the text messages use for it. Pure, and free of client-node so the engine can use it.

/** The metadata fields the pipeline reads; client-node's V1ObjectMeta fits. */
export interface ObjectMeta {
  name?: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** A Kubernetes object as Tether handles it: identity typed, the rest opaque. client-node's
 *  KubernetesObject fits, so live objects from the apiserver need no cast. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
}

/** An object as decoded JSON/YAML whose fields are read by path (health checks, CEL). */
export type UnstructuredObject = Record<string, unknown>;

/** A rendered manifest: apiVersion, kind and metadata are known to be present. */
export type RenderedKubeObject = Record<string, unknown> & {
  apiVersion: string;
  kind: string;
  metadata: Record<string, unknown>;
};

/** What names an object independent of its version (a `ResourceRef` fits). */
export interface ObjectIdentity {
  readonly group: string;
  readonly kind: string;
  /** Unset or "" for cluster-scoped objects. */
  readonly namespace?: string;
  readonly name: string;
}

/** The API group of an apiVersion: "apps/v1" → "apps", "v1" → "" (the core group). */
export function groupOf(apiVersion: unknown): string {
  if (typeof apiVersion !== "string") return "";
  const slash = apiVersion.indexOf("/");
  return slash < 0 ? "" : apiVersion.slice(0, slash);
}

/** The version of an apiVersion: "apps/v1" → "v1", "v1" → "v1". */
export function versionOf(apiVersion: string): string {
  const slash = apiVersion.indexOf("/");
  return slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
}

export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  return { group: groupOf(apiVersion), version: versionOf(apiVersion) };
}

/** The identity of an object: its group (not version), kind, namespace and name. */
export function identityOf(object: KubeObject): ObjectIdentity {
  const m = object.metadata ?? {};
  return {
    group: groupOf(object.apiVersion),
    kind: object.kind ?? "",
    namespace: m.namespace ?? "",
    name: m.name ?? "",
  };
}

/** The key of an object identity, `group/Kind/namespace/name`: the same object under two versions
 *  has one key, and the core group and cluster scope are empty segments. */
export function refKey(ref: ObjectIdentity): string {
  return `${ref.group}/${ref.kind}/${ref.namespace ?? ""}/${ref.name}`;
}

/** `refKey` of an object. */
export function objectKey(object: KubeObject): string {
  return refKey(identityOf(object));
}

/** "apps/Deployment web/api": the kind with its group, then namespace/name — how messages name an object. */
export function describeRef(ref: ObjectIdentity): string {
  const kind = ref.group ? `${ref.group}/${ref.kind}` : ref.kind;
  return `${kind} ${ref.namespace ? `${ref.namespace}/` : ""}${ref.name}`;
}
