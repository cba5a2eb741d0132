// Finds the Go toolchain and checks it is new enough for the pinned modules. The error says
// exactly which Go is needed and how to run without building anything (an existing cluster).
import { execFile } from "node:child_process";
import fs from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export class GoToolchainError extends Error {
  override readonly name = "GoToolchainError";
}

/** Compares dotted versions numerically ("1.26.0" vs "1.25.3"). */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(".").map((n) => Number.parseInt(n, 10) || 0);
  const pb = b.split(".").map((n) => Number.parseInt(n, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

/** Parses "go version go1.26.8 linux/amd64" → "1.26.8". */
export function parseGoVersion(output: string): string | undefined {
  return /\bgo(\d+\.\d+(?:\.\d+)?)/.exec(output)?.[1];
}

/** The highest `go` directive among the wrapper modules: the oldest Go that can build them all. */
export async function requiredGoVersion(moduleDirs: readonly string[]): Promise<string> {
  let required = "1.0";
  for (const dir of moduleDirs) {
    const goMod = await fs.readFile(path.join(dir, "go.mod"), "utf8");
    const v = /^go\s+(\S+)/m.exec(goMod)?.[1];
    if (v && compareVersions(v, required) > 0) required = v;
  }
  return required;
}

export function goMissingMessage(required: string, detail: string): string {
  return [
    `Go ${required} or newer is needed to build the local control plane from source (${detail}).`,
    `Install it from the Go distribution for your platform and make sure \`go\` is on PATH,`,
    `or skip the local control plane and use an existing cluster: TETHER_KUBECONFIG=/path/to/kubeconfig.`,
  ].join("\n");
}

/** Resolves the `go` command and verifies its version; throws GoToolchainError otherwise. */
export async function checkGo(goCommand: string, required: string): Promise<string> {
  let output: string;
  try {
    output = (await run(goCommand, ["version"], { env: { ...process.env, GOTOOLCHAIN: "local" } })).stdout;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new GoToolchainError(
      goMissingMessage(required, code === "ENOENT" ? `\`${goCommand}\` was not found` : String(error)),
    );
  }
  const found = parseGoVersion(output);
  if (!found || compareVersions(found, required) < 0) {
    throw new GoToolchainError(goMissingMessage(required, `found ${found ? `Go ${found}` : output.trim()}`));
  }
  return found;
}
