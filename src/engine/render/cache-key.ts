// The render cache key: (commit, path, hash of everything else that changes the output).
// Canonical JSON (sorted keys, undefined dropped) so `{a,b}` and `{b,a}` hash the same.
import { createHash } from "node:crypto";
import type { RenderInput, RenderLimits, RendererOptions } from "./types.js";

export function canonicalJson(value: unknown): string {
  if (value === undefined) return "null";
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
}

export function optionsHash(
  input: RenderInput,
  options: Pick<
    RendererOptions,
    "helmBinary" | "kustomizeBinary" | "allowRemoteBases" | "env" | "ociPlainHttp"
  >,
  limits: RenderLimits,
): string {
  const { source } = input;
  const relevant = {
    // For Git sources the commit stands for targetRevision; a chart version is the revision itself.
    source: { ...source, path: undefined, targetRevision: source.chart ? source.targetRevision : undefined },
    namespace: input.namespace,
    appName: input.appName,
    // Public recipients only, never identities: a render made with other keys (or none) is another
    // render — a key Secret removed or rotated is never papered over by a cached success.
    decryption: input.decryption
      ? { source: input.decryption.source, recipients: input.decryption.recipients }
      : undefined,
    helmBinary: options.helmBinary,
    kustomizeBinary: options.kustomizeBinary,
    allowRemoteBases: options.allowRemoteBases ?? false,
    env: options.env,
    ociPlainHttp: options.ociPlainHttp ?? false,
    // Limits decide success or failure, and only successes are cached; still, a render cached
    // under generous limits must not satisfy a caller with stricter ones.
    limits,
  };
  return createHash("sha256").update(canonicalJson(relevant)).digest("hex").slice(0, 32);
}

/**
 * Commit and path stay readable in the key (handy when debugging); the rest is hashed. The
 * checkout folder is deliberately not part of it: two checkouts of one commit hold the same tree,
 * so a fresh checkout of an unchanged commit is still a cache hit.
 */
export function renderCacheKey(input: RenderInput, hash: string): string {
  return `${input.commit}\0${input.source.path ?? ""}\0${hash}`;
}
