// Builds Flux's controllers from source, once, for the side-by-side benchmark (bench/peers/flux.ts),
// and caches them outside the clone: $TETHER_CACHE/peers/<name>-<version>/{<name>, crds.yaml,
// manifest.json}. Flux's code is never committed here: each run that misses the cache clones the
// pinned tag (GitHub over https, else a local mirror), builds with `go build` through the Go module
// proxy, keeps the binary and the CRDs of config/crd/bases, and deletes the clone.
import { execFile } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { cacheRoot } from "../../src/toolchain/cachedir.js";
import { checkGo, requiredGoVersion } from "../../src/toolchain/goenv.js";

const run = promisify(execFile);

/**
 * Pinned releases (Flux v2.9 line): the latest v1.x tags whose go.mod asks for Go 1.26.0, which the
 * project's Go 1.26.8 satisfies. notification-controller (Receiver webhooks) is not built: its
 * Receiver only sets `reconcile.fluxcd.io/requestedAt` on the GitRepository, which the benchmark
 * does directly.
 */
export const FLUX_CONTROLLERS = {
  "source-controller": "v1.9.1",
  "kustomize-controller": "v1.9.4",
} as const;

export type FluxController = keyof typeof FLUX_CONTROLLERS;

export interface FluxBinary {
  readonly name: FluxController;
  readonly version: string;
  readonly binary: string;
  /** The controller's CRDs (config/crd/bases at the tag), as one multi-document YAML file. */
  readonly crds: string;
  /** Seconds the `go build` took when the entry was made (0 if unknown). */
  readonly buildSeconds: number;
  /** Where the source came from when the entry was made. */
  readonly source: string;
  readonly cached: boolean;
}

interface Manifest {
  readonly name: string;
  readonly version: string;
  readonly source: string;
  readonly goVersion: string;
  readonly builtAt: string;
  readonly buildSeconds: number;
}

/** Where a clone may come from: GitHub first, then a mirror folder holding bare repositories. */
function sourceCandidates(name: string): string[] {
  const mirrors = process.env["TETHER_PEERS_MIRROR"] ?? "/work/.mirror";
  return [
    `https://github.com/fluxcd/${name}.git`,
    path.join(mirrors, `fluxcd+${name}`, "repo"),
    path.join(mirrors, `fluxcd+${name}`),
  ];
}

async function cloneTag(name: string, version: string, into: string, log: (line: string) => void) {
  const tried: string[] = [];
  for (const url of sourceCandidates(name)) {
    if (!url.startsWith("https://")) {
      const exists = await fs.stat(url).then(
        (s) => s.isDirectory(),
        () => false,
      );
      if (!exists) {
        tried.push(`${url}: no such folder`);
        continue;
      }
    }
    try {
      await fs.rm(into, { recursive: true, force: true });
      const args = [
        "-c",
        "advice.detachedHead=false",
        "clone",
        "--quiet",
        "--depth",
        "1",
        "--branch",
        version,
        url,
        into,
      ];
      // Bounded: an unreachable GitHub fails within the timeout, then the mirror is tried.
      await run("git", args, { timeout: 120_000, env: { ...process.env, GIT_TERMINAL_PROMPT: "0" } });
      log(`cloned ${name} ${version} from ${url}`);
      return url;
    } catch (error) {
      const message = (error as { stderr?: string }).stderr?.trim() || String(error);
      tried.push(`${url}: ${message.split("\n").slice(-1)[0] ?? message}`);
    }
  }
  throw new Error(`could not clone fluxcd/${name} at ${version}; tried:\n  ${tried.join("\n  ")}`);
}

async function readEntry(dir: string, name: FluxController): Promise<FluxBinary | undefined> {
  try {
    const manifest = JSON.parse(await fs.readFile(path.join(dir, "manifest.json"), "utf8")) as Manifest;
    const binary = path.join(dir, name);
    const crds = path.join(dir, "crds.yaml");
    await fs.access(binary, fs.constants.X_OK);
    await fs.access(crds);
    return {
      name,
      version: manifest.version,
      binary,
      crds,
      buildSeconds: manifest.buildSeconds,
      source: manifest.source,
      cached: true,
    };
  } catch {
    return undefined;
  }
}

/** Ensures one Flux controller is built and cached; returns its binary and CRDs. */
export async function ensureFluxController(
  name: FluxController,
  log: (line: string) => void,
): Promise<FluxBinary> {
  const version = FLUX_CONTROLLERS[name];
  const entryDir = path.join(cacheRoot(), "peers", `${name}-${version}`);
  const ready = await readEntry(entryDir, name);
  if (ready) return ready;

  await fs.mkdir(path.dirname(entryDir), { recursive: true });
  const work = await fs.mkdtemp(path.join(os.tmpdir(), `tether-peers-${name}-`));
  try {
    const clone = path.join(work, "src");
    const source = await cloneTag(name, version, clone, log);
    const goMod = path.join(clone, "go.mod");
    const goVersion = await checkGo("go", await requiredGoVersion([path.dirname(goMod)]));
    const out = path.join(work, "out");
    await fs.mkdir(out);
    log(`building ${name} ${version} with Go ${goVersion} (first run only; several minutes on 2 cores)`);
    const started = performance.now();
    try {
      await run("go", ["build", "-trimpath", "-ldflags", "-s -w", "-o", path.join(out, name), "."], {
        cwd: clone,
        maxBuffer: 64 * 1024 * 1024,
        timeout: 60 * 60_000,
        // Flux's Dockerfiles build static binaries; -mod=mod lets the go.sum at the tag be
        // completed through the module proxy if a checksum is missing; no toolchain download.
        env: { ...process.env, CGO_ENABLED: "0", GOTOOLCHAIN: "local", GOFLAGS: "-mod=mod" },
      });
    } catch (error) {
      const stderr = (error as { stderr?: string }).stderr ?? String(error);
      throw new Error(
        `go build of ${name} ${version} failed:\n${stderr.trim().split("\n").slice(-20).join("\n")}`,
      );
    }
    const buildSeconds = Math.round((performance.now() - started) / 100) / 10;
    const crdDir = path.join(clone, "config", "crd", "bases");
    const files = (await fs.readdir(crdDir)).filter((f) => f.endsWith(".yaml")).sort();
    const docs = await Promise.all(files.map((f) => fs.readFile(path.join(crdDir, f), "utf8")));
    await fs.writeFile(path.join(out, "crds.yaml"), docs.map((d) => d.trim()).join("\n---\n") + "\n");
    const manifest: Manifest = {
      name,
      version,
      source,
      goVersion,
      builtAt: new Date().toISOString(),
      buildSeconds,
    };
    await fs.writeFile(path.join(out, "manifest.json"), JSON.stringify(manifest, null, 2));
    await fs.rm(entryDir, { recursive: true, force: true });
    await fs.rename(out, entryDir).catch(async () => {
      // Another filesystem (tmp vs cache): copy instead of rename.
      await fs.cp(out, entryDir, { recursive: true });
    });
    log(`built ${name} ${version} in ${buildSeconds} s → ${entryDir}`);
    const entry = await readEntry(entryDir, name);
    if (!entry) throw new Error(`${entryDir}: the new cache entry is incomplete`);
    return { ...entry, cached: false };
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
}
