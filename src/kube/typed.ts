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

export interface TypedKubeClients extends KubeClients {
  readonly core: CoreV1Api;
  readonly apps: AppsV1Api;
  readonly custom: CustomObjectsApi;
  readonly events: EventsV1Api;
  readonly objects: KubernetesObjectApi;
  /** client-node's own KubeConfig for the same file, for `makeApiClient(SomeApi)`. */
  readonly kube: ClientNodeConfig;
}

/** Tether's clients plus client-node's typed ones, both from the kubeconfig `file` (default search without). */
export function typedKubeClients(file?: string): TypedKubeClients {
  const kube = new ClientNodeConfig();
  if (file) kube.loadFromFile(file);
  else kube.loadFromDefault();
  reuseConnections(kube);
  return {
    ...kubeClients(loadKubeConfig(file)),
    core: kube.makeApiClient(CoreV1Api),
    apps: kube.makeApiClient(AppsV1Api),
    custom: kube.makeApiClient(CustomObjectsApi),
    events: kube.makeApiClient(EventsV1Api),
    objects: KubernetesObjectApi.makeApiClient(kube),
    kube,
  };
}
