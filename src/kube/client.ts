// The one place that builds API clients. The rest of Tether asks for typed clients here and
// never touches @kubernetes/client-node's configuration quirks directly.
import {
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  EventsV1Api,
  KubeConfig,
  KubernetesObjectApi,
} from "@kubernetes/client-node";
import { reuseConnections } from "./agents.js";
import { ApiError, RawClient } from "./raw.js";

export interface KubeClients {
  readonly config: KubeConfig;
  readonly core: CoreV1Api;
  readonly apps: AppsV1Api;
  readonly custom: CustomObjectsApi;
  readonly events: EventsV1Api;
  readonly objects: KubernetesObjectApi;
  /** Exact JSON in and out, for arbitrary kinds (see raw.ts for why). */
  readonly raw: RawClient;
}

export function loadKubeConfig(file?: string): KubeConfig {
  const config = new KubeConfig();
  if (file) config.loadFromFile(file);
  else config.loadFromDefault();
  return reuseConnections(config);
}

export function kubeClients(config: KubeConfig): KubeClients {
  reuseConnections(config);
  return {
    config,
    core: config.makeApiClient(CoreV1Api),
    apps: config.makeApiClient(AppsV1Api),
    custom: config.makeApiClient(CustomObjectsApi),
    events: config.makeApiClient(EventsV1Api),
    objects: KubernetesObjectApi.makeApiClient(config),
    raw: new RawClient(config),
  };
}

/** The HTTP status of a failed client-node call, if it carries one. */
export function errorStatus(error: unknown): number | undefined {
  const candidate = error as { code?: unknown; statusCode?: unknown } | null;
  const code = candidate?.code ?? candidate?.statusCode;
  return typeof code === "number" ? code : undefined;
}

/** The apiserver's own message from a failed call (its Status body), else the error text. */
export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  const body = (error as { body?: unknown } | null)?.body;
  if (typeof body === "string") {
    try {
      const status = JSON.parse(body) as { message?: string };
      if (status.message) return status.message;
    } catch {
      return body;
    }
  }
  return error instanceof Error ? error.message : String(error);
}
