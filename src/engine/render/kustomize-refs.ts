// What a kustomization points at, read before kustomize runs so a remote base or a folder outside
// the repository is refused with a message naming the file and field. Pure functions.
import { RenderError } from "../errors.js";

/** Fields whose entries are a local file, a local kustomization folder, or a remote URL. */
export const REFERENCE_FIELDS = [
  "resources",
  "bases",
  "components",
  "generators",
  "transformers",
  "validators",
];

export interface KustomizationReference {
  /** e.g. `resources[2]`. */
  field: string;
  value: string;
}

/**
 * True for anything kustomize would fetch instead of reading from disk: URLs with a scheme,
 * scp-style `git@host:`, `?ref=` / `?version=` queries, and `host.tld/org/repo` forms
 * (github.com/…, gitlab.com/…) that kustomize treats as git repositories.
 */
export function isRemoteReference(value: string): boolean {
  const v = value.trim();
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(v) || /^git::/i.test(v)) return true;
  if (/^[\w.-]+@[\w.-]+:/.test(v)) return true;
  if (/[?&](ref|version|submodules|timeout)=/.test(v)) return true;
  if (/^(github\.com|gitlab\.com|bitbucket\.org|dev\.azure\.com)([/:]|$)/i.test(v)) return true;
  // `host.tld/path//subdir`: the double slash is kustomize's repo/sub-folder separator.
  if (/^[a-z0-9-]+(\.[a-z0-9-]+)+\/.*\/\//i.test(v)) return true;
  return false;
}

/** Path-like references of a parsed kustomization (inline YAML generator configs are skipped). */
export function kustomizationReferences(kustomization: unknown): KustomizationReference[] {
  if (typeof kustomization !== "object" || kustomization === null) return [];
  const k = kustomization as Record<string, unknown>;
  const refs: KustomizationReference[] = [];
  for (const field of REFERENCE_FIELDS) {
    const list = k[field];
    if (!Array.isArray(list)) continue;
    list.forEach((value, i) => {
      if (typeof value === "string" && !value.includes("\n")) refs.push({ field: `${field}[${i}]`, value });
    });
  }
  return refs;
}

/** helmCharts entries that would be downloaded (`repo` set); vendored charts are checked by the caller. */
export function helmChartRepos(kustomization: unknown): { field: string; name: string; repo: string }[] {
  const charts = (kustomization as { helmCharts?: unknown } | null)?.helmCharts;
  if (!Array.isArray(charts)) return [];
  return charts.flatMap((chart: unknown, i) => {
    const c = chart as { name?: unknown; repo?: unknown } | null;
    return typeof c?.repo === "string" && c.repo !== ""
      ? [{ field: `helmCharts[${i}].repo`, name: typeof c.name === "string" ? c.name : "", repo: c.repo }]
      : [];
  });
}

export function remoteRefused(file: string, field: string, value: string): RenderError {
  return new RenderError(
    "RemoteBaseRefused",
    `${file}: ${field} ${JSON.stringify(value)} is a remote base; remote bases are disabled (allowRemoteBases)`,
  );
}

/**
 * `buildOptions` allow-list. Exec/alpha plugins, functions with network or mounts, and a relaxed
 * load restrictor would let a repository run code or read outside its root, so they are refused.
 */
const ALLOWED_FLAGS = new Set(["--enable-helm"]);
const ALLOWED_WITH_VALUE: Record<string, (value: string) => boolean> = {
  "--load-restrictor": (v) => v === "LoadRestrictionsRootOnly",
  "--helm-kube-version": (v) => /^v?\d+\.\d+(\.\d+)?$/.test(v),
  "--helm-api-versions": (v) => /^[\w./-]+$/.test(v),
};

/** Validates and normalizes buildOptions into argv (pure). */
export function kustomizeBuildArgs(buildOptions: readonly string[] | undefined): string[] {
  const options = buildOptions ?? [];
  const args: string[] = [];
  for (let i = 0; i < options.length; i++) {
    const raw = options[i] ?? "";
    const field = `spec.source.kustomize.buildOptions[${i}]`;
    const [flag = "", inlineValue] = raw.includes("=")
      ? [raw.slice(0, raw.indexOf("=")), raw.slice(raw.indexOf("=") + 1)]
      : [raw];
    if (ALLOWED_FLAGS.has(flag) && inlineValue === undefined) {
      args.push(flag);
      continue;
    }
    const check = ALLOWED_WITH_VALUE[flag];
    const value = inlineValue ?? options[i + 1];
    if (check && value !== undefined && check(value)) {
      if (inlineValue === undefined) i++;
      args.push(flag, value);
      continue;
    }
    throw new RenderError(
      "KustomizeFailed",
      `${field} ${JSON.stringify(raw)} is not an allowed kustomize build option`,
    );
  }
  return args;
}

/** Argo CD's image override syntax `[old=]new[:tag|@digest]` as a kustomize `images` entry (pure). */
export function kustomizeImage(spec: string): Record<string, string> {
  const eq = spec.indexOf("=");
  const name = eq >= 0 ? spec.slice(0, eq) : undefined;
  const target = eq >= 0 ? spec.slice(eq + 1) : spec;
  const at = target.indexOf("@");
  const lastSlash = target.lastIndexOf("/");
  const colon = target.lastIndexOf(":");
  let image = target;
  const entry: Record<string, string> = {};
  if (at >= 0) {
    image = target.slice(0, at);
    entry.digest = target.slice(at + 1);
  } else if (colon > lastSlash) {
    image = target.slice(0, colon);
    entry.newTag = target.slice(colon + 1);
  }
  if (name !== undefined && name !== image) return { name, newName: image, ...entry };
  return { name: image, ...entry };
}
