// Tether's version is package.json's: two levels above this file both in the checkout
// (src/cli/version.ts) and when compiled (dist/cli/version.js, /app/package.json in the image).
import { readFileSync } from "node:fs";

export function tetherVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
    version?: string;
  };
  if (!pkg.version) throw new Error("package.json has no version");
  return pkg.version;
}
