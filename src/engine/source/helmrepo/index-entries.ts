// A Helm repository's index.yaml reduced to what resolving and fetching a chart needs. A parsed
// index keeps every field of every version (maintainers, descriptions, keywords, annotations…):
// a 50 MB index becomes several hundred MB of objects (what costs Flux's source-controller ~500 MB).
// Only (name, version, digest, urls, created) are kept, as flat strings, so a cached index costs
// a small fraction of its text; the full parse is dropped as soon as the slim copy is made.
import { parse } from "yaml";
import { SourceError } from "../../errors.js";

export interface ChartVersionEntry {
  readonly name: string;
  readonly version: string;
  /** sha256 of the archive, hex, as `helm repo index` writes it; empty when the index has none. */
  readonly digest: string;
  /** As written in the index: absolute, or relative to the repository URL. */
  readonly urls: readonly string[];
  /** ISO 8601, or empty. */
  readonly created: string;
}

/** Chart name → its versions, in index order. */
export type IndexEntries = ReadonlyMap<string, readonly ChartVersionEntry[]>;

const str = (value: unknown): string => (typeof value === "string" ? value : "");

/** Parses index.yaml text into its slim entries; a malformed index names the repository. */
export function parseIndexEntries(text: string, repoURL: string): IndexEntries {
  let doc: unknown;
  try {
    // The failsafe schema keeps every scalar as the text written: helm writes digests and versions
    // unquoted, and the core schema would read `version: 1.10` as the number 1.1 and an all-digit
    // digest as a float. Aliases are bounded so an alias bomb cannot expand in memory.
    doc = parse(text, { schema: "failsafe", maxAliasCount: 100, uniqueKeys: false });
  } catch (error) {
    const why = error instanceof Error ? error.message.split("\n")[0] : String(error);
    throw new SourceError(
      "InvalidRevision",
      `Helm repository "${repoURL}": index.yaml is not valid YAML: ${why}`,
    );
  }
  const entries = (doc as { entries?: unknown } | null)?.entries;
  if (typeof entries !== "object" || entries === null || Array.isArray(entries)) {
    throw new SourceError(
      "InvalidRevision",
      `Helm repository "${repoURL}": index.yaml has no "entries" map (is this a Helm repository?)`,
    );
  }
  const slim = new Map<string, ChartVersionEntry[]>();
  for (const [name, versions] of Object.entries(entries as Record<string, unknown>)) {
    if (!Array.isArray(versions)) continue;
    const kept: ChartVersionEntry[] = [];
    for (const v of versions as unknown[]) {
      if (typeof v !== "object" || v === null) continue;
      const record = v as Record<string, unknown>;
      const version = str(record["version"]);
      if (!version) continue;
      const urls = Array.isArray(record["urls"])
        ? (record["urls"] as unknown[]).map(str).filter(Boolean)
        : [];
      // Copies (`${}`) so the kept strings do not hold slices of the whole index text alive.
      kept.push({
        name: `${name}`,
        version: `${version}`,
        digest: `${str(record["digest"])}`,
        urls: urls.map((u) => `${u}`),
        created: `${str(record["created"])}`,
      });
    }
    slim.set(name, kept);
  }
  return slim;
}
