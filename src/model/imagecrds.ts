// CRDs of the image automation kinds (images.ts), built like the Application's (crd.ts).
import { GROUP, VERSION } from "./application.js";
import type { Schema } from "./schema.js";
import { bool, obj, str, strings } from "./crd.js";
import type { ImageKind } from "./images.js";
import { IMAGE_KINDS } from "./images.js";
import { lineRules, repoPathRules, repoUrlRules } from "./rules.js";

const duration = (what: string): Schema => ({
  ...str(`${what}, Go-style duration (e.g. 30s, 5m, 1h)`),
  pattern: "^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$",
});
const order = (): Schema => obj({ order: { type: "string", enum: ["asc", "desc"] } });

export const imageRepositorySpecSchema = obj(
  {
    image: { ...str("Image name without tag, e.g. ghcr.io/org/app"), minLength: 1 },
    interval: duration("Time between scans"),
    secretRef: obj({ name: str() }, { required: ["name"] }),
    exclusionList: strings("Regular expressions of tags to ignore"),
    insecure: bool("Plain HTTP"),
    timeout: duration("Per-request timeout"),
    suspend: bool(),
  },
  { required: ["image"] },
);

export const imagePolicySpecSchema = obj(
  {
    imageRepositoryRef: obj({ name: str(), namespace: str() }, { required: ["name"] }),
    policy: obj(
      {
        semver: obj({ range: { ...str("e.g. ^1.2, >=1.0.0-0"), minLength: 1 } }, { required: ["range"] }),
        alphabetical: order(),
        numerical: order(),
      },
      { minProperties: 1, maxProperties: 1 },
    ),
    filterTags: obj(
      { pattern: str("Regular expression"), extract: str("e.g. $ts") },
      { required: ["pattern"] },
    ),
  },
  { required: ["imageRepositoryRef", "policy"] },
);

export const imageUpdateAutomationSpecSchema = obj(
  {
    sourceRef: obj(
      { url: repoUrlRules(str("Git repository URL")), branch: lineRules(str(), 255) },
      { required: ["url"] },
    ),
    interval: duration("Time between runs"),
    git: obj(
      {
        checkout: obj({ ref: obj({ branch: str() }) }),
        commit: obj(
          {
            author: obj({ name: str(), email: str() }, { required: ["name", "email"] }),
            messageTemplate: str("{{ automation }}, {{ changes }}, {{ images }}, {{ files }}"),
          },
          { required: ["author"] },
        ),
        push: obj({ branch: str() }),
      },
      { required: ["commit"] },
    ),
    update: obj({ path: repoPathRules(str()), strategy: { type: "string", enum: ["Setters"] } }),
    suspend: bool(),
  },
  { required: ["sourceRef", "git"] },
);

const SPECS: Record<ImageKind, Schema> = {
  ImageRepository: imageRepositorySpecSchema,
  ImagePolicy: imagePolicySpecSchema,
  ImageUpdateAutomation: imageUpdateAutomationSpecSchema,
};

const COLUMNS: Record<ImageKind, Schema[]> = {
  ImageRepository: [
    { name: "Image", type: "string", jsonPath: ".spec.image" },
    { name: "Tags", type: "integer", jsonPath: ".status.lastScanResult.tagCount" },
    { name: "Last scan", type: "date", jsonPath: ".status.lastScanResult.scanTime" },
  ],
  ImagePolicy: [{ name: "Latest", type: "string", jsonPath: ".status.latestImage" }],
  ImageUpdateAutomation: [
    { name: "Last push", type: "string", jsonPath: ".status.lastPushCommit" },
    { name: "Last run", type: "date", jsonPath: ".status.lastAutomationRunTime" },
  ],
};

export function imageCrd(kind: ImageKind): Schema {
  const names = IMAGE_KINDS[kind];
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `${names.plural}.${GROUP}` },
    spec: {
      group: GROUP,
      scope: "Namespaced",
      names: {
        plural: names.plural,
        singular: names.singular,
        kind,
        listKind: `${kind}List`,
        shortNames: [...names.shortNames],
        categories: ["tether", "tether-images"],
      },
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: [
            { name: "Ready", type: "string", jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
            ...COLUMNS[kind],
            {
              name: "Message",
              type: "string",
              jsonPath: '.status.conditions[?(@.type=="Ready")].message',
              priority: 1,
            },
            { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
          ],
          schema: {
            openAPIV3Schema: obj(
              {
                apiVersion: str(),
                kind: str(),
                metadata: { type: "object" },
                spec: SPECS[kind],
                // Written only by Tether; its shape is the <Kind>Status type in images.ts.
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
