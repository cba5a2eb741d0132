// A small reader for the tar inside a chart archive (.tgz), and the rules an entry must follow to
// be extracted. Node has gzip but no tar, and `tar -x` would write symlinks, hardlinks, devices and
// `../` paths as the archive says; here every entry is judged before a byte is written. Only the
// formats `helm package` (Go's archive/tar) writes are read: ustar, pax ('x'/'g') and GNU long
// names ('L'/'K'). Pure: a buffer in, entries or a refusal out.

export type TarEntryType = "file" | "dir";

export interface TarEntry {
  /** The entry's path as the archive names it (pax/GNU long names applied). */
  readonly name: string;
  readonly type: TarEntryType;
  /** Unix permission bits from the header. */
  readonly mode: number;
  readonly data: Buffer;
}

export interface TarLimits {
  /** Entries (files and folders) in one archive. */
  readonly maxEntries: number;
  /** Sum of the files' sizes. */
  readonly maxBytes: number;
}

const BLOCK = 512;

/** Why an archive is not extracted (every malformed or unsafe input ends here, never a bare Error). */
export class TarRefused extends Error {}

const TYPE_NAMES: Record<string, string> = {
  "1": "a hardlink",
  "2": "a symlink",
  "3": "a character device",
  "4": "a block device",
  "6": "a FIFO",
};

/**
 * Why an entry's path may not be extracted, or undefined when it may. Absolute paths, `..`
 * segments, backslashes (a Windows `..\`), NUL and empty names are refused rather than
 * "sanitized": an archive that contains them was made to escape.
 */
export function unsafeEntryPath(name: string): string | undefined {
  if (name === "") return "has an empty name";
  if (name.includes("\0")) return "has a NUL byte in its name";
  if (name.includes("\\")) return "has a backslash in its name";
  if (name.startsWith("/") || /^[A-Za-z]:/.test(name)) return "is an absolute path";
  if (name.split("/").some((segment) => segment === "..")) return "has a '..' segment";
  return undefined;
}

function cString(block: Buffer, start: number, length: number): string {
  const field = block.subarray(start, start + length);
  const end = field.indexOf(0);
  return field.subarray(0, end < 0 ? field.length : end).toString("utf8");
}

function octal(block: Buffer, start: number, length: number): number {
  const field = block.subarray(start, start + length);
  // GNU base-256 (high bit set) is only needed for sizes ≥ 8 GiB: far over any limit here.
  if ((field[0] ?? 0) & 0x80) return Number.MAX_SAFE_INTEGER;
  const text = cString(block, start, length).trim();
  if (text === "") return 0;
  if (!/^[0-7]+$/.test(text)) throw new TarRefused(`bad octal field ${JSON.stringify(text.slice(0, 20))}`);
  return parseInt(text, 8);
}

function checksumOk(block: Buffer): boolean {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : (block[i] ?? 0);
  return sum === octal(block, 148, 8);
}

/** pax records: `<len> key=value\n` … ; only `path` and `linkpath` matter here. */
function paxRecords(data: Buffer): Map<string, string> {
  const records = new Map<string, string>();
  const text = data.toString("utf8");
  let at = 0;
  while (at < text.length) {
    const space = text.indexOf(" ", at);
    const length = parseInt(text.slice(at, space), 10);
    if (space < 0 || !Number.isFinite(length) || length <= 0) break;
    const record = text.slice(space + 1, at + length - 1);
    const eq = record.indexOf("=");
    if (eq > 0) records.set(record.slice(0, eq), record.slice(eq + 1));
    at += length;
  }
  return records;
}

/** Every entry of an uncompressed tar, checked; throws TarRefused naming the first bad entry. */
export function readTarEntries(tar: Buffer, limits: TarLimits): TarEntry[] {
  const entries: TarEntry[] = [];
  let total = 0;
  let longName: string | undefined;
  let pax = new Map<string, string>();
  let global = new Map<string, string>();
  for (let at = 0; at + BLOCK <= tar.length;) {
    const header = tar.subarray(at, at + BLOCK);
    if (header.every((b) => b === 0)) break; // end of archive
    if (!checksumOk(header)) throw new TarRefused(`header at byte ${at} has a bad checksum (not a tar?)`);
    const type = String.fromCharCode(header[156] ?? 0);
    const size = octal(header, 124, 12);
    const dataStart = at + BLOCK;
    if (size > limits.maxBytes || dataStart + size > tar.length) {
      throw new TarRefused(
        `entry at byte ${at} claims ${size} bytes, more than the archive or the limit holds`,
      );
    }
    const data = tar.subarray(dataStart, dataStart + size);
    at = dataStart + Math.ceil(size / BLOCK) * BLOCK;

    if (type === "x") {
      pax = paxRecords(data);
      continue;
    }
    if (type === "g") {
      global = paxRecords(data);
      continue;
    }
    if (type === "L") {
      longName = cString(data, 0, data.length);
      continue;
    }
    if (type === "K") continue; // a long link name: the entry it belongs to is refused anyway
    const prefix = header.subarray(257, 262).toString("latin1") === "ustar" ? cString(header, 345, 155) : "";
    const headerName = prefix ? `${prefix}/${cString(header, 0, 100)}` : cString(header, 0, 100);
    const name = pax.get("path") ?? longName ?? global.get("path") ?? headerName;
    pax = new Map();
    longName = undefined;

    const why = unsafeEntryPath(name);
    if (why) throw new TarRefused(`entry ${JSON.stringify(name)} ${why}`);
    const kind: TarEntryType | undefined =
      type === "5" ? "dir" : type === "0" || type === "\0" || type === "7" ? "file" : undefined;
    if (!kind) {
      const what = TYPE_NAMES[type] ?? `of type ${JSON.stringify(type)}`;
      throw new TarRefused(`entry ${JSON.stringify(name)} is ${what}; only files and folders are extracted`);
    }
    if (entries.length + 1 > limits.maxEntries) {
      throw new TarRefused(`more than ${limits.maxEntries} entries`);
    }
    total += size;
    if (total > limits.maxBytes) throw new TarRefused(`files larger than ${limits.maxBytes} bytes in all`);
    entries.push({ name, type: kind, mode: octal(header, 100, 8) & 0o777, data });
  }
  return entries;
}
