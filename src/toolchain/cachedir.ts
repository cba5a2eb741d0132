// Where Tether keeps what outlives a clone: built binaries, locks, and the registry of running
// local clusters. Overridable with $TETHER_CACHE so CI or a user can place it elsewhere.
import os from "node:os";
import path from "node:path";

export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env["TETHER_CACHE"];
  if (explicit) return path.resolve(explicit);
  const xdg = env["XDG_CACHE_HOME"];
  return path.join(xdg ? path.resolve(xdg) : path.join(os.homedir(), ".cache"), "tether");
}
