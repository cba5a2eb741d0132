// One image layer: a directory tree → reproducible tar (tar.ts) → gzip, hashed on both sides (the
// uncompressed digest is the config's diff_id, the compressed one names the blob). Layers whose
// inputs did not change are reused from the cache: $TETHER_CACHE/image/layers/<name>-<key>/.
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import type { TarOptions } from "./tar.js";
import { tarDirectory } from "./tar.js";

export interface Layer {
  /** What the layer holds: debian, node, tools, app. */
  name: string;
  /** The gzipped tar on disk. */
  file: string;
  /** sha256:… of the gzipped bytes (the blob's name). */
  digest: string;
  size: number;
  /** sha256:… of the uncompressed tar. */
  diffId: string;
  uncompressedSize: number;
}

function hashing(onDone: (digest: string, size: number) => void): Transform {
  const hash = createHash("sha256");
  let size = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      size += chunk.length;
      callback(null, chunk);
    },
    flush(callback) {
      onDone(`sha256:${hash.digest("hex")}`, size);
      callback();
    },
  });
}

/** Writes the layer of `root` to `file` (via a temp file renamed into place). */
export async function writeLayer(
  name: string,
  root: string,
  file: string,
  options: TarOptions,
): Promise<Layer> {
  const sums = { diffId: "", uncompressedSize: 0, digest: "", size: 0 };
  const temp = `${file}.${process.pid}.partial`;
  await fs.mkdir(path.dirname(file), { recursive: true });
  try {
    await pipeline(
      tarDirectory(root, options),
      hashing((digest, size) => Object.assign(sums, { diffId: digest, uncompressedSize: size })),
      // level 6 is gzip's default; the OS byte and mtime in the gzip header are fixed by zlib.
      createGzip({ level: 6 }),
      hashing((digest, size) => Object.assign(sums, { digest, size })),
      createWriteStream(temp),
    );
    await fs.rename(temp, file);
  } finally {
    await fs.rm(temp, { force: true });
  }
  return { name, file, ...sums };
}

async function sha256File(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return `sha256:${hash.digest("hex")}`;
}

/**
 * Removes a cache folder's older entries for the same thing (`prefix*` except `keep`), so the cache
 * holds one generation per layer instead of one per change of inputs.
 */
export async function removeOtherEntries(dir: string, prefix: string, keep: string): Promise<void> {
  for (const entry of await fs.readdir(dir)) {
    if (entry.startsWith(prefix) && entry !== keep && !entry.includes(".partial")) {
      await fs.rm(path.join(dir, entry), { recursive: true, force: true });
    }
  }
}

/**
 * The layer for `name` and input `key`, built by `populate` (which fills a staging directory) only
 * when the cache has no entry whose blob still matches its recorded digest.
 */
export async function cachedLayer(
  cacheDir: string,
  name: string,
  key: string,
  populate: (stagingRoot: string) => Promise<void>,
  options: TarOptions,
): Promise<{ layer: Layer; cached: boolean }> {
  const entry = path.join(cacheDir, "layers", `${name}-${key.slice(0, 16)}`);
  const recordFile = path.join(entry, "layer.json");
  const blob = path.join(entry, "layer.tar.gz");
  try {
    const record = JSON.parse(await fs.readFile(recordFile, "utf8")) as Layer & { key: string };
    if (record.key === key && (await sha256File(blob)) === record.digest) {
      return { layer: { ...record, file: blob }, cached: true };
    }
  } catch {
    // No entry yet, or a damaged one: build it below.
  }
  const staging = path.join(cacheDir, "staging", `${name}-${process.pid}`);
  await fs.rm(staging, { recursive: true, force: true });
  await fs.mkdir(staging, { recursive: true });
  try {
    await populate(staging);
    const layer = await writeLayer(name, staging, blob, options);
    const tempRecord = `${recordFile}.${process.pid}.partial`;
    await fs.writeFile(tempRecord, `${JSON.stringify({ ...layer, key }, null, 2)}\n`);
    await fs.rename(tempRecord, recordFile);
    await removeOtherEntries(path.dirname(entry), `${name}-`, path.basename(entry));
    return { layer, cached: false };
  } finally {
    await fs.rm(staging, { recursive: true, force: true });
  }
}
