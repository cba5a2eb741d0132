// The ApplicationSet resource (tether.dev/v1alpha1): Applications generated from a template and a
// list of parameter sets. The spec mirrors Argo CD's ApplicationSet field for field (goTemplate
// false, i.e. fasttemplate-style `{{param}}` substitution), so an Argo CD manifest converts by
// changing its apiVersion. The template's spec is a Tether Application spec. The CRD schema in
// deploy/ is checked against these types by a test.
import type {
  API_VERSION,
  ApplicationSpec,
  Condition,
  HealthStatus,
  ObjectMeta,
  SyncStatusCode,
} from "./application.js";

export interface LabelSelectorRequirement {
  key: string;
  operator: "In" | "NotIn" | "Exists" | "DoesNotExist";
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

export interface ApplicationSetTemplateMeta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
}

export interface ApplicationSetTemplate {
  metadata: ApplicationSetTemplateMeta;
  spec: ApplicationSpec;
}

/** A generator-level template: merged over the set's template for that generator's apps. */
export interface ApplicationSetGeneratorTemplate {
  metadata?: Partial<ApplicationSetTemplateMeta>;
  spec?: Partial<ApplicationSpec>;
}

export interface ListGenerator {
  /** Each element is one parameter set (nested maps are flattened with dots). */
  elements: Record<string, unknown>[];
  template?: ApplicationSetGeneratorTemplate;
}

export interface ClusterGenerator {
  /** Over the labels of cluster Secrets; empty selects every cluster, the local one included. */
  selector?: LabelSelector;
  /** Extra parameters `values.<key>`; may reference the cluster's parameters. */
  values?: Record<string, string>;
  template?: ApplicationSetGeneratorTemplate;
}

export interface GitDirectoryGeneratorItem {
  /** Glob over directory paths (`*` stays inside one segment). */
  path: string;
  exclude?: boolean;
}

export interface GitFileGeneratorItem {
  /** Glob over file paths (`**` crosses folders); files are JSON or YAML. */
  path: string;
}

export interface GitGenerator {
  repoURL: string;
  /** Branch, tag or commit (default HEAD). */
  revision?: string;
  directories?: GitDirectoryGeneratorItem[];
  files?: GitFileGeneratorItem[];
  /** Prefix of the path parameters: `<prefix>.path`, `<prefix>.path.basename`, … */
  pathParamPrefix?: string;
  values?: Record<string, string>;
  /** How often the repository is looked at again (default: the controller's poll interval). */
  requeueAfterSeconds?: number;
  template?: ApplicationSetGeneratorTemplate;
}

/** A child of matrix or merge: one generator (matrix and merge may nest once more). */
export interface ApplicationSetNestedGenerator {
  list?: ListGenerator;
  clusters?: ClusterGenerator;
  git?: GitGenerator;
  matrix?: MatrixGenerator;
  merge?: MergeGenerator;
  selector?: LabelSelector;
}

export interface MatrixGenerator {
  /** Exactly two; the second may reference the first's parameters. */
  generators: ApplicationSetNestedGenerator[];
  template?: ApplicationSetGeneratorTemplate;
}

export interface MergeGenerator {
  /** Parameters whose values identify the same element across generators. */
  mergeKeys: string[];
  /** The first is the base; later ones override the base's parameters where the merge keys match. */
  generators: ApplicationSetNestedGenerator[];
  template?: ApplicationSetGeneratorTemplate;
}

export interface ApplicationSetGenerator {
  list?: ListGenerator;
  clusters?: ClusterGenerator;
  git?: GitGenerator;
  matrix?: MatrixGenerator;
  merge?: MergeGenerator;
  /** Keeps only the parameter sets whose parameters match (as if they were labels). */
  selector?: LabelSelector;
}

export type ApplicationsSyncPolicy = "create-only" | "create-update" | "create-delete" | "sync";

export interface ApplicationSetSyncPolicy {
  /** Generated apps lose the cascade finalizer: deleting them (or the set) leaves their resources. */
  preserveResourcesOnDeletion?: boolean;
  /** What the controller may do to generated apps (default `sync`: create, update and delete). */
  applicationsSync?: ApplicationsSyncPolicy;
}

export interface ApplicationSetRolloutStep {
  /** Over the generated apps' labels; an app belongs to the first step it matches. */
  matchExpressions: LabelSelectorRequirement[];
  /** Apps of this step syncing at once: a count, or a percentage such as "25%" (default: all). */
  maxUpdate?: number | string;
}

export interface ApplicationSetStrategy {
  type: "AllAtOnce" | "RollingSync";
  rollingSync?: { steps: ApplicationSetRolloutStep[] };
}

export interface ApplicationSetSpec {
  /** Only false: Tether never executes templates (no Go templates, no Sprig). */
  goTemplate?: boolean;
  generators: ApplicationSetGenerator[];
  template: ApplicationSetTemplate;
  syncPolicy?: ApplicationSetSyncPolicy;
  strategy?: ApplicationSetStrategy;
  /** Metadata the controller keeps when it updates an app (others may write them). */
  preservedFields?: { annotations?: string[]; labels?: string[] };
}

/** An app's place in a rolling sync, as Argo CD reports it. */
export type ApplicationSetAppState = "Waiting" | "Pending" | "Progressing" | "Healthy";

export interface ApplicationSetApplicationStatus {
  application: string;
  /** 1-based step number as text (Argo CD's format); "" when no step matches. */
  step: string;
  status: ApplicationSetAppState;
  message: string;
  lastTransitionTime: string;
}

export interface ApplicationSetResourceStatus {
  name: string;
  namespace?: string;
  status?: SyncStatusCode;
  health?: HealthStatus;
}

export interface ApplicationSetStatus {
  /** ErrorOccurred, ParametersGenerated, ResourcesUpToDate, RolloutProgressing. */
  conditions?: Condition[];
  applicationStatus?: ApplicationSetApplicationStatus[];
  resources?: ApplicationSetResourceStatus[];
  observedGeneration?: number;
}

export interface ApplicationSet {
  apiVersion: typeof API_VERSION;
  kind: "ApplicationSet";
  metadata: ObjectMeta;
  spec: ApplicationSetSpec;
  status?: ApplicationSetStatus;
}
