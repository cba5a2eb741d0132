// The Application and AppProject CRDs, each built from one schema description. `npm run generate` writes it to
// deploy/crds/; test/unit/crd.test.ts checks the file is current and that every schema field is a
// field of the TypeScript types in application.ts / appproject.ts (and the other way round).
import { GROUP, VERSION } from "./application.js";

type Schema = Record<string, unknown>;

const str = (description?: string): Schema => ({ type: "string", ...(description ? { description } : {}) });
const bool = (description?: string): Schema => ({ type: "boolean", ...(description ? { description } : {}) });
const int = (description?: string): Schema => ({ type: "integer", ...(description ? { description } : {}) });
const strings = (description?: string): Schema => ({
  type: "array",
  items: str(),
  ...(description ? { description } : {}),
});
const stringMap = (): Schema => ({ type: "object", additionalProperties: str() });
const obj = (properties: Record<string, Schema>, extra: Schema = {}): Schema => ({
  type: "object",
  properties,
  ...extra,
});

const source = obj(
  {
    repoURL: {
      ...str("Git URL (https, http, ssh, git, file) or Helm repository (https, oci://)"),
      minLength: 1,
    },
    targetRevision: str(
      "Branch, tag, commit SHA, HEAD, or a semver range over tags; a chart version with `chart`",
    ),
    path: str("Folder inside the repository"),
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

const spec = obj(
  {
    source,
    destination: obj({ server: str(), name: str(), namespace: str() }),
    project: str("AppProject in Tether's system namespace; empty: default"),
    dependsOn: {
      type: "array",
      description: "Applications that must be Synced and Healthy before this one syncs",
      items: obj({ name: { ...str(), minLength: 1 }, namespace: str() }, { required: ["name"] }),
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
  sourceRepos: strings("Globs of repository URLs the apps may use (`!` in front denies); empty: none"),
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
});

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
