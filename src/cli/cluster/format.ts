// Pure formatter of the API's cluster views for `tether cluster list`.
import type { ClusterView } from "../../api/types.js";
import type { Output } from "../app/format.js";
import { table } from "../app/format.js";
import { stringify } from "yaml";

export function formatClusters(items: readonly ClusterView[], output: Output): string {
  if (output === "json") return `${JSON.stringify({ items }, null, 2)}\n`;
  if (output === "yaml") return stringify({ items });
  if (output === "wide") {
    return table(
      ["NAME", "SERVER", "STATUS", "VERSION", "CHECKED", "SECRET", "LABELS", "MESSAGE"],
      items.map((c) => [
        c.name,
        c.server,
        c.status,
        c.serverVersion ?? "",
        c.checkedAt ?? "",
        c.secret ?? "",
        Object.entries(c.labels ?? {})
          .map(([k, v]) => `${k}=${v}`)
          .join(","),
        c.message ?? "",
      ]),
    );
  }
  return table(
    ["NAME", "SERVER", "STATUS", "VERSION", "MESSAGE"],
    items.map((c) => [c.name, c.server, c.status, c.serverVersion ?? "", c.message ?? ""]),
  );
}
