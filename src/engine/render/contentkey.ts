// A render cache key from content instead of the commit, for plain-manifest folders. A render of
// a Directory source reads nothing but the files of its folder, so while their object ids stay the
// same so does the render, whatever else a commit changed. In a monorepo, a commit touching a few
// apps then costs those apps' renders, not one render per app and a full tree extraction (as a
// commit key needs). Kustomize and Helm can read anywhere in the repository, and a symlink can lead
// out of the folder: those keep the commit as their key. Pure.
import { createHash } from "node:crypto";
import type { ApplicationSource } from "../../model/application.js";
import type { TreeEntry } from "../source/treelisting.js";
import { detectSourceType } from "./detect.js";

/**
 * `tree:<hash of the folder's listing>`, or undefined when the render may depend on anything
 * else: a chart, a source type other than Directory (given or detected from the file names), a
 * symlink or submodule in the folder, or a folder that does not exist (the render reports it).
 */
export function folderContentKey(
  source: ApplicationSource,
  folderEntries: readonly TreeEntry[] | undefined,
): string | undefined {
  if (!folderEntries || folderEntries.length === 0) return undefined;
  if (source.chart || (source.type !== undefined && source.type !== "Directory")) return undefined;
  if (folderEntries.some((e) => e.type !== "blob" || e.mode === "120000")) return undefined;
  const topNames = [...new Set(folderEntries.map((e) => e.path.split("/")[0] ?? ""))];
  if (detectSourceType(source, topNames) !== "Directory") return undefined;
  const hash = createHash("sha256");
  for (const e of folderEntries) hash.update(`${e.mode} ${e.oid} ${e.path}\0`);
  return `tree:${hash.digest("hex")}`;
}
