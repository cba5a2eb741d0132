// Where helm and kustomize come from, for `tether controller` and `tether renderer`: a flag, an
// environment variable (a container image's `TETHER_HELM=helm`), or the local pinned build.
import { constants } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import { ensureComponent } from "../toolchain/binaries.js";
import { UsageError } from "./errors.js";

const log = (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`);

export interface ExplicitBinary {
  readonly value: string;
  readonly from: string;
}

export function explicitBinary(
  flag: string,
  value: string | undefined,
  variable: string,
  env: NodeJS.ProcessEnv,
): ExplicitBinary | undefined {
  if (value !== undefined) return { value, from: flag };
  const fromEnv = env[variable];
  return fromEnv ? { value: fromEnv, from: `$${variable}` } : undefined;
}

async function isExecutable(file: string): Promise<boolean> {
  try {
    await fs.access(file, constants.X_OK);
    return (await fs.stat(file)).isFile();
  } catch {
    return false;
  }
}

/**
 * An explicit binary: a path (made absolute) or a bare name looked up on PATH, which is how a
 * container image names the tools it ships (`TETHER_HELM=helm`). Checked now, so a wrong path fails
 * at startup instead of as a RenderError on the first Helm app.
 */
export async function resolveBinary(what: string, value: string, env: NodeJS.ProcessEnv): Promise<string> {
  if (value.includes("/")) {
    const file = path.resolve(value);
    if (await isExecutable(file)) return file;
    throw new UsageError(`${what}: "${value}" is not an executable file`);
  }
  for (const dir of (env["PATH"] ?? "").split(path.delimiter).filter(Boolean)) {
    const file = path.join(dir, value);
    if (await isExecutable(file)) return file;
  }
  throw new UsageError(`${what}: "${value}" was not found on PATH`);
}

export async function toolBinary(
  name: "helm" | "kustomize",
  explicit: ExplicitBinary | undefined,
  env: NodeJS.ProcessEnv,
): Promise<string> {
  if (explicit) return resolveBinary(explicit.from, explicit.value, env);
  // No path given: the pinned build from the local cache (built with Go on first use).
  return ensureComponent(name, { log });
}
