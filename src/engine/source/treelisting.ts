// What a commit holds, as `git ls-tree -r -z` lists it: mode, type, object id and path of every
// file. Lets a caller tell from the object ids alone whether a folder's content changed between
// two commits, without extracting either. Pure.

export interface TreeEntry {
  /** `100644`, `100755`, `120000` (symlink), `160000` (submodule). */
  readonly mode: string;
  /** `blob`, or `commit` for a submodule. */
  readonly type: string;
  readonly oid: string;
  /** Relative to the repository root, `/`-separated. */
  readonly path: string;
}

/** Parses `git ls-tree -r -z` output: `<mode> SP <type> SP <oid> TAB <path> NUL` per entry. */
export function parseTreeListing(output: string): TreeEntry[] {
  const entries: TreeEntry[] = [];
  for (const record of output.split("\0")) {
    if (record === "") continue;
    const tab = record.indexOf("\t");
    const [mode = "", type = "", oid = ""] = record.slice(0, tab).split(" ");
    if (tab < 0 || !mode || !type || !oid)
      throw new Error(`unexpected ls-tree record ${JSON.stringify(record)}`);
    entries.push({ mode, type, oid, path: record.slice(tab + 1) });
  }
  return entries;
}

/** The entries inside `folder` ("" is the whole tree), with paths relative to it. */
export function entriesUnder(entries: readonly TreeEntry[], folder: string): TreeEntry[] {
  if (folder === "") return [...entries];
  const prefix = `${folder}/`;
  return entries
    .filter((e) => e.path.startsWith(prefix))
    .map((e) => ({ ...e, path: e.path.slice(prefix.length) }));
}
