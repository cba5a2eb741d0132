// The one place that builds API clients. Tether's own code talks to the apiserver through the raw
// JSON client and the few typed calls in apis.ts; @kubernetes/client-node's generated clients
// (typed.ts) are for the local cluster, the tests and the benchmarks, never loaded by the controller.
import type { CoreApi, CustomApi } from "./apis.js";
import { rawCoreApi, rawCustomApi } from "./apis.js";
import { KubeConfig } from "./connection.js";
import { KubeApiError, RawClient } from "./raw.js";
import { errorMessage } from "../lib/errormessage.js";

export { KubeConfig } from "./connection.js";

export interface KubeClients {
  readonly config: KubeConfig;
  readonly core: CoreApi;
  readonly custom: CustomApi;
  /** Exact JSON in and out, for arbitrary kinds (see raw.ts for why). */
  readonly raw: RawClient;
}

/** The kubeconfig in `file`, else the default search ($KUBECONFIG, ~/.kube/config, in-cluster). */
export function loadKubeConfig(file?: string): KubeConfig {
  return file ? KubeConfig.fromFile(file) : KubeConfig.fromDefault();
}

export function kubeClients(config: KubeConfig): KubeClients {
  const raw = new RawClient(config);
  return { config, core: rawCoreApi(raw), custom: rawCustomApi(raw), raw };
}

/** The HTTP status of a failed call (ours or client-node's), if it carries one. */
export function errorStatus(error: unknown): number | undefined {
  const candidate = error as { code?: unknown; statusCode?: unknown } | null;
  const code = candidate?.code ?? candidate?.statusCode;
  return typeof code === "number" ? code : undefined;
}

/** The apiserver's own message from a failed call (its Status body), else the error text. */
export function kubeErrorMessage(error: unknown): string {
  if (error instanceof KubeApiError) return error.message;
  const body = (error as { body?: unknown } | null)?.body;
  if (typeof body === "string") {
    try {
      const status = JSON.parse(body) as { message?: string };
      if (status.message) return status.message;
    } catch {
      return body;
    }
  }
  return errorMessage(error);
}
