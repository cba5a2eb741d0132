// A reproducible tar stream of a directory tree, for image layers: names sorted, every mtime fixed,
// owners 0:0 unless the caller names a path, modes normalized (0755 for directories and executables,
// 0644 for other files, so the host's umask and setuid bits never leak in), hardlinks kept as
// hardlinks (Debian's git ships its builtins as ~150 links to one binary). POSIX ustar headers,
// with a PAX record for names or link targets longer than ustar holds.
import type { Stats } from "node:fs";
import { createReadStream } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";

export interface TarOptions {
  /** Seconds since the epoch for every entry. */
  mtime: number;
  /** Owner per layer path (no leading slash, directories without a trailing slash). */
  owners?: Readonly<Record<string, { uid: number; gid: number }>>;
  /** Mode per layer path, overriding the normalized one (e.g. tmp → 0o1777). */
  modes?: Readonly<Record<string, number>>;
}

const BLOCK = 512;

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, "0")}\0`;
}

interface HeaderFields {
  name: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  type: string;
  linkname: string;
}

function ustarHeader(fields: HeaderFields): Buffer {
  const header = Buffer.alloc(BLOCK);
  header.write(fields.name, 0, 100, "utf8");
  header.write(octal(fields.mode, 8), 100, "ascii");
  header.write(octal(fields.uid, 8), 108, "ascii");
  header.write(octal(fields.gid, 8), 116, "ascii");
  header.write(octal(fields.size, 12), 124, "ascii");
  header.write(octal(fields.mtime, 12), 136, "ascii");
  header.write(fields.type, 156, "ascii");
  header.write(fields.linkname, 157, 100, "utf8");
  header.write("ustar\u000000", 257, "ascii");
  // The checksum is computed with its own field as eight spaces.
  header.fill(" ", 148, 156);
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, "ascii");
  return header;
}

/** A PAX record "<len> key=value\n" where <len> counts the whole record, itself included. */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let length = Buffer.byteLength(body) + 1;
  while (String(length).length + Buffer.byteLength(body) !== length) length += 1;
  return `${length}${body}`;
}

function padding(size: number): Buffer {
  return Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK);
}

/** Header blocks for one entry: a PAX header first when the name or link target overflow ustar. */
function headers(name: string, linkname: string, fields: Omit<HeaderFields, "name" | "linkname">) {
  const records: string[] = [];
  if (Buffer.byteLength(name) > 100) records.push(paxRecord("path", name));
  if (Buffer.byteLength(linkname) > 100) records.push(paxRecord("linkpath", linkname));
  const blocks: Buffer[] = [];
  if (records.length > 0) {
    const body = Buffer.from(records.join(""));
    const paxName = `PaxHeaders/${path.posix.basename(name)}`.slice(0, 99);
    const pax = { ...fields, name: paxName, linkname: "", size: body.length, type: "x", mode: 0o644 };
    blocks.push(ustarHeader(pax), body, padding(body.length));
  }
  blocks.push(ustarHeader({ ...fields, name: name.slice(0, 100), linkname: linkname.slice(0, 100) }));
  return blocks;
}

async function sortedEntries(dir: string): Promise<string[]> {
  const names = await fs.readdir(dir);
  // Byte order, as `LC_ALL=C sort` would: stable across locales and Node versions.
  return names.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

function normalizedMode(stat: Stats): number {
  if (stat.isDirectory() || stat.isSymbolicLink()) return stat.isDirectory() ? 0o755 : 0o777;
  return stat.mode & 0o100 ? 0o755 : 0o644;
}

/** Yields the tar stream of everything under `root` (not `root` itself), ending with two zero blocks. */
export async function* tarDirectory(root: string, options: TarOptions): AsyncGenerator<Buffer> {
  const firstPathOfInode = new Map<string, string>();
  async function* walk(dir: string, prefix: string): AsyncGenerator<Buffer> {
    for (const entry of await sortedEntries(dir)) {
      const full = path.join(dir, entry);
      const name = prefix ? `${prefix}/${entry}` : entry;
      const stat = await fs.lstat(full);
      const owner = options.owners?.[name] ?? { uid: 0, gid: 0 };
      const mode = options.modes?.[name] ?? normalizedMode(stat);
      const base = { mode, uid: owner.uid, gid: owner.gid, mtime: options.mtime, size: 0 };
      if (stat.isDirectory()) {
        yield* headers(`${name}/`, "", { ...base, type: "5" });
        yield* walk(full, name);
      } else if (stat.isSymbolicLink()) {
        yield* headers(name, await fs.readlink(full), { ...base, type: "2" });
      } else if (stat.isFile()) {
        const inode = `${stat.dev}:${stat.ino}`;
        const first = stat.nlink > 1 ? firstPathOfInode.get(inode) : undefined;
        if (first !== undefined) {
          yield* headers(name, first, { ...base, type: "1" });
          continue;
        }
        if (stat.nlink > 1) firstPathOfInode.set(inode, name);
        yield* headers(name, "", { ...base, size: stat.size, type: "0" });
        let written = 0;
        for await (const chunk of createReadStream(full)) {
          written += (chunk as Buffer).length;
          yield chunk as Buffer;
        }
        if (written !== stat.size) throw new Error(`${full} changed size while being archived`);
        yield padding(stat.size);
      } else {
        throw new Error(`${full}: only files, directories and symlinks belong in an image layer`);
      }
    }
  }
  yield* walk(root, "");
  yield Buffer.alloc(BLOCK * 2);
}
