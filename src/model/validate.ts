// Checks of an Application beyond what the CRD schema can say. Each message names the field.
import type { Application } from "./application.js";
import { validateBackoff } from "../engine/status/retry.js";

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const IN_CLUSTER = new Set(["", "https://kubernetes.default.svc", "https://kubernetes.default.svc:443"]);

/** A registered cluster (a cluster Secret) besides in-cluster. */
export interface KnownCluster {
  readonly name: string;
  readonly server: string;
}

export interface ValidateOptions {
  /** API server URLs that mean "this cluster" besides kubernetes.default.svc (e.g. a kubeconfig's). */
  readonly localServers?: readonly string[];
  /** The clusters registered by cluster Secrets (src/controller/clusters.ts). */
  readonly clusters?: readonly KnownCluster[];
}

const trimServer = (s: string) => s.trim().replace(/\/+$/, "");

/** The destination's problem with the registered clusters, naming the field; undefined when fine. */
export function destinationProblem(
  destination: { server?: string; name?: string },
  options: ValidateOptions,
): string | undefined {
  const server = trimServer(destination.server ?? "");
  const name = destination.name ?? "";
  const clusters = options.clusters ?? [];
  const local = IN_CLUSTER.has(server) || (options.localServers ?? []).some((s) => trimServer(s) === server);
  const names = ["in-cluster", ...clusters.map((c) => c.name)].map((n) => `"${n}"`).join(", ");
  const byServer = server && !local ? clusters.find((c) => trimServer(c.server) === server) : undefined;
  if (server && !local && !byServer) {
    return `spec.destination.server "${destination.server ?? ""}": no cluster with that URL is registered (use https://kubernetes.default.svc or the server of a cluster Secret)`; // prettier-ignore
  }
  if (!name) return undefined;
  const byName = name === "in-cluster" ? undefined : clusters.find((c) => c.name === name);
  if (name !== "in-cluster" && !byName) {
    return `spec.destination.name "${name}": no cluster of that name is registered (known: ${names})`;
  }
  const nameIsLocal = name === "in-cluster";
  if (server && (nameIsLocal ? !local : byName !== byServer)) {
    return `spec.destination.name "${name}" and spec.destination.server "${destination.server ?? ""}" name different clusters`; // prettier-ignore
  }
  return undefined;
}

export function validateApplication(app: Application, options: ValidateOptions = {}): string[] {
  const errors: string[] = [];
  const where = `Application ${app.metadata.namespace ?? ""}/${app.metadata.name}`;
  const spec = app.spec as Partial<Application["spec"]> | undefined;
  const source = spec?.source;
  if (!source || typeof source.repoURL !== "string" || source.repoURL.trim() === "") {
    errors.push(`${where}: spec.source.repoURL is required`);
  }
  if (source?.path !== undefined && (source.path.startsWith("/") || source.path.split("/").includes(".."))) {
    errors.push(
      `${where}: spec.source.path "${source.path}" must be relative and stay inside the repository`,
    );
  }
  const destination = spec?.destination;
  if (!destination) errors.push(`${where}: spec.destination is required`);
  else {
    if (destination.namespace && !DNS_LABEL.test(destination.namespace)) {
      errors.push(
        `${where}: spec.destination.namespace "${destination.namespace}" is not a valid namespace name`,
      );
    }
    const problem = destinationProblem(destination, options);
    if (problem) errors.push(`${where}: ${problem}`);
  }
  const decryption = spec?.decryption;
  if (decryption) {
    if (decryption.provider !== "sops") {
      errors.push(
        `${where}: spec.decryption.provider "${String(decryption.provider)}" is not supported (only "sops")`,
      );
    }
    if (!decryption.secretRef?.name) errors.push(`${where}: spec.decryption.secretRef.name is required`);
  }
  const retry = spec?.syncPolicy?.retry;
  if (retry?.limit !== undefined && retry.limit < 0)
    errors.push(`${where}: spec.syncPolicy.retry.limit must be >= 0`);
  errors.push(...validateBackoff(retry?.backoff).map((e) => `${where}: ${e}`));
  return errors;
}
