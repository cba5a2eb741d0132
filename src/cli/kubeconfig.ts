// The cluster a long-running command (`tether controller`, `tether server`) talks to: --kubeconfig,
// else $KUBECONFIG, ~/.kube/config, or the Pod's ServiceAccount (loadKubeConfig's search).
import type { KubeConfig } from "../kube/client.js";
import { loadKubeConfig } from "../kube/client.js";
import { UsageError } from "./errors.js";
import { errorMessage } from "../lib/errormessage.js";

export function commandKubeConfig(file: string | undefined): KubeConfig {
  let config;
  try {
    config = loadKubeConfig(file);
  } catch (error) {
    const reason = errorMessage(error);
    if (file) throw new UsageError(`--kubeconfig: cannot load ${file}: ${reason}`);
    throw new Error(`cannot load the Kubernetes configuration: ${reason}`);
  }
  if (!config.getCurrentCluster()) {
    if (file) throw new UsageError(`--kubeconfig: ${file} has no current cluster`);
    throw new Error("no Kubernetes configuration found (set --kubeconfig or $KUBECONFIG, or run in a Pod)");
  }
  return config;
}
