// The Tether layer: /app with the compiled CLI (tsc into a fresh directory, so files of deleted
// sources never linger), the built web UI at /app/dist/ui (where src/api/static.ts looks, relative
// to the compiled code), production dependencies, and /usr/local/bin/tether → /app/bin/tether.js.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { removeOtherEntries } from "./layer.js";

const run = promisify(execFile);

/** Files in node_modules that nothing loads at run time: types, source maps, TypeScript sources, docs. */
const PRUNED_FILE = /(\.d\.[cm]?ts|\.[cm]?ts|\.map|\.md|\.markdown)$/i;
const PRUNED_DIR = new Set([".bin", "@types"]);
/** Directories at a package's top level that hold its tests and examples, not its code. */
const PRUNED_PACKAGE_DIR = new Set(["test", "tests", "example", "examples", "benchmark", "benchmarks"]);
/**
 * Packages only the Bare JavaScript runtime loads: tar-fs and tar-stream map "fs"/"path" to them
 * under the "bare" import condition and to Node's own modules by default.
 */
const BARE_ONLY = new Set(["bare-fs", "bare-path", "bare-url", "bare-buffer", "bare-stream"]);
const KEPT_FILE = /^(licen[cs]e|copying|notice)/i;

/** Whether `dir/name` is a package's own folder: node_modules/<name> or node_modules/@scope/<name>. */
function isPackageDir(dir: string, name: string): boolean {
  const parent = path.basename(dir);
  if (parent === "node_modules") return !name.startsWith("@");
  return parent.startsWith("@") && path.basename(path.dirname(dir)) === "node_modules";
}

async function prune(dir: string, isPackageRoot = false): Promise<void> {
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      const packageDir = isPackageDir(dir, entry.name);
      const drop =
        PRUNED_DIR.has(entry.name) ||
        (packageDir && BARE_ONLY.has(entry.name)) ||
        (isPackageRoot && PRUNED_PACKAGE_DIR.has(entry.name));
      if (drop) await fs.rm(full, { recursive: true, force: true });
      else await prune(full, packageDir);
    } else if (PRUNED_FILE.test(entry.name) && !KEPT_FILE.test(entry.name)) {
      await fs.rm(full, { force: true });
    }
  }
}

/**
 * node_modules for `npm ci --omit=dev --ignore-scripts`, pruned, cached per package.json +
 * package-lock.json under $TETHER_CACHE/image/node_modules/<hash> (built in a temp dir, renamed).
 */
async function productionDependencies(repo: string, cacheDir: string, log: (line: string) => void) {
  const manifests = ["package.json", "package-lock.json"];
  const hash = createHash("sha256");
  for (const file of manifests) hash.update(await fs.readFile(path.join(repo, file)));
  // The pruning rules above are part of the entry: changing this file makes a new one.
  hash.update(await fs.readFile(fileURLToPath(import.meta.url)));
  const entry = path.join(cacheDir, "node_modules", hash.digest("hex").slice(0, 16));
  if (
    await fs.stat(path.join(entry, "node_modules")).then(
      () => true,
      () => false,
    )
  )
    return entry;
  log("installing production dependencies (npm ci --omit=dev --ignore-scripts)");
  const temp = `${entry}.${process.pid}.partial`;
  await fs.rm(temp, { recursive: true, force: true });
  await fs.mkdir(temp, { recursive: true });
  try {
    for (const file of manifests) await fs.copyFile(path.join(repo, file), path.join(temp, file));
    await run("npm", ["ci", "--omit=dev", "--ignore-scripts", "--no-audit", "--no-fund"], {
      cwd: temp,
      env: { ...process.env, NODE_ENV: "production" },
      timeout: 900_000,
    });
    await prune(path.join(temp, "node_modules"));
    await fs.rm(entry, { recursive: true, force: true });
    await fs.rename(temp, entry);
    await removeOtherEntries(path.dirname(entry), "", path.basename(entry));
  } finally {
    await fs.rm(temp, { recursive: true, force: true });
  }
  return entry;
}

/** Compiles Tether and fills `root` with the app layer's files. */
export async function assembleApp(repo: string, cacheDir: string, root: string, log: (line: string) => void) {
  const app = path.join(root, "app");
  await fs.mkdir(path.join(app, "bin"), { recursive: true });
  log("compiling (tsc -p tsconfig.build.json) and building the web UI (vite build)");
  const tsc = path.join(repo, "node_modules/typescript/bin/tsc");
  await run(
    process.execPath,
    [tsc, "-p", "tsconfig.build.json", "--outDir", path.join(app, "dist"), "--sourceMap", "false"],
    { cwd: repo },
  );
  // `npm run build:ui`: vite writes dist/ui of the checkout (its config names it); copied from there.
  await run(process.execPath, [path.join(repo, "node_modules/vite/bin/vite.js"), "build"], { cwd: repo });
  await fs.cp(path.join(repo, "dist/ui"), path.join(app, "dist/ui"), { recursive: true });

  const deps = await productionDependencies(repo, cacheDir, log);
  await fs.cp(path.join(deps, "node_modules"), path.join(app, "node_modules"), {
    recursive: true,
    verbatimSymlinks: true,
  });
  // package.json says "type": "module" (the compiled files are ESM) and holds the version.
  for (const file of ["package.json", "package-lock.json"]) {
    await fs.copyFile(path.join(repo, file), path.join(app, file));
  }
  // `tether bootstrap` installs from the chart (and reads deploy/'s CRDs): /app is its repoRoot.
  for (const dir of ["charts", "deploy"])
    await fs.cp(path.join(repo, dir), path.join(app, dir), { recursive: true });
  await fs.copyFile(path.join(repo, "bin/tether.js"), path.join(app, "bin/tether.js"));
  await fs.chmod(path.join(app, "bin/tether.js"), 0o755);

  // The entrypoint: the kernel runs the script's `#!/usr/bin/env node`; no shell wrapper.
  await fs.mkdir(path.join(root, "usr/local/bin"), { recursive: true });
  await fs.symlink("/app/bin/tether.js", path.join(root, "usr/local/bin/tether"));
}
