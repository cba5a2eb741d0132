// Checks of an Application beyond what the CRD schema can say. Each message names the field.
import type { Application } from "../model/application.js";
import { redactUrl } from "./source/gitcli.js";
import { repoUrlProblem } from "./source/url.js";
import { validateBackoff } from "./status/retry.js";
import { errorMessage } from "../lib/errormessage.js";

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
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

const trimServer = (s: unknown) => String(s).trim().replace(/\/+$/, "");

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
    return `spec.destination.server "${destination.server ?? ""}": no cluster with that URL is registered (use https://kubernetes.default.svc or the server of a cluster Secret)`;
  }
  if (!name) return undefined;
  const byName = name === "in-cluster" ? undefined : clusters.find((c) => c.name === name);
  if (name !== "in-cluster" && !byName) {
    return `spec.destination.name "${name}": no cluster of that name is registered (known: ${names})`;
  }
  const nameIsLocal = name === "in-cluster";
  if (server && (nameIsLocal ? !local : byName !== byServer)) {
    return `spec.destination.name "${name}" and spec.destination.server "${destination.server ?? ""}" name different clusters`;
  }
  return undefined;
}

const CONTROL = /[\p{Cc}\p{Cf}]/u;

/** A value for a message: cut, quoted, control characters escaped (JSON), never a password. */
function shown(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(redactUrl(value.slice(0, 200))) : `(a ${typeof value})`;
}

/** Why `path` is not a folder inside the repository (same rules as the CRD's), or undefined. */
export function repoPathProblem(path: unknown): string | undefined {
  if (path === undefined) return undefined;
  if (typeof path !== "string") return "must be a string";
  if (path.length > 4096) return "must be at most 4096 characters";
  // Spaces are allowed (a folder may have one); line breaks and invisible characters are not.
  if (CONTROL.test(path)) return "must not contain control characters";
  if (path.includes("\\")) return "must not contain a backslash";
  if (path.startsWith("/") || path.split("/").includes("..")) {
    return "must be relative and stay inside the repository";
  }
  return undefined;
}

const isObject = (value: unknown): boolean =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * Every problem of the app's spec, each naming its field. Total: an app stored under an older,
 * looser CRD (a string for `source`, a number for `path`) gets messages, never an exception.
 */
export function validateApplication(app: Application, options: ValidateOptions = {}): string[] {
  const where = `Application ${app.metadata?.namespace ?? ""}/${app.metadata?.name ?? ""}`;
  const spec: unknown = app.spec;
  if (!isObject(spec)) return [`${where}: spec must be an object`];
  for (const field of ["source", "destination"] as const) {
    const value: unknown = (spec as Record<string, unknown>)[field];
    if (value !== undefined && !isObject(value)) return [`${where}: spec.${field} must be an object`];
  }
  try {
    return specProblems(app, where, options);
  } catch (error) {
    return [`${where}: spec has the wrong shape (${errorMessage(error)})`];
  }
}

function specProblems(app: Application, where: string, options: ValidateOptions): string[] {
  const errors: string[] = [];
  const spec = app.spec as Partial<Application["spec"]> | undefined;
  const source = spec?.source;
  if (!source || typeof source.repoURL !== "string" || source.repoURL.trim() === "") {
    errors.push(`${where}: spec.source.repoURL is required`);
  } else {
    // The source stage's own parser: what is admitted here is exactly what it would fetch.
    const problem = repoUrlProblem(source.repoURL, source.chart === undefined ? "git" : "any");
    if (problem) errors.push(`${where}: spec.source.repoURL ${shown(source.repoURL)}: ${problem}`);
  }
  const pathProblem = repoPathProblem(source?.path);
  if (pathProblem) errors.push(`${where}: spec.source.path ${shown(source?.path)} ${pathProblem}`);
  const revision: unknown = source?.targetRevision;
  if (
    revision !== undefined &&
    (typeof revision !== "string" || revision.length > 1024 || CONTROL.test(revision))
  ) {
    errors.push(`${where}: spec.source.targetRevision must be one line of at most 1024 characters`);
  }
  const project: unknown = spec?.project;
  if (
    project !== undefined &&
    project !== "" &&
    (typeof project !== "string" || !DNS_SUBDOMAIN.test(project))
  ) {
    errors.push(`${where}: spec.project ${shown(project)} is not a valid AppProject name`);
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
  if (retry?.limit !== undefined && !(Number.isInteger(retry.limit) && retry.limit >= 0))
    errors.push(`${where}: spec.syncPolicy.retry.limit must be an integer >= 0`);
  if (retry?.backoff !== undefined && !isObject(retry.backoff))
    errors.push(`${where}: spec.syncPolicy.retry.backoff must be an object`);
  errors.push(...validateBackoff(retry?.backoff).map((e) => `${where}: ${e}`));
  return errors;
}
