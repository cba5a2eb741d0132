// Builds the pinned components from their Go modules once and caches them outside the clone:
//   $TETHER_CACHE/bin/<component>-<version>-<go.sum hash>/{<component>, manifest.json}
// An entry counts only if its manifest exists and the binary's size and sha256 match it, so a
// partial or corrupted entry is rebuilt. Builds happen in a temp folder renamed into place, under
// a per-entry lock, so concurrent test runs never see or produce half-written binaries.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { cacheRoot } from "./cachedir.js";
import type { ComponentName, ComponentSpec } from "./components.js";
import { COMPONENTS, repoRoot } from "./components.js";
import { checkGo, requiredGoVersion } from "./goenv.js";
import { withFileLock } from "./lock.js";

const run = promisify(execFile);

export interface BuildOptions {
  cacheDir?: string;
  goCommand?: string;
  /** Progress lines for humans ("building kube-apiserver v1.35.4 …"). */
  log?: (line: string) => void;
  /** Overrides the component table (tests use a tiny module). */
  components?: Readonly<Partial<Record<string, ComponentSpec>>>;
  /** Root the moduleDir paths are relative to. */
  root?: string;
}

interface FileDigest {
  size: number;
  sha256: string;
}

interface Manifest {
  name: string;
  version: string;
  key: string;
  /** Every file of the entry (binary and assets) by name. */
  files: Record<string, FileDigest>;
  goVersion: string;
  builtAt: string;
  buildSeconds: number;
}

async function sha256File(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/** The cache key: name, version, and a hash of everything that decides the binary's bytes. */
export async function cacheKey(spec: ComponentSpec, root: string): Promise<string> {
  const dir = path.join(root, spec.moduleDir);
  const hash = createHash("sha256");
  for (const file of ["go.mod", "go.sum"]) hash.update(await fs.readFile(path.join(dir, file)));
  hash.update(JSON.stringify([spec.pkg, spec.ldflags, spec.assets ?? null]));
  return `${spec.name}-${spec.version}-${hash.digest("hex").slice(0, 12)}`;
}

async function digest(file: string): Promise<FileDigest> {
  return { size: (await fs.stat(file)).size, sha256: await sha256File(file) };
}

function entryFiles(spec: ComponentSpec): string[] {
  return spec.assets ? [spec.name, spec.assets.output] : [spec.name];
}

/** Returns the verified binary path of an entry, or undefined if it is missing or corrupt. */
async function verifiedEntry(entryDir: string, spec: ComponentSpec): Promise<string | undefined> {
  try {
    const manifest = JSON.parse(await fs.readFile(path.join(entryDir, "manifest.json"), "utf8")) as Manifest;
    for (const name of entryFiles(spec)) {
      const expected = manifest.files[name];
      const file = path.join(entryDir, name);
      if (!expected || (await fs.stat(file)).size !== expected.size) return undefined;
      if ((await sha256File(file)) !== expected.sha256) return undefined;
    }
    return path.join(entryDir, spec.name);
  } catch {
    return undefined;
  }
}

/** Copies a component's data files out of its Go module (already in the module cache after the build). */
async function copyAssets(spec: ComponentSpec, moduleDir: string, outDir: string, goCommand: string) {
  if (!spec.assets) return;
  const { stdout } = await run(goCommand, ["list", "-m", "-f", "{{.Dir}}", spec.assets.module], {
    cwd: moduleDir,
    env: { ...process.env, GOTOOLCHAIN: "local", GOFLAGS: "-mod=readonly" },
  });
  const dir = stdout.trim();
  const docs = await Promise.all(spec.assets.files.map((f) => fs.readFile(path.join(dir, f), "utf8")));
  await fs.writeFile(
    path.join(outDir, spec.assets.output),
    docs.map((d) => d.trimEnd()).join("\n---\n") + "\n",
  );
}

async function buildInto(
  spec: ComponentSpec,
  moduleDir: string,
  outDir: string,
  goCommand: string,
): Promise<{ binary: string; seconds: number }> {
  const binary = path.join(outDir, spec.name);
  const started = performance.now();
  const args = ["build", "-trimpath", "-o", binary];
  args.push("-ldflags", ["-s", "-w", ...spec.ldflags].join(" "), spec.pkg);
  try {
    await run(goCommand, args, {
      cwd: moduleDir,
      maxBuffer: 64 * 1024 * 1024,
      // GOTOOLCHAIN=local: never download another toolchain behind the user's back.
      // -mod=readonly: the committed go.sum is the contract; a build never rewrites it.
      env: { ...process.env, CGO_ENABLED: "0", GOTOOLCHAIN: "local", GOFLAGS: "-mod=readonly" },
    });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? String(error);
    throw new Error(
      `building ${spec.name} ${spec.version} failed:\n${stderr.trim().split("\n").slice(-20).join("\n")}`,
    );
  }
  try {
    await run(binary, [...spec.versionArgs], { timeout: 30_000 });
  } catch (error) {
    throw new Error(
      `${spec.name} was built but does not run (${spec.versionArgs.join(" ")}): ${String(error)}`,
    );
  }
  return { binary, seconds: (performance.now() - started) / 1000 };
}

/** Ensures one component is built and cached; returns the absolute path of its binary. */
export async function ensureComponent(name: string, options: BuildOptions = {}): Promise<string> {
  const table: Readonly<Partial<Record<string, ComponentSpec>>> = options.components ?? COMPONENTS;
  const spec = table[name];
  if (!spec) throw new Error(`unknown component ${name}`);
  const root = options.root ?? repoRoot;
  const cache = options.cacheDir ?? cacheRoot();
  const key = await cacheKey(spec, root);
  const entryDir = path.join(cache, "bin", key);
  const log = options.log ?? (() => undefined);

  const ready = await verifiedEntry(entryDir, spec);
  if (ready) return ready;

  const lockPath = path.join(cache, "locks", `${key}.lock`);
  const lockOptions = {
    timeoutMs: 60 * 60_000,
    onWait: (pid: number) => log(`waiting for pid ${pid}, which is building ${key}`),
  };
  return withFileLock(lockPath, lockOptions, async () => {
    // Another process may have finished the build while we waited for the lock.
    const built = await verifiedEntry(entryDir, spec);
    if (built) return built;
    const moduleDir = path.join(root, spec.moduleDir);
    const goCommand = options.goCommand ?? "go";
    const goVersion = await checkGo(goCommand, await requiredGoVersion([moduleDir]));
    log(`building ${spec.name} ${spec.version} from ${spec.pkg} (first run only; cached in ${entryDir})`);
    await fs.mkdir(path.join(cache, "bin"), { recursive: true });
    const tmpDir = await fs.mkdtemp(path.join(cache, "bin", `.tmp-${key}-`));
    try {
      const { seconds } = await buildInto(spec, moduleDir, tmpDir, goCommand);
      await copyAssets(spec, moduleDir, tmpDir, goCommand);
      const files: Record<string, FileDigest> = {};
      for (const name of entryFiles(spec)) files[name] = await digest(path.join(tmpDir, name));
      const manifest: Manifest = {
        name: spec.name,
        version: spec.version,
        key,
        files,
        goVersion,
        builtAt: new Date().toISOString(),
        buildSeconds: Math.round(seconds * 10) / 10,
      };
      await fs.writeFile(path.join(tmpDir, "manifest.json"), JSON.stringify(manifest, null, 2));
      await fs.rm(entryDir, { recursive: true, force: true });
      await fs.rename(tmpDir, entryDir);
      log(`built ${spec.name} in ${manifest.buildSeconds} s`);
      return path.join(entryDir, spec.name);
    } finally {
      await fs.rm(tmpDir, { recursive: true, force: true });
    }
  });
}

export type BinaryPaths = Record<ComponentName, string>;

/** Ensures every named component is built, one after another (builds are CPU-bound). */
export async function ensureComponents<N extends string>(
  names: readonly N[],
  options: BuildOptions = {},
): Promise<Record<N, string>> {
  const paths = {} as Record<N, string>;
  for (const name of names) paths[name] = await ensureComponent(name, options);
  return paths;
}
