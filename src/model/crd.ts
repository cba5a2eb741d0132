// The Application and AppProject CRDs, each built from one schema description. `npm run generate` writes it to
// deploy/crds/; test/unit/crd.test.ts checks the file is current and that every schema field is a
// field of the TypeScript types in application.ts / appproject.ts (and the other way round).
import { GROUP, VERSION } from "./application.js";
import type { Schema } from "./schema.js";
import { lineRules, nameRules, repoPathRules, repoPatternRules, repoUrlRules, serverRules } from "./rules.js";

export const str = (description?: string): Schema => ({
  type: "string",
  ...(description ? { description } : {}),
});
export const bool = (description?: string): Schema => ({
  type: "boolean",
  ...(description ? { description } : {}),
});
export const int = (description?: string): Schema => ({
  type: "integer",
  ...(description ? { description } : {}),
});
export const strings = (description?: string): Schema => ({
  type: "array",
  items: str(),
  ...(description ? { description } : {}),
});
const stringMap = (): Schema => ({ type: "object", additionalProperties: str() });
export const obj = (properties: Record<string, Schema>, extra: Schema = {}): Schema => ({
  type: "object",
  properties,
  ...extra,
});

/**
 * An Application's spec. `strict`: with the validation rules of model/rules.ts; an ApplicationSet's
 * template is not strict (its fields hold `{{parameters}}`), the Applications it writes are.
 */
function applicationSpec(strict: boolean): Schema {
  const rule = (schema: Schema, apply: (s: Schema) => Schema) => (strict ? apply(schema) : schema);
  const source = obj(
    {
      repoURL: rule(
        { ...str("Git URL (https, http, ssh, git, file) or Helm repository (https, oci://)"), minLength: 1 },
        repoUrlRules,
      ),
      targetRevision: rule(
        str("Branch, tag, commit SHA, HEAD, or a semver range over tags; a chart version with `chart`"),
        (s) => lineRules(s, 1024),
      ),
      path: rule(str("Folder inside the repository"), repoPathRules),
      chart: str("Chart name in a Helm repository"),
      type: { type: "string", enum: ["Directory", "Kustomize", "Helm"] },
      directory: obj({ recurse: bool(), include: str(), exclude: str() }),
      kustomize: obj({
        buildOptions: strings(),
        namePrefix: str(),
        nameSuffix: str(),
        namespace: str(),
        images: strings(),
        commonLabels: stringMap(),
        commonAnnotations: stringMap(),
      }),
      helm: obj({
        releaseName: str(),
        valueFiles: strings(),
        values: str("Inline values (YAML)"),
        parameters: {
          type: "array",
          items: obj({ name: str(), value: str(), forceString: bool() }, { required: ["name", "value"] }),
        },
        includeCRDs: bool(),
        skipCrds: bool(),
      }),
    },
    { required: ["repoURL"] },
  );

  return obj(
    {
      source,
      destination: obj({
        server: rule(str(), serverRules),
        name: rule(str(), serverRules),
        namespace: rule(str(), (s) => nameRules(s, { empty: true, label: true })),
      }),
      project: rule(str("AppProject in Tether's system namespace; empty: default"), (s) =>
        nameRules(s, { empty: true }),
      ),
      dependsOn: {
        type: "array",
        description: "Applications that must be Synced and Healthy before this one syncs",
        items: obj(
          {
            name: rule({ ...str(), minLength: 1 }, nameRules),
            namespace: rule(str(), (s) => nameRules(s, { empty: true, label: true })),
          },
          { required: ["name"] },
        ),
      },
      syncPolicy: obj({
        automated: obj({ prune: bool(), selfHeal: bool(), allowEmpty: bool() }),
        syncOptions: strings(
          "e.g. CreateNamespace=true, PruneLast=true, ServerSideApply=true, ApplyOutOfSyncOnly=true",
        ),
        retry: obj({
          limit: int(),
          backoff: obj({ duration: str(), factor: int(), maxDuration: str() }),
        }),
      }),
      decryption: obj(
        {
          provider: { type: "string", enum: ["sops"] },
          secretRef: obj({ name: { ...str(), minLength: 1 } }, { required: ["name"] }),
        },
        {
          required: ["provider", "secretRef"],
          description:
            "Decrypt SOPS-encrypted manifests with the age identities (data entries ending .agekey) of a Secret in the Application's namespace",
        },
      ),
      ignoreDifferences: {
        type: "array",
        items: obj(
          {
            group: str(),
            kind: str(),
            name: str(),
            namespace: str(),
            jsonPointers: strings(),
            jqPathExpressions: strings(),
            managedFieldsManagers: strings(),
          },
          { required: ["kind"] },
        ),
      },
    },
    { required: ["source", "destination"] },
  );
}

const spec = applicationSpec(true);

/** The schema of `spec`; exported for the type-sync test. */
export const applicationSpecSchema = spec;

export function applicationCrd(): Schema {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `applications.${GROUP}` },
    spec: {
      group: GROUP,
      scope: "Namespaced",
      names: {
        plural: "applications",
        singular: "application",
        kind: "Application",
        listKind: "ApplicationList",
        shortNames: ["app", "apps"],
        categories: ["tether"],
      },
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: [
            { name: "Sync", type: "string", jsonPath: ".status.sync.status" },
            { name: "Health", type: "string", jsonPath: ".status.health.status" },
            { name: "Revision", type: "string", jsonPath: ".status.sync.revision" },
            { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
            { name: "Replica", type: "string", jsonPath: ".status.controller.replica", priority: 1 },
            { name: "Repo", type: "string", jsonPath: ".spec.source.repoURL", priority: 1 },
            { name: "Path", type: "string", jsonPath: ".spec.source.path", priority: 1 },
          ],
          schema: {
            openAPIV3Schema: obj(
              {
                apiVersion: str(),
                kind: str(),
                metadata: { type: "object" },
                spec,
                // Status is written only by Tether; its shape is the ApplicationStatus type.
                status: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
              },
              { required: ["spec"] },
            ),
          },
        },
      ],
    },
  };
}

const groupKinds = (description: string): Schema => ({
  type: "array",
  description,
  items: obj({ group: str(), kind: str() }, { required: ["group", "kind"] }),
});

const projectSpec = obj({
  description: str(),
  sourceNamespaces: strings("Globs of namespaces whose Applications may use the project (`!` denies)"),
  sourceRepos: {
    type: "array",
    description: "Globs of repository URLs the apps may use (`!` in front denies); empty: none",
    maxItems: 256,
    items: repoPatternRules(str()),
  },
  destinations: {
    type: "array",
    description: "Globs of server, cluster name and namespace the apps may deploy to (`!` denies)",
    items: obj({ server: str(), name: str(), namespace: str() }),
  },
  clusterResourceWhitelist: groupKinds("Cluster-scoped kinds the apps may manage; empty: none"),
  clusterResourceBlacklist: groupKinds("Cluster-scoped kinds the apps may not manage"),
  namespaceResourceWhitelist: groupKinds("Namespaced kinds the apps may manage; empty: all"),
  namespaceResourceBlacklist: groupKinds("Namespaced kinds the apps may not manage"),
  syncWindows: {
    type: "array",
    items: obj(
      {
        kind: { type: "string", enum: ["allow", "deny"] },
        schedule: str("Five-field cron expression: when the window opens"),
        duration: str('How long it stays open, e.g. "1h", "30m"'),
        applications: strings("Globs of Application names"),
        namespaces: strings("Globs of destination namespaces"),
        clusters: strings("Globs of destination servers or cluster names"),
        manualSync: bool("Let manual syncs through while the window blocks automated ones"),
        timeZone: str("IANA time zone of the schedule (default UTC)"),
      },
      { required: ["kind", "schedule", "duration"] },
    ),
  },
  policy: obj(
    {
      enforcement: {
        type: "string",
        enum: ["deny", "warn", "audit"],
        description:
          "deny: nothing applied, the sync fails; warn: applied, condition and Warning Event; audit: status only",
      },
      rules: strings(
        "Rule ids, `builtin` (the built-in pack) or `custom` (every ConfigMap/Policy rule); default [builtin]",
      ),
      trustedRegistries: strings(
        "Registries (optionally with a path, e.g. ghcr.io/acme) images may come from",
      ),
      exclude: {
        type: "array",
        description: "Objects the policy does not judge (globs); `rules` limits the exclusion to those ids",
        items: obj({ group: str(), kind: str(), namespace: str(), name: str(), rules: strings() }),
      },
    },
    {
      required: ["enforcement"],
      description: "The policy gate: rules every rendered object must pass (docs/policy.md)",
    },
  ),
});

/** The schema of a Policy's `spec`; exported for the type-sync test. */
export const policySpecSchema = obj(
  {
    rules: {
      type: "array",
      items: obj(
        {
          id: { ...str("Unique rule id, named by projects in spec.policy.rules"), minLength: 1 },
          match: obj({ groups: strings('API group globs ("" is core)'), kinds: strings("Kind globs") }),
          rule: str("CEL bool: true means allowed; `object` is the rendered object"),
          message: str("Text shown for a violation"),
          messageExpression: str("CEL string shown for a violation (wins over message)"),
          description: str(),
        },
        { required: ["id", "rule"] },
      ),
    },
  },
  { required: ["rules"] },
);

export function policyCrd(): Schema {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `policies.${GROUP}` },
    spec: {
      group: GROUP,
      scope: "Namespaced",
      names: {
        plural: "policies",
        singular: "policy",
        kind: "Policy",
        listKind: "PolicyList",
        categories: ["tether"],
      },
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          additionalPrinterColumns: [
            { name: "Rules", type: "string", jsonPath: ".spec.rules[*].id" },
            { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
          ],
          schema: {
            openAPIV3Schema: obj(
              { apiVersion: str(), kind: str(), metadata: { type: "object" }, spec: policySpecSchema },
              { required: ["spec"] },
            ),
          },
        },
      ],
    },
  };
}

/** The schema of an AppProject's `spec`; exported for the type-sync test. */
export const appProjectSpecSchema = projectSpec;

export function appProjectCrd(): Schema {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `appprojects.${GROUP}` },
    spec: {
      group: GROUP,
      scope: "Namespaced",
      names: {
        plural: "appprojects",
        singular: "appproject",
        kind: "AppProject",
        listKind: "AppProjectList",
        shortNames: ["appproj", "appprojs"],
        categories: ["tether"],
      },
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          additionalPrinterColumns: [
            { name: "Description", type: "string", jsonPath: ".spec.description" },
            { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
          ],
          schema: {
            openAPIV3Schema: obj(
              { apiVersion: str(), kind: str(), metadata: { type: "object" }, spec: projectSpec },
              { required: ["spec"] },
            ),
          },
        },
      ],
    },
  };
}

// ---------------------------------------------------------------------------------------------
// ApplicationSet: Argo CD's field names. Structural schemas cannot recurse, so the children of a
// nested matrix/merge (the second level) are kept as-is and checked by the controller.
// ---------------------------------------------------------------------------------------------
const matchExpressions: Schema = {
  type: "array",
  items: obj(
    {
      key: str(),
      operator: { type: "string", enum: ["In", "NotIn", "Exists", "DoesNotExist"] },
      values: strings(),
    },
    { required: ["key", "operator"] },
  ),
};
const labelSelector = obj({ matchLabels: stringMap(), matchExpressions });

const templateMeta = (required: boolean): Schema =>
  obj(
    {
      name: str("Application name; may use {{parameters}}"),
      namespace: str(),
      labels: stringMap(),
      annotations: stringMap(),
      finalizers: strings(),
    },
    required ? { required: ["name"] } : {},
  );

const generatorTemplate = obj(
  {
    metadata: templateMeta(false),
    spec: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
  },
  { description: "Merged over the set's template for this generator's Applications" },
);

const listGenerator = obj(
  {
    elements: {
      type: "array",
      items: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
    },
    template: generatorTemplate,
  },
  { required: ["elements"] },
);
const clustersGenerator = obj({ selector: labelSelector, values: stringMap(), template: generatorTemplate });
/**
 * `strict`: the URL rules of model/rules.ts. Only on top-level generators: CEL's cost budget does not
 * reach into nested generator lists; a nested URL is refused by the source stage when it is used.
 */
const gitGenerator = (strict: boolean) =>
  obj(
    {
      repoURL: strict
        ? repoPatternRules({ ...str(), minLength: 1 })
        : { ...str(), minLength: 1, maxLength: 2048 },
      revision: str("Branch, tag or commit (default HEAD)"),
      directories: {
        type: "array",
        items: obj({ path: str("Glob over directory paths"), exclude: bool() }, { required: ["path"] }),
      },
      files: {
        type: "array",
        items: obj({ path: str("Glob over JSON/YAML file paths") }, { required: ["path"] }),
      },
      pathParamPrefix: str(),
      values: stringMap(),
      requeueAfterSeconds: int(),
      template: generatorTemplate,
    },
    { required: ["repoURL"] },
  );
const opaqueGenerators: Schema = {
  type: "array",
  items: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
};
const nestedGenerator = obj({
  list: listGenerator,
  clusters: clustersGenerator,
  git: gitGenerator(false),
  matrix: obj({ generators: opaqueGenerators, template: generatorTemplate }, { required: ["generators"] }),
  merge: obj(
    { mergeKeys: strings(), generators: opaqueGenerators, template: generatorTemplate },
    { required: ["mergeKeys", "generators"] },
  ),
  selector: labelSelector,
});
const nestedGenerators: Schema = { type: "array", items: nestedGenerator, maxItems: 16 };
const generator = obj({
  list: listGenerator,
  clusters: clustersGenerator,
  git: gitGenerator(true),
  matrix: obj({ generators: nestedGenerators, template: generatorTemplate }, { required: ["generators"] }),
  merge: obj(
    { mergeKeys: strings(), generators: nestedGenerators, template: generatorTemplate },
    { required: ["mergeKeys", "generators"] },
  ),
  selector: labelSelector,
});

const applicationSetSpec = obj(
  {
    goTemplate: bool("Must be false: Tether substitutes {{parameters}} and never executes templates"),
    generators: { type: "array", items: generator, maxItems: 32 },
    template: obj(
      { metadata: templateMeta(true), spec: applicationSpec(false) },
      { required: ["metadata", "spec"] },
    ),
    syncPolicy: obj({
      preserveResourcesOnDeletion: bool(
        "Generated Applications carry no cascade finalizer: deleting them leaves their resources",
      ),
      applicationsSync: { type: "string", enum: ["create-only", "create-update", "create-delete", "sync"] },
    }),
    strategy: obj(
      {
        type: { type: "string", enum: ["AllAtOnce", "RollingSync"] },
        rollingSync: obj(
          {
            steps: {
              type: "array",
              items: obj(
                {
                  matchExpressions,
                  maxUpdate: { "x-kubernetes-int-or-string": true },
                },
                { required: ["matchExpressions"] },
              ),
            },
          },
          { required: ["steps"] },
        ),
      },
      { required: ["type"] },
    ),
    preservedFields: obj({ annotations: strings(), labels: strings() }),
  },
  { required: ["generators", "template"] },
);
/** The schema of an ApplicationSet's `spec`; exported for the type-sync test. */
export const applicationSetSpecSchema = applicationSetSpec;

export function applicationSetCrd(): Schema {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `applicationsets.${GROUP}` },
    spec: {
      group: GROUP,
      scope: "Namespaced",
      names: {
        plural: "applicationsets",
        singular: "applicationset",
        kind: "ApplicationSet",
        listKind: "ApplicationSetList",
        shortNames: ["appset", "appsets"],
        categories: ["tether"],
      },
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: [
            {
              name: "Error",
              type: "string",
              jsonPath: '.status.conditions[?(@.type=="ErrorOccurred")].status',
            },
            { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
          ],
          schema: {
            openAPIV3Schema: obj(
              {
                apiVersion: str(),
                kind: str(),
                metadata: { type: "object" },
                spec: applicationSetSpec,
                status: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
              },
              { required: ["spec"] },
            ),
          },
        },
      ],
    },
  };
}
