// The CRD in deploy/ is generated from src/model/crd.ts and must match the TypeScript types:
// `sample` is typed so the compiler demands every field of ApplicationSpec (and refuses extra
// ones); the test then demands the schema has exactly the same property paths.
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import path from "node:path";
import { test } from "node:test";
import type { ApplicationSpec } from "../../src/model/application.js";
import type { AppProjectSpec } from "../../src/model/appproject.js";
import type { PolicySpec } from "../../src/model/policy.js";
import { applicationSpecSchema, appProjectSpecSchema, policySpecSchema } from "../../src/model/crd.js";
import { generatedFiles } from "../../src/model/generated.js";
import type {
  ImagePolicySpec,
  ImageRepositorySpec,
  ImageUpdateAutomationSpec,
} from "../../src/model/images.js";
import {
  imagePolicySpecSchema,
  imageRepositorySpecSchema,
  imageUpdateAutomationSpecSchema,
} from "../../src/model/imagecrds.js";
import { repoRoot } from "../../src/toolchain/components.js";

type DeepRequired<T> = T extends (infer U)[]
  ? DeepRequired<U>[]
  : T extends object
    ? { [K in keyof T]-?: DeepRequired<T[K]> }
    : T;

const sample: DeepRequired<ApplicationSpec> = {
  source: {
    repoURL: "https://example.com/repo.git",
    targetRevision: "main",
    path: "apps/hello",
    chart: "hello",
    type: "Directory",
    directory: { recurse: true, include: "*.yaml", exclude: "skip/*" },
    kustomize: {
      buildOptions: ["--enable-helm"],
      namePrefix: "p-",
      nameSuffix: "-s",
      namespace: "ns",
      images: ["nginx=nginx:1.27"],
      commonLabels: { a: "b" },
      commonAnnotations: { c: "d" },
    },
    helm: {
      releaseName: "r",
      valueFiles: ["values.yaml"],
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
      jsonPointers: ["/spec/replicas"],
      jqPathExpressions: [".spec.replicas"],
      managedFieldsManagers: ["kube-controller-manager"],
    },
  ],
};

const projectSample: DeepRequired<AppProjectSpec> = {
  description: "team a",
  sourceNamespaces: ["team-a"],
  sourceRepos: ["https://git.example.com/team-a/*"],
  destinations: [{ server: "https://kubernetes.default.svc", name: "in-cluster", namespace: "team-a-*" }],
  clusterResourceWhitelist: [{ group: "", kind: "Namespace" }],
  clusterResourceBlacklist: [{ group: "rbac.authorization.k8s.io", kind: "*" }],
  namespaceResourceWhitelist: [{ group: "*", kind: "*" }],
  namespaceResourceBlacklist: [{ group: "", kind: "ResourceQuota" }],
  syncWindows: [
    {
      kind: "deny",
      schedule: "0 22 * * *",
      duration: "8h",
      applications: ["*"],
      namespaces: ["prod-*"],
      clusters: ["in-cluster"],
      manualSync: true,
      timeZone: "Europe/Paris",
    },
  ],
  policy: {
    enforcement: "deny",
    rules: ["builtin"],
    trustedRegistries: ["ghcr.io/acme"],
    exclude: [
      { group: "apps", kind: "Deployment", namespace: "kube-*", name: "legacy", rules: ["resource-limits"] },
    ],
  },
};

const policySample: DeepRequired<PolicySpec> = {
  rules: [
    {
      id: "team-label",
      match: { groups: ["apps"], kinds: ["Deployment"] },
      rule: "has(object.metadata.labels) && 'team' in object.metadata.labels",
      message: "every Deployment needs a team label",
      messageExpression: '"no team label on " + object.metadata.name',
      description: "ownership",
    },
  ],
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

test("the CRD schema has exactly the fields of the ApplicationSpec type", () => {
  const fromType = new Set<string>();
  valuePaths(sample, "spec", applicationSpecSchema, fromType);
  const fromSchema = new Set<string>();
  schemaPaths(applicationSpecSchema, "spec", fromSchema);
  assert.deepEqual([...fromSchema].sort(), [...fromType].sort());
});

test("the AppProject CRD schema has exactly the fields of the AppProjectSpec type", () => {
  const fromType = new Set<string>();
  valuePaths(projectSample, "spec", appProjectSpecSchema, fromType);
  const fromSchema = new Set<string>();
  schemaPaths(appProjectSpecSchema, "spec", fromSchema);
  assert.deepEqual([...fromSchema].sort(), [...fromType].sort());
});
const imageRepositorySample: DeepRequired<ImageRepositorySpec> = {
  image: "ghcr.io/org/app",
  interval: "5m",
  secretRef: { name: "regcred" },
  exclusionList: ["^.*\\.sig$"],
  insecure: false,
  timeout: "30s",
  suspend: false,
};

const imagePolicySample: DeepRequired<ImagePolicySpec> = {
  imageRepositoryRef: { name: "app", namespace: "ns" },
  policy: { semver: { range: "^1.2" }, alphabetical: { order: "asc" }, numerical: { order: "desc" } },
  filterTags: { pattern: "^main-(?<ts>[0-9]+)$", extract: "$ts" },
};

const imageUpdateAutomationSample: DeepRequired<ImageUpdateAutomationSpec> = {
  sourceRef: { url: "https://example.com/repo.git", branch: "main" },
  interval: "5m",
  git: {
    checkout: { ref: { branch: "main" } },
    commit: { author: { name: "bot", email: "bot@example.com" }, messageTemplate: "{{ changes }}" },
    push: { branch: "updates" },
  },
  update: { path: "apps", strategy: "Setters" },
  suspend: false,
};

for (const [kind, sample, schema] of [
  ["ImageRepository", imageRepositorySample, imageRepositorySpecSchema],
  ["ImagePolicy", imagePolicySample, imagePolicySpecSchema],
  ["ImageUpdateAutomation", imageUpdateAutomationSample, imageUpdateAutomationSpecSchema],
] as const) {
  test(`the ${kind} CRD schema has exactly the fields of its spec type`, () => {
    const fromType = new Set<string>();
    valuePaths(sample, "spec", schema, fromType);
    const fromSchema = new Set<string>();
    schemaPaths(schema, "spec", fromSchema);
    assert.deepEqual([...fromSchema].sort(), [...fromType].sort());
  });
}

test("the Policy CRD schema has exactly the fields of the PolicySpec type", () => {
  const fromType = new Set<string>();
  valuePaths(policySample, "spec", policySpecSchema, fromType);
  const fromSchema = new Set<string>();
  schemaPaths(policySpecSchema, "spec", fromSchema);
  assert.deepEqual([...fromSchema].sort(), [...fromType].sort());
});

test("committed generated files are up to date (run `npm run generate`)", async () => {
  for (const [file, content] of Object.entries(generatedFiles())) {
    assert.equal(await fs.readFile(path.join(repoRoot, file), "utf8"), content, `${file} is stale`);
  }
});
