// Read-only file trees, one per commit, shared by every application at that commit and removed when
// the last one releases it.
//
// A tree no one holds lingers a little (`lingerMs`, at most `maxIdle` of them) before removal: a
// thousand apps reconciled one after another at the same commit would otherwise extract it (git
// archive + tar, two processes) a thousand times.
//
// A tree is extracted under a temporary name, made read-only and renamed into place, so
// `<root>/<commit>` existing always means "complete". Removal renames it away first for the same
// reason. Symlinks are extracted as they are, including ones pointing outside the tree: refusing
// them is the render stage's job, where the reads happen and in whatever process renders. Before
// every render it resolves every link of the whole tree and refuses the tree if one may lead out
// (render/tree-links.ts). The tree being read-only is what lets the renderer remember that verdict
// once per tree instead of walking it again for each app at this commit. Tether's other readers of
// a tree (the ApplicationSet Git generators) list only regular files and real folders.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";

export interface SourceTree {
  /** Absolute path of the read-only tree. */
  readonly dir: string;
  readonly commit: string;
  /** Gives the tree back; the last release removes it. Calling it twice is harmless. */
  release(): Promise<void>;
}

export interface TreeStoreStats {
  extracted: number;
  removed: number;
}

interface Entry {
  users: number;
  readonly ready: Promise<string>;
  /** Set while no one holds the tree: its removal, due after the linger. */
  idle?: NodeJS.Timeout;
}

export interface TreeStoreOptions {
  /** How long a tree no one holds is kept for the next user; 0 removes it at the last release. */
  readonly lingerMs?: number;
  /** Trees kept while no one holds them; the oldest goes first. */
  readonly maxIdle?: number;
}

/** Runs `tar -x` into `dir`, feeding it the archive on stdin. */
export function untar(archive: Buffer, dir: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      "tar",
      ["-x", "-f", "-", "-C", dir, "--no-same-owner"],
      { timeout: timeoutMs, killSignal: "SIGKILL", env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin" } },
      (error, _stdout, stderr) =>
        error ? reject(new Error(`tar -x failed: ${String(stderr).trim() || error.message}`)) : resolve(),
    );
    child.stdin?.end(archive);
  });
}

async function walk(
  dir: string,
  visit: (file: string, kind: "file" | "dir") => Promise<void>,
): Promise<void> {
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) await walk(full, visit);
    else if (entry.isFile()) await visit(full, "file");
    // Symlinks are left alone: chmod would follow them to their target.
  }
  await visit(dir, "dir");
}

/** Files r--r--r-- (r-xr-xr-x when executable), directories r-xr-xr-x. */
export async function makeReadOnly(dir: string): Promise<void> {
  await walk(dir, async (file, kind) => {
    if (kind === "dir") return fs.chmod(file, 0o555);
    const { mode } = await fs.stat(file);
    await fs.chmod(file, mode & 0o111 ? 0o555 : 0o444);
  });
}

/** Removes a read-only tree (directories must be writable again for their entries to be unlinked). */
async function removeTree(dir: string): Promise<void> {
  if (!existsSync(dir)) return;
  const trash = path.join(path.dirname(dir), `.trash-${randomBytes(6).toString("hex")}`);
  await fs.chmod(dir, 0o755);
  await fs.rename(dir, trash);
  const dirs: string[] = [];
  await walk(trash, (file, kind) => {
    if (kind === "dir") dirs.push(file);
    return Promise.resolve();
  });
  for (const d of dirs) await fs.chmod(d, 0o755);
  await fs.rm(trash, { recursive: true, force: true });
}

export class TreeStore {
  private readonly entries = new Map<string, Entry>();
  private readonly removals = new Map<string, Promise<void>>();
  readonly stats: TreeStoreStats = { extracted: 0, removed: 0 };

  /** Trees no one holds, oldest first. */
  private readonly idle = new Map<string, Entry>();

  constructor(
    private readonly root: string,
    private readonly options: TreeStoreOptions = {},
  ) {}

  /** Number of trees currently held by at least one user. */
  get inUse(): number {
    return this.entries.size - this.idle.size;
  }

  /**
   * A shared tree for `commit`. `extract(dir)` fills an empty directory with the commit's files; it
   * runs only when no user holds the tree yet.
   */
  async acquire(commit: string, extract: (dir: string) => Promise<void>): Promise<SourceTree> {
    let entry = this.entries.get(commit);
    if (!entry) {
      const created: Entry = { users: 0, ready: this.materialize(commit, extract) };
      this.entries.set(commit, created);
      // A failed extraction is forgotten, so the next caller tries again instead of reusing the error.
      created.ready.catch(() => {
        if (this.entries.get(commit) === created) this.entries.delete(commit);
      });
      entry = created;
    }
    const held = entry;
    held.users += 1;
    if (held.idle) {
      clearTimeout(held.idle);
      held.idle = undefined;
      this.idle.delete(commit);
    }
    let dir: string;
    try {
      dir = await held.ready;
    } catch (error) {
      held.users -= 1;
      throw error;
    }
    let released = false;
    return {
      dir,
      commit,
      release: async () => {
        if (released) return;
        released = true;
        held.users -= 1;
        if (held.users > 0 || this.entries.get(commit) !== held) return;
        const lingerMs = this.options.lingerMs ?? 0;
        if (lingerMs <= 0) return this.remove(commit, held, dir);
        held.idle = setTimeout(() => void this.remove(commit, held, dir).catch(() => undefined), lingerMs);
        held.idle.unref();
        this.idle.set(commit, held);
        const maxIdle = this.options.maxIdle ?? 4;
        for (const [oldest, entry] of this.idle) {
          if (this.idle.size <= maxIdle) break;
          clearTimeout(entry.idle);
          void entry.ready.then((d) => this.remove(oldest, entry, d)).catch(() => undefined);
          this.idle.delete(oldest);
        }
      },
    };
  }

  /** Removes every tree no one holds (shutdown; tests). */
  async drain(): Promise<void> {
    const idle = [...this.idle];
    await Promise.all(
      idle.map(async ([commit, entry]) => {
        clearTimeout(entry.idle);
        await this.remove(commit, entry, await entry.ready);
      }),
    );
  }

  private async remove(commit: string, entry: Entry, dir: string): Promise<void> {
    if (this.entries.get(commit) !== entry || entry.users > 0) return;
    this.entries.delete(commit);
    this.idle.delete(commit);
    entry.idle = undefined;
    const removal = removeTree(dir).then(() => void (this.stats.removed += 1));
    this.removals.set(commit, removal);
    try {
      await removal;
    } finally {
      if (this.removals.get(commit) === removal) this.removals.delete(commit);
    }
  }

  private async materialize(commit: string, extract: (dir: string) => Promise<void>): Promise<string> {
    // A tree being removed by its last user must be gone before the same commit is extracted again.
    await this.removals.get(commit)?.catch(() => undefined);
    const final = path.join(this.root, commit);
    // Left by an earlier process: complete, because trees only ever appear by rename.
    if (existsSync(final)) return final;
    await fs.mkdir(this.root, { recursive: true });
    const temp = await fs.mkdtemp(path.join(this.root, `.tmp-${commit.slice(0, 12)}-`));
    try {
      await extract(temp);
      await makeReadOnly(temp);
      await fs.chmod(temp, 0o755);
      await fs.rename(temp, final);
      await fs.chmod(final, 0o555);
    } catch (error) {
      await removeTree(temp).catch(() => undefined);
      throw error;
    }
    this.stats.extracted += 1;
    return final;
  }
}
