// @kubernetes/client-node's generated clients, for code that wants its whole typed surface: the
// local control plane, the CLI's bootstrap, the tests and the benchmarks. The controller and the
// API never import this (see client.ts): loading these models costs about 70 MiB.
import {
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  EventsV1Api,
  KubeConfig as ClientNodeConfig,
  KubernetesObjectApi,
} from "@kubernetes/client-node";
import { reuseConnections } from "./agents.js";
import type { KubeClients } from "./client.js";
import { kubeClients, loadKubeConfig } from "./client.js";
import type { KubeConfigData } from "./kubeconfig.js";

export interface TypedKubeClients extends KubeClients {
  readonly core: CoreV1Api;
  readonly apps: AppsV1Api;
  readonly custom: CustomObjectsApi;
  readonly events: EventsV1Api;
  readonly objects: KubernetesObjectApi;
  /** client-node's own KubeConfig for the same file, for `makeApiClient(SomeApi)`. */
  readonly kube: ClientNodeConfig;
}

/**
 * client-node's KubeConfig for the same kubeconfig files and context as Tether's (the default
 * search when it came from none, e.g. in-cluster), reusing keep-alive connections.
 */
export function clientNodeKubeConfig(data: KubeConfigData): ClientNodeConfig {
  const [first, ...more] = data.files ?? [];
  const config = new ClientNodeConfig();
  if (first === undefined) config.loadFromDefault();
  else {
    config.loadFromFile(first);
    for (const file of more) {
      const next = new ClientNodeConfig();
      next.loadFromFile(file);
      config.mergeConfig(next);
    }
  }
  if (data.currentContext) config.setCurrentContext(data.currentContext);
  return reuseConnections(config);
}

/** Tether's clients plus client-node's typed ones, both from the kubeconfig `file` (default search without). */
export function typedKubeClients(file?: string): TypedKubeClients {
  const clients = kubeClients(loadKubeConfig(file));
  const kube = clientNodeKubeConfig(clients.config.data);
  return {
    ...clients,
    core: kube.makeApiClient(CoreV1Api),
    apps: kube.makeApiClient(AppsV1Api),
    custom: kube.makeApiClient(CustomObjectsApi),
    events: kube.makeApiClient(EventsV1Api),
    objects: KubernetesObjectApi.makeApiClient(kube),
    kube,
  };
}
