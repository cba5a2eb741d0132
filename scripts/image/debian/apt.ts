// Debian packages for the image, resolved and downloaded by apt itself but against private state:
// its own sources, package lists, empty dpkg status and archive cache under
// $TETHER_CACHE/image/apt, and APT_CONFIG pointing at a config that replaces the host's
// /etc/apt/apt.conf{,.d} (whose hooks, e.g. docker-clean, must not run). The host's dpkg database
// and caches are never touched. apt verifies every .deb against the signed Release files, retries
// downloads, and moves a file into the archive only once it is complete.
import { execFile } from "node:child_process";
import fs from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import type { PackageControl, ResolvedPackage } from "./closure.js";
import { parseControl, parseSimulation } from "./closure.js";

const run = promisify(execFile);

const KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg";
const SUITES = [
  ["http://deb.debian.org/debian", "bookworm"],
  ["http://deb.debian.org/debian", "bookworm-updates"],
  ["http://deb.debian.org/debian-security", "bookworm-security"],
] as const;

export interface DownloadedPackage extends PackageControl {
  file: string;
  /** The full control file, for the image's /var/lib/dpkg/status.d. */
  control: string;
}

async function privateAptConfig(dir: string): Promise<string> {
  for (const sub of [
    "lists/partial",
    "archives/partial",
    "etc/apt.conf.d",
    "etc/preferences.d",
    "etc/sources.list.d",
  ]) {
    await fs.mkdir(path.join(dir, sub), { recursive: true });
  }
  const sources = SUITES.map(([uri, suite]) => `deb [signed-by=${KEYRING}] ${uri} ${suite} main`);
  await fs.writeFile(path.join(dir, "etc/sources.list"), `${sources.join("\n")}\n`);
  await fs.writeFile(path.join(dir, "status"), "");
  const root = process.getuid?.() === 0;
  const settings: Record<string, string> = {
    "Dir::State": dir,
    "Dir::State::Lists": path.join(dir, "lists"),
    "Dir::State::status": path.join(dir, "status"),
    "Dir::Cache": dir,
    "Dir::Cache::archives": path.join(dir, "archives"),
    "Dir::Cache::pkgcache": "",
    "Dir::Cache::srcpkgcache": "",
    "Dir::Etc::Main": path.join(dir, "etc/apt.conf"),
    "Dir::Etc::Parts": path.join(dir, "etc/apt.conf.d"),
    "Dir::Etc::SourceList": path.join(dir, "etc/sources.list"),
    "Dir::Etc::SourceParts": path.join(dir, "etc/sources.list.d"),
    "Dir::Etc::Preferences": path.join(dir, "etc/preferences"),
    "Dir::Etc::PreferencesParts": path.join(dir, "etc/preferences.d"),
    "Dir::Log": path.join(dir, "log"),
    "Debug::NoLocking": "true",
    "APT::Architecture": "amd64",
    "APT::Install-Recommends": "false",
    "APT::Install-Suggests": "false",
    "Acquire::Retries": "5",
    "Acquire::Languages": "none",
    // As root apt would hand downloads to the _apt user, who cannot write the user's cache.
    ...(root ? { "APT::Sandbox::User": "root" } : {}),
  };
  const lines = Object.entries(settings).map(([key, value]) => `${key} ${JSON.stringify(value)};`);
  lines.push('APT::Architectures { "amd64"; };');
  const config = path.join(dir, "apt-private.conf");
  await fs.writeFile(config, `${lines.join("\n")}\n`);
  await fs.writeFile(path.join(dir, "etc/apt.conf"), "");
  return config;
}

/** The .deb name apt gives a package in its archive cache (epoch colon escaped). */
export function archiveFileName(pkg: ResolvedPackage): string {
  return `${pkg.name}_${pkg.version.replace(":", "%3a")}_${pkg.architecture}.deb`;
}

/**
 * Resolves `roots` with their dependency closure against current Debian bookworm and downloads
 * every package into the private archive cache. A failed `apt-get update` with lists from an
 * earlier run is logged and the old lists are used (a build offline after one online build works).
 */
export async function downloadPackages(
  aptDir: string,
  roots: readonly string[],
  log: (line: string) => void,
): Promise<DownloadedPackage[]> {
  const config = await privateAptConfig(aptDir);
  const env = { ...process.env, APT_CONFIG: config, DEBIAN_FRONTEND: "noninteractive", LC_ALL: "C" };
  const apt = (args: string[]) =>
    run("apt-get", args, { env, maxBuffer: 64 * 1024 * 1024, timeout: 900_000 });
  try {
    await apt(["update", "-q"]);
  } catch (error) {
    const lists = await fs.readdir(path.join(aptDir, "lists"));
    if (!lists.some((name) => name.endsWith("_Packages") || name.includes("_Packages."))) throw error;
    log(
      `apt-get update failed, using the package lists of an earlier build: ${(error as Error).message.split("\n")[0]}`,
    );
  }
  const { stdout } = await apt(["install", "-s", "-q", ...roots]);
  const resolved = parseSimulation(stdout);
  if (resolved.length === 0)
    throw new Error(`apt-get install -s ${roots.join(" ")} resolved no packages:\n${stdout}`);
  await apt(["install", "-q", "-y", "--download-only", ...roots]);
  const packages: DownloadedPackage[] = [];
  for (const pkg of resolved) {
    const file = path.join(aptDir, "archives", archiveFileName(pkg));
    const control = (await run("dpkg-deb", ["-f", file])).stdout;
    const fields = parseControl(control);
    if (fields.get("Version") !== pkg.version) {
      throw new Error(`${file}: control says version ${fields.get("Version")}, apt resolved ${pkg.version}`);
    }
    const depends = ["Pre-Depends", "Depends"].map((f) => fields.get(f) ?? "").filter((v) => v !== "");
    const provides = (fields.get("Provides") ?? "").split(",").map((p) => p.trim().split(/[\s(]/)[0] ?? "");
    packages.push({
      ...pkg,
      file,
      control,
      depends: depends.join(", "),
      provides: provides.filter((p) => p !== ""),
    });
  }
  return packages;
}
