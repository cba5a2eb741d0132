// The child renderer's workspace: a private folder holding what it may touch — the trees (the
// controller extracts them here, so their whole path is traversable by the renderer's uid), its
// socket and temp folder, and links to helm and kustomize. Each records its controller's pid, so
// the workspace of a killed controller is removed by the next one.
import fs from "node:fs/promises";
import path from "node:path";

const WORKSPACE_PREFIX = "tether-renderer-";
const OWNER_FILE = "owner.pid";

export interface Workspace {
  readonly root: string;
  readonly dirs: { readonly trees: string; readonly run: string; readonly tmp: string; readonly bin: string };
}

/** Whether a user that is neither owner nor group could reach `file` (every folder o+x, file o+r). */
export async function reachableByOthers(file: string): Promise<boolean> {
  try {
    if (!((await fs.stat(file)).mode & 0o004)) return false;
    for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
      if (!((await fs.stat(dir)).mode & 0o001)) return false;
      if (dir === path.dirname(dir)) return true;
    }
  } catch {
    return false;
  }
}

/** A hard link when on the same filesystem (free), else a copy: a path the renderer may execute. */
export async function exposeBinary(source: string, target: string): Promise<string> {
  await fs.link(source, target).catch(async () => {
    await fs.copyFile(source, target);
  });
  await fs.chmod(target, 0o755);
  return target;
}

/** Trees are read-only folders: a non-root owner must make them writable to remove them. */
export async function removeWorkspace(root: string): Promise<void> {
  const writable = async (dir: string): Promise<void> => {
    await fs.chmod(dir, 0o700).catch(() => undefined);
    for (const entry of await fs.readdir(dir, { withFileTypes: true }).catch(() => []))
      if (entry.isDirectory()) await writable(path.join(dir, entry.name));
  };
  if (process.getuid?.() !== 0) await writable(root);
  await fs.rm(root, { recursive: true, force: true });
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM"; // exists, not ours to signal
  }
}

/** Workspaces of controllers that were killed (their trees and links would stay forever). */
async function removeOrphanedWorkspaces(parent: string, log: (line: string) => void): Promise<void> {
  for (const name of await fs.readdir(parent).catch(() => [])) {
    if (!name.startsWith(WORKSPACE_PREFIX)) continue;
    const dir = path.join(parent, name);
    const owner = Number(await fs.readFile(path.join(dir, OWNER_FILE), "utf8").catch(() => "NaN"));
    if (!Number.isSafeInteger(owner) || owner <= 0) continue; // not ours, or being created
    if (processExists(owner)) continue;
    await removeWorkspace(dir).catch((error: unknown) =>
      log(`removing the orphaned ${dir}: ${String(error)}`),
    );
  }
}

/** A new workspace in `parent` (sub-folders 0700; the caller opens them to the renderer's uid). */
export async function createWorkspace(parent: string, log: (line: string) => void): Promise<Workspace> {
  await removeOrphanedWorkspaces(parent, log);
  const root = await fs.mkdtemp(path.join(parent, WORKSPACE_PREFIX));
  await fs.writeFile(path.join(root, OWNER_FILE), `${process.pid}\n`);
  const dirs = {
    trees: path.join(root, "trees"),
    run: path.join(root, "run"),
    tmp: path.join(root, "tmp"),
    bin: path.join(root, "bin"),
  };
  for (const dir of Object.values(dirs)) await fs.mkdir(dir, { mode: 0o700 });
  return { root, dirs };
}
