// Parameter sets → the Applications a set wants, and the changes that bring the live ones there
// (create, update, delete), within the set's `applicationsSync` policy. Pure.
import { createHash } from "node:crypto";
import type { Application } from "../../model/application.js";
import { API_VERSION } from "../../model/application.js";
import type { ApplicationSet, ApplicationSetTemplate } from "../../model/applicationset.js";
import { APPSET_LABEL } from "../../model/contract.js";
import {
  CASCADE_FINALIZER,
  REFRESH_ANNOTATION,
  ROLLBACK_ANNOTATION,
  SYNC_ANNOTATION,
} from "../../model/contract.js";
import { ApplicationSetError } from "./errors.js";
import type { GeneratedParams } from "./generators.js";
import { mergeTemplates, renderValue } from "./template.js";

/** Argo CD's cascade finalizer in a converted template means Tether's. */
const ARGO_CASCADE_FINALIZERS = new Set([
  "resources-finalizer.argocd.argoproj.io",
  "resources-finalizer.argocd.argoproj.io/foreground",
  "resources-finalizer.argocd.argoproj.io/background",
]);
/** Annotations that users (and Tether) write on generated apps; an update never drops them. */
const REQUEST_ANNOTATIONS = [REFRESH_ANNOTATION, SYNC_ANNOTATION, ROLLBACK_ANNOTATION];
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/** The label value naming a set: its name, or a stable hash when the name is too long for a label. */
export function appSetLabelValue(name: string): string {
  return name.length <= 63 ? name : `h-${createHash("sha256").update(name).digest("hex").slice(0, 40)}`;
}

export function isOwnedBy(app: Application, set: ApplicationSet): boolean {
  return (app.metadata.ownerReferences ?? []).some(
    (r) => r.kind === "ApplicationSet" && r.uid === set.metadata.uid,
  );
}

/** Renders one Application per parameter set. Throws ApplicationSetError naming the template field. */
export function desiredApplications(
  set: ApplicationSet,
  generated: readonly GeneratedParams[],
): Application[] {
  const namespace = set.metadata.namespace ?? "";
  const preserve = set.spec.syncPolicy?.preserveResourcesOnDeletion === true;
  const rolling = set.spec.strategy?.type === "RollingSync";
  const byName = new Map<string, number>();
  return generated.map(({ params, template: own }, i) => {
    const template = mergeTemplates<ApplicationSetTemplate>(set.spec.template, own);
    const rendered = renderValue(template, params, "template");
    const name = rendered.metadata?.name ?? "";
    if (!DNS_SUBDOMAIN.test(name) || name.length > 253)
      throw new ApplicationSetError(
        "TemplateError",
        "template.metadata.name",
        `"${name}" (parameter set ${i + 1}) is not a valid Application name`,
      );
    if (rendered.metadata.namespace && rendered.metadata.namespace !== namespace)
      throw new ApplicationSetError(
        "TemplateError",
        "template.metadata.namespace",
        `"${rendered.metadata.namespace}": generated Applications live in the set's namespace "${namespace}"`,
      );
    const previous = byName.get(name);
    if (previous !== undefined)
      throw new ApplicationSetError(
        "TemplateError",
        "template.metadata.name",
        `parameter sets ${previous + 1} and ${i + 1} both render "${name}"`,
      );
    byName.set(name, i);
    const finalizers = (rendered.metadata.finalizers ?? [])
      .map((f) => (ARGO_CASCADE_FINALIZERS.has(f) ? CASCADE_FINALIZER : f))
      .filter((f) => f !== CASCADE_FINALIZER);
    if (!preserve) finalizers.push(CASCADE_FINALIZER);
    const spec = structuredClone(rendered.spec);
    // A rolling sync decides when each app syncs: automated sync would jump the queue (as Argo CD).
    if (rolling && spec.syncPolicy?.automated) delete spec.syncPolicy.automated;
    return {
      apiVersion: API_VERSION,
      kind: "Application",
      metadata: {
        name,
        namespace,
        labels: { ...rendered.metadata.labels, [APPSET_LABEL]: appSetLabelValue(set.metadata.name) },
        ...(rendered.metadata.annotations ? { annotations: { ...rendered.metadata.annotations } } : {}),
        finalizers: [...new Set(finalizers)],
        ownerReferences: [
          {
            apiVersion: API_VERSION,
            kind: "ApplicationSet",
            name: set.metadata.name,
            uid: set.metadata.uid ?? "",
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
      spec,
    };
  });
}

/** Whether the template asks the app's syncs to prune (kept for rolling sync's sync requests). */
export function templatePrunes(set: ApplicationSet, generated: GeneratedParams | undefined): boolean {
  const template = mergeTemplates<ApplicationSetTemplate>(set.spec.template, generated?.template);
  return template.spec?.syncPolicy?.automated?.prune === true;
}

export interface ApplicationChanges {
  readonly create: Application[];
  readonly update: { readonly live: Application; readonly next: Application }[];
  readonly delete: Application[];
}

function sorted(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sorted);
  if (value !== null && typeof value === "object")
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sorted((value as Record<string, unknown>)[k])]),
    );
  return value;
}
const same = (a: unknown, b: unknown) => JSON.stringify(sorted(a)) === JSON.stringify(sorted(b));

/** The live app changed to what the set wants, keeping what others may write (request annotations, preserved fields). */
export function updatedApplication(
  live: Application,
  desired: Application,
  set: ApplicationSet,
): Application {
  const keep = (map: Record<string, string> | undefined, keys: readonly string[]) =>
    Object.fromEntries(Object.entries(map ?? {}).filter(([k]) => keys.includes(k)));
  const preserved = set.spec.preservedFields ?? {};
  const labels = { ...keep(live.metadata.labels, preserved.labels ?? []), ...desired.metadata.labels };
  const annotations = {
    ...keep(live.metadata.annotations, [...REQUEST_ANNOTATIONS, ...(preserved.annotations ?? [])]),
    ...desired.metadata.annotations,
  };
  const others = (live.metadata.ownerReferences ?? []).filter((r) => r.kind !== "ApplicationSet");
  return {
    ...live,
    metadata: {
      ...live.metadata,
      labels,
      annotations,
      finalizers: desired.metadata.finalizers,
      ownerReferences: [...others, ...(desired.metadata.ownerReferences ?? [])],
    },
    spec: desired.spec,
  };
}

/**
 * What to create, update and delete. `live` are the apps carrying the set's label; only those it
 * owns (or that no other set owns) are touched. Apps being deleted are left to finish.
 */
export function planApplications(
  set: ApplicationSet,
  desired: readonly Application[],
  live: readonly Application[],
): ApplicationChanges {
  const policy = set.spec.syncPolicy?.applicationsSync ?? "sync";
  const mayUpdate = policy === "sync" || policy === "create-update";
  const mayDelete = policy === "sync" || policy === "create-delete";
  const ours = live.filter(
    (a) => isOwnedBy(a, set) || !(a.metadata.ownerReferences ?? []).some((r) => r.controller),
  );
  const liveByName = new Map(ours.map((a) => [a.metadata.name, a]));
  const wanted = new Set(desired.map((a) => a.metadata.name));
  const changes: ApplicationChanges = { create: [], update: [], delete: [] };
  for (const app of desired) {
    const current = liveByName.get(app.metadata.name);
    if (!current) {
      changes.create.push(app);
      continue;
    }
    if (!mayUpdate || current.metadata.deletionTimestamp) continue;
    const next = updatedApplication(current, app, set);
    const view = (a: Application) => ({
      labels: a.metadata.labels ?? {},
      annotations: a.metadata.annotations ?? {},
      finalizers: a.metadata.finalizers ?? [],
      ownerReferences: a.metadata.ownerReferences ?? [],
      spec: a.spec,
    });
    if (!same(view(current), view(next))) changes.update.push({ live: current, next });
  }
  if (mayDelete)
    for (const app of ours)
      if (!wanted.has(app.metadata.name) && !app.metadata.deletionTimestamp) changes.delete.push(app);
  return changes;
}
