// The ApplicationSet CRD schema (src/model/crd.ts) must match the ApplicationSetSpec type, as
// crd.test.ts checks for Application and AppProject: `sample` is typed so the compiler demands
// every field (and refuses extra ones); the schema must have exactly the same property paths.
// Open-ended parts (list elements, generator templates' spec, second-level nested generators) are
// `x-kubernetes-preserve-unknown-fields` in the schema and stop the comparison there.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { ApplicationSpec } from "../../src/model/application.js";
import type { ApplicationSetGeneratorTemplate, ApplicationSetSpec } from "../../src/model/applicationset.js";
import { applicationSetSpecSchema } from "../../src/model/crd.js";

type DeepRequired<T> = T extends (infer U)[]
  ? DeepRequired<U>[]
  : T extends object
    ? { [K in keyof T]-?: DeepRequired<T[K]> }
    : T;

const fullSpec: DeepRequired<ApplicationSpec> = {
  source: {
    repoURL: "https://example.com/repo.git",
    targetRevision: "main",
    path: "apps/hello",
    chart: "hello",
    type: "Directory",
    directory: { recurse: true, include: "*.yaml", exclude: "skip/*" },
    kustomize: {
      buildOptions: [],
      namePrefix: "p-",
      nameSuffix: "-s",
      namespace: "ns",
      images: [],
      commonLabels: {},
      commonAnnotations: {},
    },
    helm: {
      releaseName: "r",
      valueFiles: [],
      values: "a: 1",
      parameters: [{ name: "a", value: "1", forceString: true }],
      includeCRDs: true,
      skipCrds: false,
    },
  },
  destination: { server: "https://kubernetes.default.svc", name: "in-cluster", namespace: "default" },
  project: "default",
  dependsOn: [{ name: "database", namespace: "apps" }],
  decryption: { provider: "sops", secretRef: { name: "sops-age" } },
  syncPolicy: {
    automated: { prune: true, selfHeal: true, allowEmpty: false },
    syncOptions: ["CreateNamespace=true"],
    retry: { limit: 5, backoff: { duration: "5s", factor: 2, maxDuration: "3m" } },
  },
  ignoreDifferences: [
    {
      group: "apps",
      kind: "Deployment",
      name: "hello",
      namespace: "default",
      jsonPointers: [],
      jqPathExpressions: [],
      managedFieldsManagers: [],
    },
  ],
};
const generatorTemplate: DeepRequired<ApplicationSetGeneratorTemplate> = {
  metadata: { name: "n", namespace: "ns", labels: {}, annotations: {}, finalizers: [] },
  spec: fullSpec,
};
const selector = {
  matchLabels: { env: "prod" },
  matchExpressions: [{ key: "env", operator: "In" as const, values: ["prod"] }],
};
const list = { elements: [{ cluster: "a" }], template: generatorTemplate };
const clusters = { selector, values: { a: "b" }, template: generatorTemplate };
const git = {
  repoURL: "https://example.com/repo.git",
  revision: "HEAD",
  directories: [{ path: "apps/*", exclude: false }],
  files: [{ path: "**/config.json" }],
  pathParamPrefix: "p",
  values: { a: "b" },
  requeueAfterSeconds: 180,
  template: generatorTemplate,
};
const nested = {
  list,
  clusters,
  git,
  matrix: { generators: [], template: generatorTemplate },
  merge: { mergeKeys: ["server"], generators: [], template: generatorTemplate },
  selector,
};

const sample: DeepRequired<ApplicationSetSpec> = {
  goTemplate: false,
  generators: [
    {
      list,
      clusters,
      git,
      matrix: { generators: [nested], template: generatorTemplate },
      merge: { mergeKeys: ["server"], generators: [nested], template: generatorTemplate },
      selector,
    },
  ],
  template: {
    metadata: {
      name: "{{name}}",
      namespace: "apps",
      labels: { a: "b" },
      annotations: { c: "d" },
      finalizers: ["f"],
    },
    spec: fullSpec,
  },
  syncPolicy: { preserveResourcesOnDeletion: true, applicationsSync: "create-update" },
  strategy: {
    type: "RollingSync",
    rollingSync: {
      steps: [{ matchExpressions: [{ key: "env", operator: "In", values: ["dev"] }], maxUpdate: "25%" }],
    },
  },
  preservedFields: { annotations: ["a"], labels: ["b"] },
};

/** Property paths of a value; maps with arbitrary keys (labels) count as leaves. */
function valuePaths(value: unknown, prefix: string, schema: Record<string, unknown>, out: Set<string>): void {
  if (Array.isArray(value))
    return valuePaths(value[0], `${prefix}[]`, schema["items"] as Record<string, unknown>, out);
  if (value && typeof value === "object" && schema["properties"]) {
    for (const [key, child] of Object.entries(value)) {
      const childSchema = (schema["properties"] as Record<string, Record<string, unknown>>)[key] ?? {};
      out.add(`${prefix}.${key}`);
      valuePaths(child, `${prefix}.${key}`, childSchema, out);
    }
  }
}

function schemaPaths(schema: Record<string, unknown>, prefix: string, out: Set<string>): void {
  if (schema["type"] === "array")
    return schemaPaths(schema["items"] as Record<string, unknown>, `${prefix}[]`, out);
  const properties = schema["properties"] as Record<string, Record<string, unknown>> | undefined;
  for (const [key, child] of Object.entries(properties ?? {})) {
    out.add(`${prefix}.${key}`);
    schemaPaths(child, `${prefix}.${key}`, out);
  }
}

test("the ApplicationSet CRD schema has exactly the fields of the ApplicationSetSpec type", () => {
  const fromType = new Set<string>();
  valuePaths(sample, "spec", applicationSetSpecSchema, fromType);
  const fromSchema = new Set<string>();
  schemaPaths(applicationSetSpecSchema, "spec", fromSchema);
  assert.deepEqual([...fromSchema].sort(), [...fromType].sort());
});
