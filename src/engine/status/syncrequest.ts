// The `tether.dev/sync` request. `"true"` (or another plain word or timestamp, as `kubectl annotate`
// users write) syncs everything; a JSON value `{"prune": bool, "resources": [{group, kind, namespace, name}]}`
// (what the API writes) chooses whether to prune and which resources to sync, as Argo CD's sync
// dialog does. Pure.

export interface SelectedResource {
  readonly group?: string;
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
}

export type SyncRequest =
  | { readonly kind: "none" }
  | { readonly kind: "sync"; readonly prune?: boolean; readonly resources?: readonly SelectedResource[] }
  | { readonly kind: "invalid"; readonly message: string };

/** A plain value: empty, a word, a number or a timestamp (`true`, `now`, `2026-12-07T10:00:00Z`). */
const PLAIN = /^[\w.:+-]{0,64}$/;

export function parseSyncRequest(value: string | undefined): SyncRequest {
  if (value === undefined) return { kind: "none" };
  const text = value.trim();
  const where = "annotation tether.dev/sync";
  if (PLAIN.test(text)) return { kind: "sync" };
  // Anything else was meant as a request with options: syncing everything instead could prune or
  // apply what the writer meant to leave out.
  if (!text.startsWith("{")) {
    const shown = JSON.stringify(text.length > 64 ? `${text.slice(0, 64)}…` : text);
    return {
      kind: "invalid",
      message: `${where}: ${shown} is neither a plain value such as "true" nor a JSON request {"prune": …, "resources": […]}`,
    };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { kind: "invalid", message: `${where}: not valid JSON` };
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    return {
      kind: "invalid",
      message: `${where}: a JSON request is an object {"prune": …, "resources": […]}`,
    };
  }
  // An unknown key is a typo of a known one (`resource`, `dryRun`): running a full sync instead
  // could prune what the writer meant to leave out.
  const unknown = Object.keys(parsed).find((key) => key !== "prune" && key !== "resources");
  if (unknown !== undefined) {
    const shown = JSON.stringify(unknown.length > 64 ? `${unknown.slice(0, 64)}…` : unknown);
    return { kind: "invalid", message: `${where}: unknown key ${shown} (known: "prune", "resources")` };
  }
  const body = parsed as { prune?: unknown; resources?: unknown };
  if (body.prune !== undefined && typeof body.prune !== "boolean") {
    return { kind: "invalid", message: `${where}: "prune" must be true or false` };
  }
  if (body.resources === undefined) return { kind: "sync", prune: body.prune };
  if (!Array.isArray(body.resources))
    return { kind: "invalid", message: `${where}: "resources" must be a list` };
  const resources: SelectedResource[] = [];
  for (const [i, r] of (body.resources as unknown[]).entries()) {
    const item = r as Record<string, unknown> | null;
    const str = (k: string) => (typeof item?.[k] === "string" ? item[k] : undefined);
    const extra = Object.keys(item ?? {}).find((k) => !["group", "kind", "namespace", "name"].includes(k));
    if (extra !== undefined)
      return {
        kind: "invalid",
        message: `${where}: resources[${i}] has an unknown key ${JSON.stringify(extra.slice(0, 64))} (known: "group", "kind", "namespace", "name")`,
      };
    const kind = str("kind");
    const name = str("name");
    if (!kind || !name)
      return { kind: "invalid", message: `${where}: resources[${i}] needs "kind" and "name"` };
    resources.push({ group: str("group"), kind, namespace: str("namespace"), name });
  }
  return { kind: "sync", prune: body.prune, resources };
}

/** Whether an object is among the selected resources (no selection selects everything). */
export function isSelected(
  selection: readonly SelectedResource[] | undefined,
  object: { group: string; kind: string; namespace?: string; name: string },
): boolean {
  if (!selection) return true;
  return selection.some(
    (s) =>
      s.kind === object.kind &&
      s.name === object.name &&
      (s.group ?? "") === object.group &&
      (s.namespace === undefined || s.namespace === (object.namespace ?? "")),
  );
}
