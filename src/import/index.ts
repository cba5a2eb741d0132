// `tether import`: YAML (or JSON) text from Argo CD or Flux in, Tether objects and messages out.
// Parsing and printing live here; the conversions are pure (argocd.ts, flux.ts).
import { parseAllDocuments, stringify } from "yaml";
import type { ImportOptions } from "./argocd.js";
import { convertArgoCD } from "./argocd.js";
import { convertFlux } from "./flux.js";
import type { ImportResult, Json } from "./report.js";
import { isObject } from "./report.js";

export type { ImportOptions } from "./argocd.js";
export type { ImportMessage, ImportResult } from "./report.js";
export { formatMessage } from "./report.js";

export type ImportTool = "argocd" | "flux";

/** Every object in a multi-document YAML stream; `kind: List` items are flattened. */
export function parseObjects(text: string): Json[] {
  const objects: Json[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`not valid YAML: ${doc.errors[0]?.message ?? ""}`);
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    if (!isObject(value)) throw new Error("every YAML document must be a Kubernetes object");
    if (value["kind"] === "List" && Array.isArray(value["items"]))
      objects.push(...(value["items"] as Json[]));
    else objects.push(value);
  }
  return objects;
}

export function convert(tool: ImportTool, text: string, options: ImportOptions = {}): ImportResult {
  const docs = parseObjects(text);
  return tool === "argocd" ? convertArgoCD(docs, options) : convertFlux(docs, options);
}

/** YAML documents, or one JSON `v1/List` (what `kubectl apply -f` takes). */
export function printObjects(objects: readonly Record<string, unknown>[], output: "yaml" | "json"): string {
  if (output === "json")
    return `${JSON.stringify({ apiVersion: "v1", kind: "List", items: objects }, null, 2)}\n`;
  return objects.map((o) => stringify(o, { lineWidth: 0 })).join("---\n");
}
