// Makes sure Debian's chromium is installed for the browser tests (test/ui): if /usr/bin/chromium is
// missing, `apt-get update && apt-get install -y --no-install-recommends chromium`, through sudo when
// not root. Fails with a clear message when that is impossible (no apt-get, no root, no sudo).
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import { pathToFileURL } from "node:url";
import { errorMessage } from "../src/lib/errormessage.js";

export const CHROMIUM = "/usr/bin/chromium";

function run(argv: string[]): void {
  const result = spawnSync(argv[0] ?? "", argv.slice(1), {
    stdio: ["ignore", "inherit", "inherit"],
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
  });
  if (result.error) throw new Error(`${argv.join(" ")}: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`${argv.join(" ")} exited with ${result.status ?? result.signal}`);
}

function onPath(command: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" }).status === 0;
}

/** Installs chromium when absent; returns its path. */
export function ensureChromium(log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): string {
  if (fs.existsSync(CHROMIUM)) return CHROMIUM;
  const why = `the browser tests need ${CHROMIUM} (Debian package chromium)`;
  if (!onPath("apt-get")) throw new Error(`${why}, and apt-get is not available: install chromium yourself`);
  const root = process.getuid?.() === 0;
  if (!root && !onPath("sudo"))
    throw new Error(`${why}: run as root or install sudo, or install chromium yourself`);
  const prefix = root ? [] : ["sudo", "-n"];
  log(`${CHROMIUM} is missing: installing chromium with apt-get (once)`);
  try {
    run([...prefix, "apt-get", "update"]);
    run([...prefix, "apt-get", "install", "-y", "--no-install-recommends", "chromium"]);
  } catch (error) {
    throw new Error(`${why}; installing it failed: ${errorMessage(error)}`);
  }
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${why}; apt-get finished but ${CHROMIUM} is still missing`);
  return CHROMIUM;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  try {
    process.stdout.write(`${ensureChromium()}\n`);
  } catch (error) {
    process.stderr.write(`${errorMessage(error)}\n`);
    process.exit(1);
  }
}
