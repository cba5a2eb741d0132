// The right-hand side of the diff. The API reports, per drifted resource, the live object (normalized,
// Secret values redacted) and the JSON pointers of the fields that differ from Git — not Git's values
// (see DIFF_NOTE in src/api/routes.ts). So the "Git" side is the live object with every differing
// field replaced by a marker: the side-by-side view then highlights exactly the drifted lines.
import { parseDocument } from "yaml";

export const DIFFERS = "<differs from Git>";
export const MISSING_LIVE = "<set in Git, missing live>";

/** RFC 6901 pointer → path segments (numbers for array indexes). */
export function pointerPath(pointer: string): (string | number)[] {
  if (pointer === "" || pointer === "/") return [];
  return pointer
    .replace(/^\//, "")
    .split("/")
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((s) => (/^(0|[1-9]\d*)$/.test(s) ? Number(s) : s));
}

export function gitSideOf(liveYaml: string, fields: readonly string[]): string {
  const doc = parseDocument(liveYaml);
  for (const field of fields) {
    const path = pointerPath(field);
    if (path.length === 0) continue;
    try {
      doc.setIn(path, doc.hasIn(path) ? DIFFERS : MISSING_LIVE);
    } catch {
      // a pointer through a scalar: nothing to mark
    }
  }
  return doc.toString({ lineWidth: 0 });
}
