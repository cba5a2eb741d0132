// Pure formatters of the API's views for `tether app`: aligned tables (table, wide), JSON and YAML.
// JSON/YAML print the API's own objects unchanged, so scripts see exactly what the API answers.
import { stringify } from "yaml";
import type {
  ApplicationDetail,
  ApplicationSummary,
  DiffResponse,
  HistoryEntryView,
  ResourceNode,
} from "../../api/types.js";

export const OUTPUTS = ["table", "wide", "json", "yaml"] as const;
export type Output = (typeof OUTPUTS)[number];

/** Columns separated by three spaces, each as wide as its widest cell; no trailing spaces. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join("   ")
      .trimEnd();
  return [line(headers), ...rows.map(line)].join("\n") + "\n";
}

export function shortRevision(revision: string | undefined): string {
  if (!revision) return "";
  return /^[0-9a-f]{40}$/.test(revision) ? revision.slice(0, 7) : revision;
}

function structured(value: unknown, output: "json" | "yaml"): string {
  return output === "json" ? `${JSON.stringify(value, null, 2)}\n` : stringify(value);
}

export function formatList(items: readonly ApplicationSummary[], output: Output): string {
  if (output === "json" || output === "yaml") return structured({ items }, output);
  if (output === "wide") {
    return table(
      ["NAMESPACE", "NAME", "PROJECT", "SYNC", "HEALTH", "REVISION", "REPO", "PATH", "TARGET", "RECONCILED"],
      items.map((a) => [
        a.namespace,
        a.name,
        a.project,
        a.sync,
        a.health,
        a.revision ?? "",
        a.repoURL,
        a.path ?? "",
        a.targetRevision ?? "",
        a.reconciledAt ?? "",
      ]),
    );
  }
  return table(
    ["NAMESPACE", "NAME", "PROJECT", "SYNC", "HEALTH", "REVISION"],
    items.map((a) => [a.namespace, a.name, a.project, a.sync, a.health, shortRevision(a.revision)]),
  );
}

export function formatHistory(items: readonly HistoryEntryView[], output: Output): string {
  if (output === "json" || output === "yaml") return structured({ items }, output);
  const firstLine = (m: string | undefined) => (m ?? "").split("\n")[0] ?? "";
  if (output === "wide") {
    return table(
      ["ID", "DEPLOYED", "REVISION", "RESULT", "INITIATED", "AUTHOR", "DATE", "MESSAGE"],
      items.map((h) => [
        String(h.id),
        h.deployedAt,
        h.revision,
        h.result,
        h.initiatedBy,
        h.author ?? "",
        h.date ?? "",
        firstLine(h.message),
      ]),
    );
  }
  return table(
    ["ID", "DEPLOYED", "REVISION", "RESULT", "MESSAGE"],
    items.map((h) => [String(h.id), h.deployedAt, shortRevision(h.revision), h.result, firstLine(h.message)]),
  );
}

function describeSource(spec: Record<string, unknown>): string {
  const source = (spec["source"] ?? {}) as {
    repoURL?: string;
    path?: string;
    targetRevision?: string;
    chart?: string;
  };
  const where = source.chart ? `chart ${source.chart}` : `path ${source.path || "."}`;
  return `${source.repoURL ?? ""} @ ${source.targetRevision || "HEAD"}, ${where}`;
}

function describeDestination(spec: Record<string, unknown>): string {
  const d = (spec["destination"] ?? {}) as { server?: string; name?: string; namespace?: string };
  return `${d.name || d.server || "in-cluster"}, namespace ${d.namespace || "(as in the manifests)"}`;
}

function describePolicy(spec: Record<string, unknown>): string {
  const policy = (spec["syncPolicy"] ?? {}) as { automated?: { prune?: boolean; selfHeal?: boolean } };
  if (!policy.automated) return "manual";
  const extras = [policy.automated.prune ? "prune" : "", policy.automated.selfHeal ? "self-heal" : ""].filter(
    Boolean,
  );
  return extras.length ? `automated (${extras.join(", ")})` : "automated";
}

export function formatDetail(app: ApplicationDetail, output: Output): string {
  if (output === "json" || output === "yaml") return structured(app, output);
  const wide = output === "wide";
  const operation = app.operationState as { phase?: string; message?: string; revision?: string } | undefined;
  const fields: [string, string][] = [
    ["Name", `${app.namespace}/${app.name}`],
    ["Project", app.project],
    ["Source", describeSource(app.spec)],
    ["Destination", describeDestination(app.spec)],
    ["Sync policy", describePolicy(app.spec)],
    ["Sync", `${app.sync}${app.revision ? ` at ${wide ? app.revision : shortRevision(app.revision)}` : ""}`],
    ["Health", `${app.health}${app.healthMessage ? `: ${app.healthMessage}` : ""}`],
  ];
  if (operation?.phase) {
    fields.push(["Operation", `${operation.phase}${operation.message ? `: ${operation.message}` : ""}`]);
  }
  if (wide && app.reconciledAt) fields.push(["Reconciled", app.reconciledAt]);
  // Which controller replica reconciles it (sharding): where to look for its logs.
  if (app.replica) fields.push(["Controller", `replica ${app.replica}`]);
  for (const c of app.conditions) {
    if (c.status === "True") fields.push(["Condition", `${c.type} (${c.reason}): ${c.message}`]);
  }
  const width = Math.max(...fields.map(([k]) => k.length)) + 2;
  let text = fields.map(([k, v]) => `${`${k}:`.padEnd(width)}${v}`).join("\n") + "\n";
  if (app.resources.length > 0) {
    const headers = ["GROUP", "KIND", "NAMESPACE", "NAME", "SYNC", "HEALTH", ...(wide ? ["MESSAGE"] : [])];
    const rows = app.resources.map((r) => [
      r.group,
      r.kind,
      r.namespace ?? "",
      r.name,
      r.status,
      r.health?.status ?? "",
      ...(wide ? [r.message ?? r.health?.message ?? ""] : []),
    ]);
    text += `\n${table(headers, rows)}`;
  }
  const violations = app.policyViolations ?? [];
  if (violations.length > 0) {
    const rows = violations.map((v) => [
      v.enforcement,
      v.ref.group ? `${v.ref.kind}.${v.ref.group}` : v.ref.kind,
      v.ref.namespace ? `${v.ref.namespace}/${v.ref.name}` : v.ref.name,
      v.rule,
      v.message,
    ]);
    text += `\nPolicy violations:\n${table(["ENFORCEMENT", "KIND", "OBJECT", "RULE", "MESSAGE"], rows)}`;
  }
  return text;
}

/** The resource tree, indented: managed objects first, live children under them. */
export function formatTree(nodes: readonly ResourceNode[]): string {
  const lines: string[] = [];
  const visit = (node: ResourceNode, depth: number) => {
    const kind = node.group ? `${node.kind}.${node.group}` : node.kind;
    const where = node.namespace ? `${node.namespace}/${node.name}` : node.name;
    const sync = node.sync ? ` ${node.sync}` : "";
    const message = node.health.message ? ` (${node.health.message})` : "";
    lines.push(
      `${"  ".repeat(depth)}${depth ? "└─ " : ""}${kind} ${where}${sync} ${node.health.status}${message}`,
    );
    for (const child of node.children) visit(child, depth + 1);
  };
  for (const node of nodes) visit(node, 0);
  return lines.length ? `${lines.join("\n")}\n` : "(no resources)\n";
}

/** `tether app diff` / `sync --dry-run`: the resources that differ, each with its fields and live YAML. */
export function formatDiff(diff: DiffResponse): string {
  if (diff.resources.length === 0)
    return `no differences${diff.revision ? ` (at ${shortRevision(diff.revision)})` : ""}\n`;
  const blocks = diff.resources.map((r) => {
    const kind = r.group ? `${r.kind}.${r.group}` : r.kind;
    const head = `=== ${kind} ${r.namespace ? `${r.namespace}/` : ""}${r.name}: ${r.status}${r.message ? ` (${r.message})` : ""}`;
    const fields = r.fields.length
      ? r.fields.map((f) => `  differs: ${f}`).join("\n")
      : "  differs: (not recorded)";
    const live = r.liveYaml
      ? `\n  live:\n${r.liveYaml.trimEnd().replace(/^/gm, "    ")}`
      : "\n  live: (missing)";
    const desired = r.desiredYaml ? `\n  desired:\n${r.desiredYaml.trimEnd().replace(/^/gm, "    ")}` : "";
    return `${head}\n${fields}${desired}${live}`;
  });
  return `${blocks.join("\n\n")}\n`;
}
