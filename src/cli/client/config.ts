// The CLI's config file: where `tether login` keeps the server and the session token.
// $TETHER_CONFIG, else ~/.config/tether/config.json ($XDG_CONFIG_HOME respected); mode 0600 because
// the token is a credential.
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";

export interface CliConfig {
  server?: string;
  token?: string;
  user?: string;
  /** When the session token stops working (ISO 8601), as the server said at login. */
  expiresAt?: string;
}

export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env["TETHER_CONFIG"]) return env["TETHER_CONFIG"];
  const base = env["XDG_CONFIG_HOME"] || path.join(os.homedir(), ".config");
  return path.join(base, "tether", "config.json");
}

export async function readConfig(file: string): Promise<CliConfig> {
  let text: string;
  try {
    text = await fs.readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw error;
  }
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === "object" ? value : {};
  } catch (error) {
    throw new Error(`config file ${file} is not valid JSON: ${(error as Error).message}`);
  }
}

/** Writes atomically (temp file + rename) with mode 0600; the directory is created 0700. */
export async function writeConfig(file: string, config: CliConfig): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const temp = `${file}.${process.pid}.tmp`;
  await fs.writeFile(temp, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  await fs.chmod(temp, 0o600); // a umask cannot widen it, but an existing temp file kept its mode
  await fs.rename(temp, file);
}
