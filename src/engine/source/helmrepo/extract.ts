// A verified chart archive → files in a folder. The archive is gunzipped with an output bound
// (a gzip bomb stops at the limit instead of filling memory), its tar entries are checked
// (tar-entries.ts) and only then written. As helm's own loader does, the archive's first path
// segment is dropped and the chart lands in `<into>/<chart>/`, whatever its top folder is called,
// so the render path is known before the archive is opened (the render cache is asked first).
import fs from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { gunzip } from "node:zlib";
import type { TarLimits } from "./tar-entries.js";
import { readTarEntries, TarRefused } from "./tar-entries.js";
import { CHART_NAME } from "./chart-version.js";

const gunzipAsync = promisify(gunzip);

export { TarRefused };

export async function extractChartArchive(
  archive: Buffer,
  into: string,
  chart: string,
  limits: TarLimits,
): Promise<void> {
  let tar: Buffer;
  try {
    // Headers and padding count too: a little room above the files' own limit.
    tar = await gunzipAsync(archive, { maxOutputLength: limits.maxBytes + 1024 * 1024 });
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === "ERR_BUFFER_TOO_LARGE" || error instanceof RangeError) {
      throw new TarRefused(`uncompressed size is over the limit of ${limits.maxBytes} bytes (a gzip bomb?)`);
    }
    throw new TarRefused(`not a gzip archive: ${(error as Error).message}`);
  }
  const entries = readTarEntries(tar, limits);
  // The chart's folder must be one segment inside `into` (resolveChartVersion checks the name too).
  const root = path.resolve(into, chart);
  if (!CHART_NAME.test(chart) || path.dirname(root) !== path.resolve(into)) {
    throw new TarRefused(`chart name ${JSON.stringify(chart)} is not one path segment`);
  }
  await fs.mkdir(root, { recursive: true });
  let files = 0;
  for (const entry of entries) {
    const rest = entry.name
      .split("/")
      .filter((s) => s !== "" && s !== ".")
      .slice(1);
    if (rest.length === 0) continue; // the top folder itself, or a file beside it (helm ignores those too)
    const target = path.join(root, ...rest);
    try {
      if (entry.type === "dir") {
        await fs.mkdir(target, { recursive: true });
        continue;
      }
      await fs.mkdir(path.dirname(target), { recursive: true });
      // wx: a second entry of the same name is refused rather than silently replacing the first.
      await fs.writeFile(target, entry.data, { flag: "wx", mode: entry.mode & 0o111 ? 0o755 : 0o644 });
    } catch (error) {
      // A name used as both file and folder (ENOTDIR, EEXIST), a duplicate: the archive's fault.
      const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      throw new TarRefused(`entry ${JSON.stringify(entry.name)} cannot be written (${code})`);
    }
    files += 1;
  }
  if (files === 0) throw new TarRefused("holds no files");
  try {
    await fs.access(path.join(root, "Chart.yaml"));
  } catch {
    throw new TarRefused("has no Chart.yaml in its top folder");
  }
}
