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

/**
 * A copy of `text` that does not point into the index. V8 represents a substring as a slice of
 * its parent, so one kept digest would keep the whole index text alive (measured: 18 MB of text
 * retained by 2 000 kept strings); `${s}` and slice() do not copy, a round trip through a Buffer
 * does.
 */
function detach(text: string): string {
  return text.length < 13 ? text : Buffer.from(text, "utf8").toString("utf8");
}

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
  addSlimEntries(slim, entries as Record<string, unknown>);
  return slim;
}

export function addSlimEntries(
  slim: Map<string, ChartVersionEntry[]>,
  entries: Record<string, unknown>,
): void {
  for (const [name, versions] of Object.entries(entries)) {
    if (!Array.isArray(versions)) continue;
    const kept: ChartVersionEntry[] = [];
    const chartName = detach(name);
    for (const v of versions as unknown[]) {
      if (typeof v !== "object" || v === null) continue;
      const record = v as Record<string, unknown>;
      const version = str(record["version"]);
      if (!version) continue;
      const urls = Array.isArray(record["urls"])
        ? (record["urls"] as unknown[]).map(str).filter(Boolean)
        : [];
      kept.push({
        name: chartName,
        version: detach(version),
        digest: detach(str(record["digest"])),
        urls: urls.map(detach),
        created: detach(str(record["created"])),
      });
    }
    slim.set(chartName, kept);
  }
}
