// Image update automation (tether.dev/v1alpha1), after Flux's image-reflector and
// image-automation controllers: an ImageRepository scans a registry's tags, an ImagePolicy picks the
// latest one, an ImageUpdateAutomation writes it into marked fields of manifests in Git and pushes.
// The CRD schemas in deploy/ are checked against these types by test/unit/crd.test.ts.
import type { Condition, ObjectMeta } from "./application.js";
import type { API_VERSION } from "./application.js";

export interface LocalObjectReference {
  name: string;
}

export interface ImageRepositorySpec {
  /** Image name without tag, e.g. `ghcr.io/org/app`, `nginx` (Docker Hub), `127.0.0.1:5000/app`. */
  image: string;
  /** Go-style duration between scans, e.g. "5m" (default "5m"). */
  interval?: string;
  /** Secret in the same namespace: `kubernetes.io/dockerconfigjson`, or `username`/`password` keys. */
  secretRef?: LocalObjectReference;
  /** Regular expressions; tags matching any are ignored (default: `^.*\.sig$`, cosign signatures). */
  exclusionList?: string[];
  /** Plain HTTP instead of HTTPS (a registry on loopback or a lab network). */
  insecure?: boolean;
  /** Per-request timeout, Go-style duration (default "30s"). */
  timeout?: string;
  /** Stop scanning while true. */
  suspend?: boolean;
}

export interface ScanResult {
  tagCount: number;
  scanTime: string;
  /** Up to 10 tags, newest-looking first (sorted descending), for a quick look. */
  latestTags?: string[];
}

export interface ImageRepositoryStatus {
  conditions?: Condition[];
  observedGeneration?: number;
  /** The registry host and repository that were scanned (Docker Hub names expanded). */
  canonicalImageName?: string;
  lastScanResult?: ScanResult;
}

export interface ImageRepository {
  apiVersion: typeof API_VERSION;
  kind: "ImageRepository";
  metadata: ObjectMeta;
  spec: ImageRepositorySpec;
  status?: ImageRepositoryStatus;
}

export type SortOrder = "asc" | "desc";

export interface ImagePolicyChoice {
  /** A semver range over tags, e.g. "^1.2", ">=1.0.0-0" (prereleases only when the range names one). */
  semver?: { range: string };
  /** asc (default): the last tag in alphabetical order wins; desc: the first. */
  alphabetical?: { order?: SortOrder };
  /** asc (default): the highest number wins; desc: the lowest. */
  numerical?: { order?: SortOrder };
}

export interface TagFilter {
  /** Regular expression a tag must match; named groups `(?<ts>…)` or `(?P<ts>…)` can be extracted. */
  pattern: string;
  /** What the policy compares instead of the tag, e.g. "$ts" (default: the whole tag). */
  extract?: string;
}

export interface ImagePolicySpec {
  /** ImageRepository in the same namespace (or `namespace` when given). */
  imageRepositoryRef: { name: string; namespace?: string };
  policy: ImagePolicyChoice;
  filterTags?: TagFilter;
}

export interface ImagePolicyStatus {
  conditions?: Condition[];
  observedGeneration?: number;
  /** `image:tag` chosen. */
  latestImage?: string;
  latestTag?: string;
  /** The previous choice, when it changed. */
  previousImage?: string;
  /** Tags of the repository scan the choice was made from. */
  tagCount?: number;
  lastEvaluatedAt?: string;
}

export interface ImagePolicy {
  apiVersion: typeof API_VERSION;
  kind: "ImagePolicy";
  metadata: ObjectMeta;
  spec: ImagePolicySpec;
  status?: ImagePolicyStatus;
}

export interface CommitAuthor {
  name: string;
  email: string;
}

export interface ImageUpdateAutomationSpec {
  /** The Git repository written to (credentials: repository Secrets, as for Applications). */
  sourceRef: { url: string; branch?: string };
  /** Go-style duration between runs (default "5m"); a policy change runs it at once. */
  interval?: string;
  git: {
    /** The branch checked out (default: sourceRef.branch, else "main"). */
    checkout?: { ref?: { branch?: string } };
    commit: {
      author: CommitAuthor;
      /** Placeholders: {{ automation }}, {{ changes }}, {{ images }}, {{ files }}. */
      messageTemplate?: string;
    };
    /** Where to push (default: the checkout branch); a new branch is created from the checkout branch. */
    push?: { branch?: string };
  };
  update?: {
    /** Folder whose YAML files are scanned for markers (default: the repository root). */
    path?: string;
    strategy?: "Setters";
  };
  suspend?: boolean;
}

export interface ImageUpdateAutomationStatus {
  conditions?: Condition[];
  observedGeneration?: number;
  lastAutomationRunTime?: string;
  lastPushCommit?: string;
  lastPushTime?: string;
  /** The images written by the last push, `image:tag`. */
  lastPushImages?: string[];
  /** Tip of the push branch the last run worked on. */
  lastHandledCommit?: string;
}

export interface ImageUpdateAutomation {
  apiVersion: typeof API_VERSION;
  kind: "ImageUpdateAutomation";
  metadata: ObjectMeta;
  spec: ImageUpdateAutomationSpec;
  status?: ImageUpdateAutomationStatus;
}

export const IMAGE_KINDS = {
  ImageRepository: { plural: "imagerepositories", singular: "imagerepository", shortNames: ["imagerepo"] },
  ImagePolicy: { plural: "imagepolicies", singular: "imagepolicy", shortNames: ["imgpol"] },
  ImageUpdateAutomation: {
    plural: "imageupdateautomations",
    singular: "imageupdateautomation",
    shortNames: ["iua"],
  },
} as const;

export type ImageKind = keyof typeof IMAGE_KINDS;
