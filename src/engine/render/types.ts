// The render stage's contract: what a caller hands in, what it gets back, and the limits that
// keep one hostile or broken repository from exhausting the controller.
import type { ApplicationSource, SourceType } from "../../model/application.js";
import type { SopsKeys } from "./sops/keys.js";
import type { RenderedKubeObject } from "../../model/ref.js";

export interface RenderedObject {
  object: RenderedKubeObject;
  /**
   * Where the object came from. Directory mode: the file, relative to the repository root.
   * Helm: the template (relative to the repository root for a chart in Git, `<chart>/templates/…`
   * as Helm prints it for a chart from a repository). Kustomize: `kustomize build <path>`.
   */
  sourceFile: string;
  /** 1-based line of the document (directory mode only: tool output has no useful lines). */
  line?: number;
  /** Decrypted from a SOPS file: no message may quote its values (src/lib/redact.ts). */
  decrypted?: boolean;
}

export interface RenderResult {
  /** The source type that rendered (detected or forced). */
  type: SourceType;
  objects: RenderedObject[];
}

export interface RenderLimits {
  /** Wall-clock budget for one render, tools included; a tool still running is SIGKILLed. */
  timeoutMs: number;
  /** Bytes of manifests read from files or produced by a tool. */
  maxOutputBytes: number;
  /** YAML documents (after `kind: List` expansion). */
  maxDocuments: number;
  /** YAML aliases resolved per document (defeats "billion laughs" alias bombs). */
  maxAliasCount: number;
  /** Size of one manifest or values file in the repository. */
  maxFileBytes: number;
}

export const DEFAULT_LIMITS: Readonly<RenderLimits> = {
  timeoutMs: 90_000,
  maxOutputBytes: 64 * 1024 * 1024,
  maxDocuments: 10_000,
  maxAliasCount: 100,
  maxFileBytes: 8 * 1024 * 1024,
};

export interface RendererOptions {
  helmBinary: string;
  kustomizeBinary: string;
  limits?: Partial<RenderLimits>;
  /** Kustomize remote bases (git/http URLs) are refused unless this is true. */
  allowRemoteBases?: boolean;
  /** Extra environment for helm/kustomize (e.g. HTTPS_PROXY); nothing else is inherited. */
  env?: Record<string, string>;
  /** Pass --plain-http to helm for oci:// charts (test registries without TLS). */
  ociPlainHttp?: boolean;
  /** Entries kept in the in-memory render cache (least recently used are dropped). */
  cacheEntries?: number;
}

export interface RenderInput {
  /** Root of a read-only checkout at `commit`: the boundary nothing may leave. */
  repoRoot: string;
  /** Commit SHA of the checkout (for a chart from a Helm repository: anything stable, e.g. the version). */
  commit: string;
  source: ApplicationSource;
  /** Namespace objects are rendered for (`helm template --namespace`). */
  namespace: string;
  /** Default Helm release name when `source.helm.releaseName` is unset (Argo CD uses the app name). */
  appName?: string;
  /**
   * age identities for SOPS-encrypted manifests (from `spec.decryption.secretRef`). Unset: a SOPS
   * file fails the render. Only the public recipients enter the cache key.
   */
  decryption?: SopsKeys;
}

/** Work the renderer did, so callers and tests can see that a cache hit did none. */
export interface RenderStats {
  renders: number;
  cacheHits: number;
  toolInvocations: number;
  filesRead: number;
}

export function resolveLimits(partial: Partial<RenderLimits> | undefined): RenderLimits {
  return { ...DEFAULT_LIMITS, ...partial };
}
