// Rendering Tether's install manifests for tests: `kustomize build deploy/` and `helm template
// charts/tether`, as objects; and the comparison that keeps the two in step.
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import type { KubernetesObject } from "@kubernetes/client-node";
import { parseAllDocuments } from "yaml";
import { ensureComponent } from "../../src/toolchain/binaries.js";
import { repoRoot } from "../../src/toolchain/components.js";

const run = promisify(execFile);

export const CHART_DIR = path.join(repoRoot, "charts/tether");
export const DEPLOY_DIR = path.join(repoRoot, "deploy");

export function parseObjects(text: string): KubernetesObject[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as KubernetesObject | null)
    .filter((o): o is KubernetesObject => o !== null);
}

export async function kustomizeBuild(dir = DEPLOY_DIR): Promise<KubernetesObject[]> {
  const kustomize = await ensureComponent("kustomize");
  return parseObjects((await run(kustomize, ["build", dir])).stdout);
}

/** `helm <args>`; rejects with helm's stderr in the message. */
export async function helm(args: string[]): Promise<string> {
  const binary = await ensureComponent("helm");
  try {
    return (await run(binary, args, { maxBuffer: 32 * 1024 * 1024 })).stdout;
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? "";
    throw new Error(`helm ${args.join(" ")}: ${stderr || String(error)}`);
  }
}

export async function helmTemplate(namespace: string, extra: string[] = []): Promise<KubernetesObject[]> {
  return parseObjects(await helm(["template", "tether", CHART_DIR, "--namespace", namespace, ...extra]));
}

/** `Kind namespace/name` (or `Kind name` when cluster-scoped): how a drift names its object. */
export function objectKey(o: KubernetesObject): string {
  const ns = o.metadata?.namespace;
  return `${o.kind ?? "?"} ${ns ? `${ns}/` : ""}${o.metadata?.name ?? "?"}`;
}

/** Labels helm adds to every object of the chart (deploy/ has none of them). */
const HELM_LABELS = [
  "helm.sh/chart",
  "app.kubernetes.io/managed-by",
  "app.kubernetes.io/instance",
  "app.kubernetes.io/version",
];

/** The object without helm's labels (wherever a `labels` map is), as plain JSON. */
export function withoutHelmLabels(value: unknown, key = ""): unknown {
  if (Array.isArray(value)) return value.map((v) => withoutHelmLabels(v));
  if (value === null || typeof value !== "object") return value;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([k]) => key !== "labels" || !HELM_LABELS.includes(k))
    .map(([k, v]) => [k, withoutHelmLabels(v, k)]);
  return Object.fromEntries(entries);
}

const pointer = (parts: readonly (string | number)[]) =>
  parts.map((p) => `/${String(p).replace(/~/g, "~0").replace(/\//g, "~1")}`).join("") || "/";

/** JSON pointers where `a` and `b` differ (a missing and a present field differ). */
export function fieldDifferences(a: unknown, b: unknown, at: (string | number)[] = []): string[] {
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return [`${pointer(at)} (${a.length} items vs ${b.length})`];
    return a.flatMap((v, i) => fieldDifferences(v, b[i], [...at, i]));
  }
  const isMap = (v: unknown): v is Record<string, unknown> =>
    v !== null && typeof v === "object" && !Array.isArray(v);
  if (isMap(a) && isMap(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => fieldDifferences(a[k], b[k], [...at, k]));
  }
  return Object.is(a, b) ? [] : [`${pointer(at)} (${JSON.stringify(a)} vs ${JSON.stringify(b)})`];
}

/**
 * Every difference between the chart's render and deploy/, one line each naming the object and
 * field; `onlyInDeploy` lists objects deploy/ may have that the chart leaves to helm (the Namespace).
 */
export function manifestDrift(
  chart: readonly KubernetesObject[],
  deploy: readonly KubernetesObject[],
  onlyInDeploy: readonly string[] = [],
): string[] {
  const byKey = (list: readonly KubernetesObject[]) => new Map(list.map((o) => [objectKey(o), o]));
  const fromChart = byKey(chart);
  const fromDeploy = byKey(deploy);
  const drift: string[] = [];
  for (const [key, object] of fromDeploy) {
    const rendered = fromChart.get(key);
    if (!rendered) {
      if (!onlyInDeploy.includes(key)) drift.push(`${key}: in deploy/, not in the chart`);
      continue;
    }
    for (const field of fieldDifferences(withoutHelmLabels(rendered), withoutHelmLabels(object)))
      drift.push(`${key}: ${field} differs (chart vs deploy/)`);
  }
  for (const key of fromChart.keys())
    if (!fromDeploy.has(key)) drift.push(`${key}: in the chart, not in deploy/`);
  return drift;
}
