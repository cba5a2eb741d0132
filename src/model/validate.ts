// Checks of an Application beyond what the CRD schema can say. Each message names the field.
import type { Application } from "./application.js";
import { validateBackoff } from "../engine/status/retry.js";

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const IN_CLUSTER = new Set(["", "https://kubernetes.default.svc", "https://kubernetes.default.svc:443"]);

export interface ValidateOptions {
  /** API server URLs that mean "this cluster" besides kubernetes.default.svc (e.g. a kubeconfig's). */
  readonly localServers?: readonly string[];
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
    const server = (destination.server ?? "").replace(/\/$/, "");
    const local =
      IN_CLUSTER.has(server) || (options.localServers ?? []).some((s) => s.replace(/\/$/, "") === server);
    if (destination.name && destination.name !== "in-cluster") {
      errors.push(
        `${where}: spec.destination.name "${destination.name}": no cluster of that name is registered (only "in-cluster")`,
      );
    } else if (!local) {
      errors.push(
        `${where}: spec.destination.server "${destination.server ?? ""}": no cluster with that URL is registered (use https://kubernetes.default.svc)`,
      );
    }
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
