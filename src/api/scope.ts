// What the API may read live on behalf of one application: the objects its AppProject permits,
// decided by the same pure functions the controller's policy gate uses (engine/policy/project.ts).
// The controller applies nothing a project refuses, yet `status.resources` still names every
// rendered object (and the objects of a project since changed or deleted); reading those live would
// let a tenant read another tenant's objects by naming them in Git. Pure: the project, the app's
// placement and each object's scope (from discovery, never from the app's status) are plain values.
import type { AppProject } from "../model/appproject.js";
import type { Application } from "../model/application.js";
import {
  type Placement,
  checkAdmission,
  destinationPermitted,
  objectNotPermitted,
} from "../engine/policy/project.js";
import { describeRef } from "../model/ref.js";

export const NOT_PERMITTED = "not permitted";

export type ScopeDecision =
  { readonly permitted: true } | { readonly permitted: false; readonly message: string };

export interface ScopedRef {
  readonly group: string;
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
  /** As discovery says: a status entry is never trusted to say whether a kind is namespaced. */
  readonly namespaced: boolean;
}

export interface LiveScope {
  /** Set when nothing of the app may be read (no project, the project refuses the app itself). */
  readonly refusedAll?: string;
  /** May the API read this managed object? */
  object(ref: ScopedRef): ScopeDecision;
  /** May the API list objects (children, pods) in this namespace of the app's cluster? */
  namespace(namespace: string): boolean;
}

const refused = (message: string): ScopeDecision => ({
  permitted: false,
  message: `${NOT_PERMITTED}: ${message}`,
});

/** A scope that reads nothing, saying why (the project cannot be read, the cluster is unknown…). */
export function refuseAll(reason: string): LiveScope {
  const message = `${NOT_PERMITTED}: ${reason}`;
  return { refusedAll: message, object: () => ({ permitted: false, message }), namespace: () => false };
}

/**
 * The live scope of an app: first the project's admission of the app (it exists, allows the app's
 * namespace, repository and destination — a refused app gets nothing read), then per object its
 * kind (cluster/namespace white- and blacklists) and namespace (spec.destinations).
 */
export function liveScopeOf(input: {
  readonly app: Application;
  readonly projectName: string;
  readonly project: AppProject | undefined;
  /** The app's destination with the resolved cluster's server and name both filled in. */
  readonly placement: Placement;
  readonly systemNamespace: string;
}): LiveScope {
  const { app, projectName, project, placement } = input;
  const admission = checkAdmission({
    projectName,
    project,
    placement,
    systemNamespace: input.systemNamespace,
    app: {
      name: app.metadata.name,
      namespace: app.metadata.namespace ?? "",
      repoURL: app.spec?.source?.repoURL ?? "",
    },
  });
  if (!project || admission.length > 0) {
    return refuseAll(admission.map((v) => v.message).join("; ") || `project "${projectName}" does not exist`);
  }
  const namespacePermitted = (namespace: string) =>
    namespace !== "" && destinationPermitted(project.spec?.destinations, { ...placement, namespace });
  return {
    object(ref) {
      if (ref.namespaced && !ref.namespace)
        return refused(`${ref.kind} ${ref.name} is namespaced but names no namespace`);
      const object = {
        group: ref.group,
        kind: ref.kind,
        name: ref.name,
        ...(ref.namespaced ? { namespace: ref.namespace } : {}),
      };
      // The controller's own judgement of an object (kind lists, then its namespace as a destination).
      const refusal = objectNotPermitted(project, placement, object);
      if (!refusal) return { permitted: true };
      return refused(`project "${projectName}": ${describeRef(object)}: ${refusal.detail}`);
    },
    namespace: namespacePermitted,
  };
}
