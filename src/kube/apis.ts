// The typed calls Tether makes, over the raw JSON client: the same names and parameter objects as
// @kubernetes/client-node's CoreV1Api and CustomObjectsApi (so its full clients, which tests and
// the local cluster use, fit wherever these are asked for), without loading its generated models.
// Only the calls Tether makes are here; a new one is a line, not a dependency.
import type {
  CoreV1Event,
  CoreV1EventList,
  KubernetesObject,
  V1APIResourceList,
  V1ConfigMap,
  V1ConfigMapList,
  V1Namespace,
  V1Secret,
  V1SecretList,
  V1Status,
} from "@kubernetes/client-node";
import type { RawClient } from "./raw.js";

interface Named {
  readonly name: string;
  readonly namespace: string;
}
interface Listed {
  readonly namespace: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
}
interface CustomKind {
  readonly group: string;
  readonly version: string;
  readonly plural: string;
}
const enc = encodeURIComponent;
const selectors = (p: { labelSelector?: string; fieldSelector?: string }) => ({
  labelSelector: p.labelSelector,
  fieldSelector: p.fieldSelector,
});

export interface CoreApi {
  readNamespace(p: { name: string }): Promise<V1Namespace>;
  createNamespace(p: { body: V1Namespace }): Promise<V1Namespace>;
  readNamespacedConfigMap(p: Named): Promise<V1ConfigMap>;
  listNamespacedConfigMap(p: Listed): Promise<V1ConfigMapList>;
  createNamespacedConfigMap(p: { namespace: string; body: V1ConfigMap }): Promise<V1ConfigMap>;
  readNamespacedSecret(p: Named): Promise<V1Secret>;
  listNamespacedSecret(p: Listed): Promise<V1SecretList>;
  createNamespacedSecret(p: { namespace: string; body: V1Secret }): Promise<V1Secret>;
  replaceNamespacedSecret(p: Named & { body: V1Secret }): Promise<V1Secret>;
  deleteNamespacedSecret(p: Named & { body?: object }): Promise<V1Status | V1Secret>;
  createNamespacedEvent(p: { namespace: string; body: CoreV1Event }): Promise<CoreV1Event>;
  /** A JSON merge patch of an Event (a repeat's count and lastTimestamp). */
  patchNamespacedEvent(p: Named & { body: object }): Promise<CoreV1Event>;
  listNamespacedEvent(p: Listed): Promise<CoreV1EventList>;
  readNamespacedPodLog(p: Named & { container?: string; tailLines?: number }): Promise<string>;
  getAPIResources(): Promise<V1APIResourceList>;
}

export interface CustomApi {
  getNamespacedCustomObject(p: CustomKind & Named): Promise<object>;
  listNamespacedCustomObject(p: CustomKind & Listed): Promise<object>;
  listClusterCustomObject(
    p: CustomKind & { labelSelector?: string; fieldSelector?: string },
  ): Promise<object>;
  createNamespacedCustomObject(p: CustomKind & { namespace: string; body: object }): Promise<object>;
  replaceNamespacedCustomObject(p: CustomKind & Named & { body: object }): Promise<object>;
  replaceNamespacedCustomObjectStatus(p: CustomKind & Named & { body: object }): Promise<object>;
  deleteNamespacedCustomObject(p: CustomKind & Named): Promise<object>;
  getAPIResources(p: { group: string; version: string }): Promise<V1APIResourceList>;
}

export function rawCoreApi(raw: RawClient): CoreApi {
  const ns = (namespace: string) => `/api/v1/namespaces/${enc(namespace)}`;
  const get = <T>(path: string, query?: Record<string, string | number | undefined>) =>
    raw.request<T>({ method: "GET", path, query });
  const post = <T>(path: string, body: unknown) => raw.request<T>({ method: "POST", path, body });
  return {
    readNamespace: (p) => get(`/api/v1/namespaces/${enc(p.name)}`),
    createNamespace: (p) => post("/api/v1/namespaces", p.body),
    readNamespacedConfigMap: (p) => get(`${ns(p.namespace)}/configmaps/${enc(p.name)}`),
    listNamespacedConfigMap: (p) => get(`${ns(p.namespace)}/configmaps`, selectors(p)),
    createNamespacedConfigMap: (p) => post(`${ns(p.namespace)}/configmaps`, p.body),
    readNamespacedSecret: (p) => get(`${ns(p.namespace)}/secrets/${enc(p.name)}`),
    listNamespacedSecret: (p) => get(`${ns(p.namespace)}/secrets`, selectors(p)),
    createNamespacedSecret: (p) => post(`${ns(p.namespace)}/secrets`, p.body),
    replaceNamespacedSecret: (p) =>
      raw.request({ method: "PUT", path: `${ns(p.namespace)}/secrets/${enc(p.name)}`, body: p.body }),
    deleteNamespacedSecret: (p) =>
      raw.request({ method: "DELETE", path: `${ns(p.namespace)}/secrets/${enc(p.name)}`, body: p.body }),
    createNamespacedEvent: (p) => post(`${ns(p.namespace)}/events`, p.body),
    patchNamespacedEvent: (p) => mergePatch(raw, `${ns(p.namespace)}/events`, p.name, p.body),
    listNamespacedEvent: (p) => get(`${ns(p.namespace)}/events`, selectors(p)),
    readNamespacedPodLog: (p) =>
      raw.request<string>({
        method: "GET",
        path: `${ns(p.namespace)}/pods/${enc(p.name)}/log`,
        query: { container: p.container, tailLines: p.tailLines },
        text: true,
      }),
    getAPIResources: () => get("/api/v1"),
  };
}

export function rawCustomApi(raw: RawClient): CustomApi {
  const base = (p: { group: string; version: string }) => `/apis/${enc(p.group)}/${enc(p.version)}`;
  const inNs = (p: CustomKind & { namespace: string }) =>
    `${base(p)}/namespaces/${enc(p.namespace)}/${enc(p.plural)}`;
  return {
    getNamespacedCustomObject: (p) => raw.request({ method: "GET", path: `${inNs(p)}/${enc(p.name)}` }),
    listNamespacedCustomObject: (p) => raw.request({ method: "GET", path: inNs(p), query: selectors(p) }),
    listClusterCustomObject: (p) =>
      raw.request({ method: "GET", path: `${base(p)}/${enc(p.plural)}`, query: selectors(p) }),
    createNamespacedCustomObject: (p) => raw.request({ method: "POST", path: inNs(p), body: p.body }),
    replaceNamespacedCustomObject: (p) =>
      raw.request({ method: "PUT", path: `${inNs(p)}/${enc(p.name)}`, body: p.body }),
    replaceNamespacedCustomObjectStatus: (p) =>
      raw.request({ method: "PUT", path: `${inNs(p)}/${enc(p.name)}/status`, body: p.body }),
    deleteNamespacedCustomObject: (p) => raw.request({ method: "DELETE", path: `${inNs(p)}/${enc(p.name)}` }),
    getAPIResources: (p) => raw.request({ method: "GET", path: base(p) }),
  };
}

/** A JSON merge patch (RFC 7386) of one object: `null` removes a key. */
export function mergePatch<T = KubernetesObject>(
  raw: RawClient,
  collectionPath: string,
  name: string,
  patch: object,
): Promise<T> {
  return raw.request<T>({
    method: "PATCH",
    path: `${collectionPath}/${enc(name)}`,
    body: patch,
    contentType: "application/merge-patch+json",
  });
}
