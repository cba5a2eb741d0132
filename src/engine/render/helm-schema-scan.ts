// Finds every values.schema.json Helm could load for a render — in the repository's files, behind
// in-repository symlinks, and inside chart archives (`charts/*.tgz`, nested) — and refuses the
// render when one refers outside itself (helm-schema-refs.ts says why). Scanned: a chart in Git's
// folder (following its links), the whole repository for kustomize's helmCharts (its chart home
// may be any folder), a pulled chart's folder.
import fs from "node:fs/promises";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import { RenderError } from "../errors.js";
import { schemaReferenceProblem } from "./helm-schema-refs.js";
import { LruCache } from "./lru-cache.js";

const SCHEMA_FILE = "values.schema.json";
/** Helm's own cap on a decompressed chart (MaxDecompressedChartSize). */
const MAX_ARCHIVE_BYTES = 100 * 1024 * 1024;
/** Charts inside charts inside charts…: deeper than any real chart. */
const MAX_ARCHIVE_NESTING = 8;

const cString = (block: Buffer, start: number, length: number) => {
  const field = block.subarray(start, start + length);
  const end = field.indexOf(0);
  return field.subarray(0, end < 0 ? field.length : end).toString("utf8");
};

/** The `path` record of a PAX extended header (`<len> path=<value>\n` records). */
function paxPath(data: Buffer): string | undefined {
  let offset = 0;
  while (offset < data.length) {
    const space = data.indexOf(0x20, offset);
    const length = Number(data.subarray(offset, space).toString("ascii"));
    if (space < 0 || !Number.isInteger(length) || length <= 0) return undefined;
    const record = data.subarray(space + 1, offset + length - 1).toString("utf8");
    if (record.startsWith("path=")) return record.slice(5);
    offset += length;
  }
  return undefined;
}

/** Regular files of a tar archive (ustar, GNU long names, PAX paths), as Go's archive/tar writes them. */
export function* tarFiles(archive: Buffer): Generator<{ name: string; data: Buffer }> {
  let offset = 0;
  let longName: string | undefined;
  while (offset + 512 <= archive.length) {
    const header = archive.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) return;
    const sizeField = header.subarray(124, 136);
    // Base-256 sizes (first byte 0x80) are for files over 8 GiB: far over the archive cap anyway.
    const size = (sizeField[0] ?? 0) & 0x80 ? Infinity : parseInt(cString(header, 124, 12).trim() || "0", 8);
    const start = offset + 512;
    if (!Number.isFinite(size) || start + size > archive.length) return;
    const data = archive.subarray(start, start + size);
    offset = start + Math.ceil(size / 512) * 512;
    const type = String.fromCharCode(header[156] ?? 0);
    if (type === "L") longName = cString(data, 0, data.length);
    else if (type === "x") longName = paxPath(data) ?? longName;
    else if (type === "0" || type === "\0") {
      const prefix = cString(header, 257, 6).startsWith("ustar") ? cString(header, 345, 155) : "";
      const short = cString(header, 0, 100);
      yield { name: longName ?? (prefix ? `${prefix}/${short}` : short), data };
      longName = undefined;
    } else if (type !== "g") longName = undefined;
  }
}

function refuseSchema(where: string, schema: Buffer): void {
  let parsed: unknown;
  try {
    parsed = JSON.parse(schema.toString("utf8"));
  } catch {
    return; // Helm reports a schema that is not JSON itself, loading nothing.
  }
  const problem = schemaReferenceProblem(parsed);
  if (problem) {
    throw new RenderError(
      "HelmFailed",
      `${where} at ${problem.pointer || "/"}: ${problem.message} (Helm would load it from the host or the network)`,
    );
  }
}

function scanArchive(where: string, archive: Buffer, depth: number): void {
  if (depth > MAX_ARCHIVE_NESTING)
    throw new RenderError(
      "LimitExceeded",
      `${where}: charts nested deeper than ${MAX_ARCHIVE_NESTING} archives`,
    );
  let tar: Buffer;
  try {
    tar = gunzipSync(archive, { maxOutputLength: MAX_ARCHIVE_BYTES });
  } catch (error) {
    if ((error as { code?: string }).code === "ERR_BUFFER_TOO_LARGE")
      throw new RenderError(
        "LimitExceeded",
        `${where}: the chart archive decompresses to more than ${MAX_ARCHIVE_BYTES} bytes`,
      );
    return; // Not gzip: Helm does not load it as a chart either.
  }
  for (const file of tarFiles(tar)) {
    const inner = `${where}!${file.name}`;
    if (path.posix.basename(file.name) === SCHEMA_FILE) refuseSchema(inner, file.data);
    else if (file.name.endsWith(".tgz")) scanArchive(inner, file.data, depth + 1);
  }
}

/**
 * Refuses the render if a schema Helm may load below `root` refers outside itself. Folder links
 * are followed (a chart's charts/ may link to another folder of the repository; tree-links.ts has
 * kept every link inside it), each real folder once, so link fan-out costs nothing.
 */
export async function assertChartSchemasConfined(
  root: string,
  label: (rel: string) => string = (rel) => rel,
  onFolder: () => void = () => undefined,
): Promise<void> {
  const seen = new Set<string>();
  const visit = async (dir: string, rel: string): Promise<void> => {
    const real = await fs.realpath(dir);
    if (seen.has(real)) return;
    seen.add(real);
    onFolder();
    for (const dirent of await fs.readdir(dir, { withFileTypes: true })) {
      const full = path.join(dir, dirent.name);
      const childRel = rel === "" ? dirent.name : `${rel}/${dirent.name}`;
      const stat = dirent.isSymbolicLink() ? await fs.stat(full).catch(() => undefined) : dirent;
      if (!stat) continue; // dangling: helm cannot load it either
      if (stat.isDirectory()) {
        if (dirent.name !== ".git") await visit(full, childRel);
        continue;
      }
      const isSchema = dirent.name === SCHEMA_FILE;
      if (!isSchema && !dirent.name.endsWith(".tgz")) continue;
      const content = await fs.readFile(full);
      if (isSchema) refuseSchema(label(childRel), content);
      else scanArchive(label(childRel), content, 1);
    }
  };
  await visit(root, "");
}

/**
 * `assertChartSchemasConfined` with a memory per read-only tree (as createTreeGuard in
 * tree-links.ts): 1,000 apps of one commit cost one scan.
 */
export function createChartSchemaGuard(
  capacity = 256,
): (root: string, shownAs: string, onFolder?: () => void) => Promise<void> {
  const verdicts = new LruCache<string, RenderError | "confined">(capacity);
  // `shownAs`: the root's path in the repository, for messages.
  return async (root, shownAs, onFolder) => {
    const stat = await fs.stat(root);
    const key = stat.mode & 0o222 ? undefined : `${root}\0${stat.dev}:${stat.ino}`;
    let verdict = key === undefined ? undefined : verdicts.get(key);
    if (verdict === undefined) {
      verdict = await assertChartSchemasConfined(
        root,
        (rel) => (shownAs ? `${shownAs}/${rel}` : rel),
        onFolder,
      ).then(
        () => "confined" as const,
        (error: unknown) => {
          if (error instanceof RenderError) return error;
          throw error;
        },
      );
      if (key !== undefined) verdicts.set(key, verdict);
    }
    if (verdict !== "confined") throw verdict;
  };
}
