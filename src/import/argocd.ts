// Argo CD → Tether: Application, AppProject and ApplicationSet (argoproj.io/v1alpha1). Tether's
// field names follow Argo CD's, so most fields copy over as they are; this module knows which ones
// Tether has, and says for every other field why it is not carried. Pure: objects in, objects and
// messages out.
import { stringify } from "yaml";
import { API_VERSION } from "../model/application.js";
import { CASCADE_FINALIZER } from "../model/contract.js";
import type { ImportMessage, ImportResult, Json } from "./report.js";
import {
  Reporter,
  describe,
  isObject,
  pick,
  portableMetadata,
  reportUnmapped,
  str,
  targetNamespace,
} from "./report.js";

export interface ImportOptions {
  /** Namespace for every converted Application/ApplicationSet (default: Argo's `argocd` → the system namespace, others kept). */
  readonly namespace?: string;
  /** Tether's system namespace, where AppProjects live (default tether-system). */
  readonly systemNamespace?: string;
}

export const ARGO_API_VERSION = "argoproj.io/v1alpha1";
const ARGO_NAMESPACE = "argocd";
const ARGO_FINALIZERS = new Set([
  "resources-finalizer.argocd.argoproj.io",
  "resources-finalizer.argocd.argoproj.io/foreground",
  "resources-finalizer.argocd.argoproj.io/background",
]);

/** Sync options Tether reads (src/engine/status/syncoptions.ts); others are dropped with a reason. */
const SYNC_OPTIONS = new Set([
  "CreateNamespace",
  "PruneLast",
  "ServerSideApply",
  "ApplyOutOfSyncOnly",
  "Force",
  "Replace",
  "Validate",
  "PrunePropagationPolicy",
  "RespectIgnoreDifferences",
]);

const NO_PLUGINS =
  "not supported (Tether renders plain directories, Kustomize and Helm only; render it to YAML in Git or use one of those)";

function convertDirectory(dir: Json, prefix: string, report: Reporter): Json {
  reportUnmapped(
    dir,
    prefix,
    ["recurse", "include", "exclude"],
    { jsonnet: "not supported (Tether does not evaluate Jsonnet; commit the rendered YAML)" },
    report,
  );
  return pick(dir, ["recurse", "include", "exclude"]);
}

const KUSTOMIZE_FIELDS = [
  "namePrefix",
  "nameSuffix",
  "namespace",
  "images",
  "commonLabels",
  "commonAnnotations",
];

function convertKustomize(k: Json, prefix: string, report: Reporter): Json {
  reportUnmapped(
    k,
    prefix,
    KUSTOMIZE_FIELDS,
    {
      version: "not supported (Tether runs one kustomize version, the controller's --kustomize)",
      patches: "not supported (put the patches in the kustomization.yaml in Git)",
      components: "not supported (list the components in the kustomization.yaml in Git)",
      replicas: "not supported (set `replicas:` in the kustomization.yaml in Git)",
      forceCommonLabels: "not supported (Tether's commonLabels never overwrite labels already set)",
      forceCommonAnnotations:
        "not supported (Tether's commonAnnotations never overwrite annotations already set)",
      commonAnnotationsEnvsubst: "not supported (Tether renders without variable substitution)",
      labelWithoutSelector:
        "not supported (use `labels:` with includeSelectors: false in the kustomization.yaml)",
      labelIncludeTemplates: "not supported (use `labels:` with includeTemplates in the kustomization.yaml)",
      kubeVersion: "not supported (Tether renders against the cluster it deploys to)",
      apiVersions: "not supported (Tether renders against the cluster it deploys to)",
      ignoreMissingComponents: "not supported",
    },
    report,
  );
  return pick(k, KUSTOMIZE_FIELDS);
}

const HELM_FIELDS = ["releaseName", "valueFiles", "values", "parameters", "skipCrds"];

function convertHelm(h: Json, prefix: string, report: Reporter): Json {
  reportUnmapped(
    h,
    prefix,
    [...HELM_FIELDS, "valuesObject"],
    {
      fileParameters: "not supported (Tether has no --set-file; put the file's content in values)",
      passCredentials: "not supported (Tether sends a Helm repository's credentials only to that repository)",
      ignoreMissingValueFiles: "not supported (a missing values file fails the render)",
      version: "not supported (Tether runs Helm 3)",
      namespace: "not supported (the release namespace is spec.destination.namespace)",
      kubeVersion: "not supported (Tether renders against the cluster it deploys to)",
      apiVersions: "not supported (Tether renders against the cluster it deploys to)",
      skipSchemaValidation: "not supported (the chart's values schema is always checked)",
      skipTests: "not needed (Tether never runs Helm test hooks)",
    },
    report,
  );
  const out = pick(h, ["releaseName", "valueFiles"]);
  if (typeof h["values"] === "string") out["values"] = h["values"];
  if (isObject(h["valuesObject"])) {
    // Argo's valuesObject wins over values; Tether takes values as YAML text.
    if (h["values"] !== undefined)
      report.note(`${prefix}.values`, "replaced by valuesObject, as Argo CD does");
    out["values"] = stringify(h["valuesObject"]);
  }
  if (Array.isArray(h["parameters"])) {
    out["parameters"] = (h["parameters"] as Json[]).map((p) => pick(p, ["name", "value", "forceString"]));
  }
  if (h["skipCrds"] !== undefined) out["skipCrds"] = h["skipCrds"];
  (out["valueFiles"] as unknown[] | undefined)?.forEach((file, i) => {
    if (typeof file === "string" && file.startsWith("$")) {
      report.drop(
        `${prefix}.valueFiles[${i}]`,
        `"${file}" refers to another source of a multi-source app, which Tether does not have`,
      );
    }
  });
  return out;
}

function convertSource(source: Json, prefix: string, report: Reporter): Json {
  reportUnmapped(
    source,
    prefix,
    ["repoURL", "targetRevision", "path", "chart", "directory", "kustomize", "helm"],
    {
      plugin: NO_PLUGINS,
      ref: "not supported (Tether Applications have one source)",
      name: "not needed (a label for one of several sources)",
    },
    report,
  );
  const out = pick(source, ["repoURL", "targetRevision", "path", "chart"]);
  if (isObject(source["directory"]))
    out["directory"] = convertDirectory(source["directory"], `${prefix}.directory`, report);
  if (isObject(source["kustomize"]))
    out["kustomize"] = convertKustomize(source["kustomize"], `${prefix}.kustomize`, report);
  if (isObject(source["helm"])) out["helm"] = convertHelm(source["helm"], `${prefix}.helm`, report);
  return out;
}

/** The one source of a multi-source app that renders something (not a `ref`-only values source). */
function convertSources(sources: Json[], prefix: string, report: Reporter): Json | undefined {
  if (sources.length === 0) return undefined;
  const main = sources.findIndex((s) => s["path"] !== undefined || s["chart"] !== undefined);
  const index = main === -1 ? 0 : main;
  sources.forEach((s, i) => {
    if (i !== index)
      report.drop(
        `${prefix}[${i}]`,
        `not supported (Tether Applications have one source; kept ${prefix}[${index}] as spec.source; make another Application for ${str(s["repoURL"] ?? "this source")})`,
      );
  });
  return convertSource(sources[index] as Json, `${prefix}[${index}]`, report);
}

function convertSyncPolicy(policy: Json, prefix: string, report: Reporter): Json {
  reportUnmapped(
    policy,
    prefix,
    ["automated", "syncOptions", "retry"],
    {
      managedNamespaceMetadata: "not supported (put the Namespace with its labels and annotations in Git)",
    },
    report,
  );
  const out: Json = {};
  const automated = policy["automated"];
  if (isObject(automated)) {
    reportUnmapped(
      automated,
      `${prefix}.automated`,
      ["prune", "selfHeal", "allowEmpty", "enabled"],
      {},
      report,
    );
    if (automated["enabled"] === false) {
      report.note(
        `${prefix}.automated.enabled`,
        "false: converted to no automated sync (Tether has no enabled switch)",
      );
    } else out["automated"] = pick(automated, ["prune", "selfHeal", "allowEmpty"]);
  }
  if (Array.isArray(policy["syncOptions"])) {
    const kept: string[] = [];
    (policy["syncOptions"] as unknown[]).forEach((option, i) => {
      const name = /^([A-Za-z]+)=/.exec(str(option))?.[1] ?? "";
      if (SYNC_OPTIONS.has(name)) kept.push(str(option));
      else
        report.drop(
          `${prefix}.syncOptions[${i}]`,
          `"${str(option)}": not supported (Tether knows ${[...SYNC_OPTIONS].join(", ")})`,
        );
    });
    if (kept.length) out["syncOptions"] = kept;
  }
  const retry = policy["retry"];
  if (isObject(retry)) {
    reportUnmapped(
      retry,
      `${prefix}.retry`,
      ["limit", "backoff"],
      { refresh: "not supported (Tether always retries at the newest revision)" },
      report,
    );
    const converted = pick(retry, ["limit"]);
    if (isObject(retry["backoff"])) {
      reportUnmapped(
        retry["backoff"],
        `${prefix}.retry.backoff`,
        ["duration", "factor", "maxDuration"],
        {},
        report,
      );
      converted["backoff"] = pick(retry["backoff"], ["duration", "factor", "maxDuration"]);
    }
    out["retry"] = converted;
  }
  return out;
}

const IGNORE_FIELDS = [
  "group",
  "kind",
  "name",
  "namespace",
  "jsonPointers",
  "jqPathExpressions",
  "managedFieldsManagers",
];

/**
 * An Argo CD Application spec as a Tether one. `prefix` is where the spec sits in the input
 * (`spec`, or `spec.template.spec` in an ApplicationSet) for the messages. Partial specs (an
 * ApplicationSet generator's template) convert too: absent fields stay absent.
 */
export function convertApplicationSpec(spec: Json, prefix: string, report: Reporter): Json {
  reportUnmapped(
    spec,
    prefix,
    ["source", "sources", "destination", "project", "syncPolicy", "ignoreDifferences"],
    {
      info: "not supported (Tether shows no free-form info; put links in annotations)",
      revisionHistoryLimit: "not supported (Tether keeps the last 10 history entries)",
      sourceHydrator: "not supported (Tether syncs manifests as they are in Git)",
    },
    report,
  );
  const out: Json = {};
  if (isObject(spec["source"])) out["source"] = convertSource(spec["source"], `${prefix}.source`, report);
  else if (Array.isArray(spec["sources"])) {
    const source = convertSources(spec["sources"] as Json[], `${prefix}.sources`, report);
    if (source) out["source"] = source;
  }
  if (isObject(spec["destination"])) {
    reportUnmapped(spec["destination"], `${prefix}.destination`, ["server", "name", "namespace"], {}, report);
    out["destination"] = pick(spec["destination"], ["server", "name", "namespace"]);
  }
  if (spec["project"] !== undefined) out["project"] = spec["project"];
  if (isObject(spec["syncPolicy"]))
    out["syncPolicy"] = convertSyncPolicy(spec["syncPolicy"], `${prefix}.syncPolicy`, report);
  if (Array.isArray(spec["ignoreDifferences"])) {
    out["ignoreDifferences"] = (spec["ignoreDifferences"] as Json[]).map((rule, i) => {
      reportUnmapped(rule, `${prefix}.ignoreDifferences[${i}]`, IGNORE_FIELDS, {}, report);
      return pick(rule, IGNORE_FIELDS);
    });
  }
  return out;
}

function convertFinalizers(finalizers: unknown, report: Reporter): string[] | undefined {
  if (!Array.isArray(finalizers)) return undefined;
  const out: string[] = [];
  finalizers.forEach((f, i) => {
    if (ARGO_FINALIZERS.has(str(f))) {
      if (!out.includes(CASCADE_FINALIZER)) out.push(CASCADE_FINALIZER);
      if (str(f).endsWith("/background"))
        report.note(
          `metadata.finalizers[${i}]`,
          "background deletion becomes Tether's cascade (foreground) deletion",
        );
    } else report.drop(`metadata.finalizers[${i}]`, `"${str(f)}": not an Argo CD finalizer Tether knows`);
  });
  return out.length ? out : undefined;
}

function convertApplication(app: Json, options: ImportOptions, report: Reporter): Json {
  const meta = (app["metadata"] ?? {}) as Json;
  const metadata = portableMetadata(
    meta,
    targetNamespace(
      meta["namespace"],
      ARGO_NAMESPACE,
      options.namespace,
      options.systemNamespace ?? "tether-system",
    ),
  );
  const finalizers = convertFinalizers(meta["finalizers"], report);
  if (finalizers) metadata["finalizers"] = finalizers;
  if (app["operation"] !== undefined)
    report.drop(
      "operation",
      "not converted (a sync in progress under Argo CD; ask Tether for a sync with `tether app sync`)",
    );
  return {
    apiVersion: API_VERSION,
    kind: "Application",
    metadata,
    spec: convertApplicationSpec((app["spec"] ?? {}) as Json, "spec", report),
  };
}

const PROJECT_FIELDS = [
  "description",
  "sourceRepos",
  "sourceNamespaces",
  "destinations",
  "clusterResourceWhitelist",
  "clusterResourceBlacklist",
  "namespaceResourceWhitelist",
  "namespaceResourceBlacklist",
  "syncWindows",
];
const WINDOW_FIELDS = [
  "kind",
  "schedule",
  "duration",
  "applications",
  "namespaces",
  "clusters",
  "manualSync",
  "timeZone",
];

function convertProject(project: Json, options: ImportOptions, report: Reporter): Json {
  const spec = (project["spec"] ?? {}) as Json;
  reportUnmapped(
    spec,
    "spec",
    PROJECT_FIELDS,
    {
      roles:
        "not supported (Tether's API roles are set in its RBAC policy, not per project: grant the role's policies to the group there, see docs/security.md)",
      signatureKeys: "not supported (Tether does not verify commit signatures)",
      orphanedResources: "not supported (Tether does not report orphaned resources)",
      destinationServiceAccounts:
        "not supported (Tether applies with its own ServiceAccount; narrow the tether-controller-apply ClusterRole instead)",
      permitOnlyProjectScopedClusters: "not supported (Tether has no project-scoped clusters)",
    },
    report,
  );
  const out = pick(spec, PROJECT_FIELDS);
  if (Array.isArray(spec["destinations"])) {
    out["destinations"] = (spec["destinations"] as Json[]).map((d, i) => {
      reportUnmapped(d, `spec.destinations[${i}]`, ["server", "name", "namespace"], {}, report);
      return pick(d, ["server", "name", "namespace"]);
    });
  }
  if (Array.isArray(spec["syncWindows"])) {
    out["syncWindows"] = (spec["syncWindows"] as Json[]).map((w, i) => {
      reportUnmapped(
        w,
        `spec.syncWindows[${i}]`,
        WINDOW_FIELDS,
        {
          andOperator:
            "not supported (a Tether window applies when any of applications, namespaces, clusters matches)",
          description: "not supported (no description on a window; keep it as a YAML comment)",
        },
        report,
      );
      return pick(w, WINDOW_FIELDS);
    });
  }
  const meta = (project["metadata"] ?? {}) as Json;
  const metadata = portableMetadata(meta, options.systemNamespace ?? "tether-system");
  return { apiVersion: API_VERSION, kind: "AppProject", metadata, spec: out };
}

const GENERATORS = ["list", "clusters", "git", "matrix", "merge", "selector"];
const NO_GENERATOR =
  "not supported (Tether's ApplicationSet generators are list, clusters, git, matrix and merge)";

function convertGenerator(gen: Json, prefix: string, report: Reporter): Json | undefined {
  reportUnmapped(
    gen,
    prefix,
    GENERATORS,
    {
      scmProvider: NO_GENERATOR,
      pullRequest: NO_GENERATOR,
      clusterDecisionResource: NO_GENERATOR,
      plugin: NO_GENERATOR,
    },
    report,
  );
  const out = pick(gen, GENERATORS);
  for (const kind of ["list", "clusters", "git"]) {
    const g = out[kind];
    if (!isObject(g)) continue;
    const converted = { ...g };
    if (kind === "list" && g["elementsYaml"] !== undefined) {
      report.drop(`${prefix}.list.elementsYaml`, "not supported (Tether takes list elements, not YAML text)");
      delete converted["elementsYaml"];
    }
    if (isObject(g["template"]))
      converted["template"] = convertGeneratorTemplate(g["template"], `${prefix}.${kind}.template`, report);
    out[kind] = converted;
  }
  for (const kind of ["matrix", "merge"]) {
    const g = out[kind];
    if (!isObject(g)) continue;
    const converted = { ...g };
    if (Array.isArray(g["generators"])) {
      converted["generators"] = (g["generators"] as Json[])
        .map((child, i) => convertGenerator(child, `${prefix}.${kind}.generators[${i}]`, report))
        .filter((child): child is Json => child !== undefined);
    }
    if (isObject(g["template"]))
      converted["template"] = convertGeneratorTemplate(g["template"], `${prefix}.${kind}.template`, report);
    out[kind] = converted;
  }
  return Object.keys(out).some((k) => k !== "selector") ? out : undefined;
}

function convertGeneratorTemplate(template: Json, prefix: string, report: Reporter): Json {
  const out: Json = { ...template };
  if (isObject(template["spec"]))
    out["spec"] = convertApplicationSpec(template["spec"], `${prefix}.spec`, report);
  return out;
}

function convertApplicationSet(set: Json, options: ImportOptions, report: Reporter): Json {
  const spec = (set["spec"] ?? {}) as Json;
  reportUnmapped(
    spec,
    "spec",
    ["generators", "template", "syncPolicy", "strategy", "preservedFields", "goTemplate"],
    {
      goTemplateOptions: "not supported (Tether never executes Go templates)",
      templatePatch: "not supported (Tether never executes Go templates)",
      ignoreApplicationDifferences:
        "not supported (the ApplicationSet owns every field of the apps it generates)",
      applyNestedSelectors: "not needed (Tether always applies nested selectors)",
    },
    report,
  );
  const out: Json = {};
  if (spec["goTemplate"] === true) {
    report.drop(
      "spec.goTemplate",
      "true: not supported (Tether substitutes {{param}} only and never executes Go templates; rewrite {{.param}} as {{param}})",
    );
  }
  if (Array.isArray(spec["generators"])) {
    out["generators"] = (spec["generators"] as Json[])
      .map((g, i) => convertGenerator(g, `spec.generators[${i}]`, report))
      .filter((g): g is Json => g !== undefined);
  }
  if (isObject(spec["template"])) {
    const template = spec["template"];
    out["template"] = {
      ...template,
      spec: convertApplicationSpec((template["spec"] ?? {}) as Json, "spec.template.spec", report),
    };
  }
  if (isObject(spec["syncPolicy"])) {
    reportUnmapped(
      spec["syncPolicy"],
      "spec.syncPolicy",
      ["preserveResourcesOnDeletion", "applicationsSync"],
      {},
      report,
    );
    out["syncPolicy"] = pick(spec["syncPolicy"], ["preserveResourcesOnDeletion", "applicationsSync"]);
  }
  if (spec["strategy"] !== undefined) out["strategy"] = spec["strategy"];
  if (spec["preservedFields"] !== undefined) out["preservedFields"] = spec["preservedFields"];
  const meta = (set["metadata"] ?? {}) as Json;
  const metadata = portableMetadata(
    meta,
    targetNamespace(
      meta["namespace"],
      ARGO_NAMESPACE,
      options.namespace,
      options.systemNamespace ?? "tether-system",
    ),
  );
  return { apiVersion: API_VERSION, kind: "ApplicationSet", metadata, spec: out };
}

/** Converts every Argo CD object in `docs`; anything else is reported and left out. */
export function convertArgoCD(docs: readonly Json[], options: ImportOptions = {}): ImportResult {
  const messages: ImportMessage[] = [];
  const objects: Json[] = [];
  for (const doc of docs) {
    const report = new Reporter(describe(doc), messages);
    if (doc["apiVersion"] !== ARGO_API_VERSION) {
      report.drop(
        "apiVersion",
        `"${str(doc["apiVersion"])}" is not an Argo CD object (${ARGO_API_VERSION}): not converted`,
      );
      continue;
    }
    if (doc["kind"] === "Application") objects.push(convertApplication(doc, options, report));
    else if (doc["kind"] === "AppProject") objects.push(convertProject(doc, options, report));
    else if (doc["kind"] === "ApplicationSet") objects.push(convertApplicationSet(doc, options, report));
    else report.drop("kind", "not converted (Tether imports Application, AppProject and ApplicationSet)");
  }
  return { objects, messages };
}
