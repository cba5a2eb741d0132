// `helm template` argv and chart location, as pure functions of the source (easy to test and to
// read: this is exactly what runs).
import type { ApplicationSource, HelmParameter } from "../../model/application.js";
import { RenderError } from "../errors.js";

export type ChartLocation =
  | { kind: "path" }
  | { kind: "repository"; repoURL: string; chart: string; version?: string }
  | { kind: "oci"; ref: string; version?: string };

const CHART_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Where the chart comes from: the Git checkout, a Helm HTTP repository, or an OCI registry. */
export function chartLocation(source: ApplicationSource): ChartLocation {
  if (!source.chart) return { kind: "path" };
  const version =
    source.targetRevision && source.targetRevision !== "HEAD" ? source.targetRevision : undefined;
  const segments = source.chart.split("/");
  if (source.repoURL.startsWith("oci://")) {
    if (!segments.every((s) => CHART_NAME.test(s))) {
      throw new RenderError(
        "HelmFailed",
        `spec.source.chart ${JSON.stringify(source.chart)} is not a chart name`,
      );
    }
    return { kind: "oci", ref: `${source.repoURL.replace(/\/+$/, "")}/${source.chart}`, version };
  }
  if (/^https?:\/\//.test(source.repoURL)) {
    if (!CHART_NAME.test(source.chart)) {
      throw new RenderError(
        "HelmFailed",
        `spec.source.chart ${JSON.stringify(source.chart)} is not a chart name`,
      );
    }
    return { kind: "repository", repoURL: source.repoURL, chart: source.chart, version };
  }
  throw new RenderError(
    "HelmFailed",
    `spec.source.repoURL ${JSON.stringify(source.repoURL)} is not a Helm repository (https:// or oci://)`,
  );
}

export interface HelmTemplateArgs {
  releaseName: string;
  /** Absolute chart folder for a chart in Git, the chart name or oci:// reference otherwise. */
  chart: string;
  location: ChartLocation;
  namespace: string;
  /** Absolute, already-confined value files, in the user's order. */
  valueFiles: string[];
  /** Temp file holding `helm.values` (applied after valueFiles, before parameters, as in Argo CD). */
  inlineValuesFile?: string;
  parameters: HelmParameter[];
  includeCRDs: boolean;
  plainHttp: boolean;
}

// Helm's own rule for release names (helm/pkg/chartutil ValidateReleaseName): DNS-1123, ≤ 53.
const RELEASE_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function refuse(field: string, why: string): never {
  throw new RenderError("HelmFailed", `${field} ${why}`);
}

/**
 * `--set` reads `a=1,b=2` as two assignments and `\` as an escape (helm's strvals), so a value is
 * escaped to stay one literal value: a value of `x,leak=y` must not set a second key.
 */
const escapeSetValue = (value: string) => value.replace(/[\\,]/g, (c) => `\\${c}`);

/**
 * Every user-controlled string reaches helm as the value of a `--flag=value` argument or as a
 * positional after `--`, never as an argument of its own that helm could read as a flag: a
 * release name `--post-renderer=./x.sh` or `--set-file=k=/etc/passwd` once ran a repository's
 * script and read host files (issue 17).
 */
export function helmTemplateArgs(a: HelmTemplateArgs): string[] {
  if (a.releaseName.length > 53 || !RELEASE_NAME.test(a.releaseName)) {
    refuse(
      "spec.source.helm.releaseName",
      `${JSON.stringify(a.releaseName.slice(0, 80))} is not a valid release name (lowercase letters, digits, '-' and '.', at most 53 characters)`,
    );
  }
  const args = ["template", `--namespace=${a.namespace}`];
  args.push(a.includeCRDs ? "--include-crds" : "--skip-crds");
  if (a.location.kind === "repository") args.push(`--repo=${a.location.repoURL}`);
  if (a.location.kind !== "path" && a.location.version) args.push(`--version=${a.location.version}`);
  if (a.location.kind === "oci" && a.plainHttp) args.push("--plain-http");
  // `--values` is a list flag that helm splits on commas: `a.yaml,/etc/passwd` would be two files.
  a.valueFiles.forEach((file, i) => {
    if (file.includes(",")) refuse(`spec.source.helm.valueFiles[${i}]`, "contains a comma");
    args.push(`--values=${file}`);
  });
  if (a.inlineValuesFile) args.push(`--values=${a.inlineValuesFile}`);
  a.parameters.forEach((p, i) => {
    const field = `spec.source.helm.parameters[${i}]`;
    if (!p.name || /[\n\r]/.test(p.name) || /[\n\r]/.test(p.value)) {
      refuse(field, "has an empty or multi-line name or value");
    }
    if (/[,=\\]/.test(p.name)) refuse(`${field}.name`, "contains ',', '=' or '\\'");
    const flag = p.forceString ? "--set-string" : "--set";
    args.push(`${flag}=${p.name}=${escapeSetValue(p.value)}`);
  });
  args.push("--", a.releaseName, a.chart);
  return args;
}

/**
 * `helm pull` of a chart from a Helm repository or an OCI registry, unpacked into `into`: the
 * render then templates that folder, once the schemas in it are checked (helm-schema-scan.ts) —
 * `helm template` of a remote chart would load what its schema refers to before anyone could look.
 */
export function helmPullArgs(
  location: Exclude<ChartLocation, { kind: "path" }>,
  into: string,
  plainHttp: boolean,
): string[] {
  const args = ["pull", "--untar", `--untardir=${into}`];
  if (location.kind === "repository") args.push(`--repo=${location.repoURL}`);
  if (location.version) args.push(`--version=${location.version}`);
  if (location.kind === "oci" && plainHttp) args.push("--plain-http");
  args.push("--", location.kind === "oci" ? location.ref : location.chart);
  return args;
}

/**
 * Splits `helm template` output into (source, text) chunks. Helm prints every manifest as
 * `---\n# Source: <chart>/templates/x.yaml\n…`, and a document separator is always at column 0
 * (block scalars are indented), so splitting on `---` lines is exact.
 */
export function splitHelmOutput(output: string): { source: string; text: string }[] {
  const chunks: { source: string; text: string }[] = [];
  for (const text of output.split(/^---[ \t]*$/m)) {
    if (text.trim() === "") continue;
    const match = /^# Source: (.+)$/m.exec(text);
    chunks.push({ source: match?.[1]?.trim() ?? "helm template", text });
  }
  return chunks;
}

/** `mychart/templates/x.yaml` → `<appPath>/templates/x.yaml` for a chart that lives in Git. */
export function chartFileInRepository(helmSource: string, appPath: string): string {
  const slash = helmSource.indexOf("/");
  if (slash < 0) return helmSource;
  const rest = helmSource.slice(slash + 1);
  return appPath === "" ? rest : `${appPath}/${rest}`;
}
