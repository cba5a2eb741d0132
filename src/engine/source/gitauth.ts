// Handing credentials to git without ever putting a secret on a command line or in a URL:
// - HTTP(S): GIT_ASKPASS points at a tiny script that echoes environment variables. The script holds
//   no secret itself; the values live only in the environment of the git process tree, which other
//   users cannot read (unlike argv, visible to everyone in `ps`).
// - SSH: the private key and known_hosts are written to 0600 files in a private 0700 temp dir and
//   named in GIT_SSH_COMMAND, with strict host key checking.
// The temp dir exists only for the duration of one git operation.
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { RepoCredentials } from "./credentials.js";
import type { RepoProtocol } from "./url.js";

const ASKPASS_SCRIPT = `#!/bin/sh
# Tether GIT_ASKPASS helper: answers git's prompts from the environment.
case "$1" in
  Username*) printf '%s\\n' "$TETHER_GIT_USERNAME" ;;
  *) printf '%s\\n' "$TETHER_GIT_PASSWORD" ;;
esac
`;

/** Quotes a path for the shell that runs GIT_SSH_COMMAND. */
function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** The GIT_SSH_COMMAND for a key file and a known_hosts file. */
export function sshCommand(keyFile: string, knownHostsFile: string): string {
  return [
    "ssh",
    `-i ${shellQuote(keyFile)}`,
    "-o IdentitiesOnly=yes",
    `-o UserKnownHostsFile=${shellQuote(knownHostsFile)}`,
    "-o StrictHostKeyChecking=yes",
    "-o BatchMode=yes",
  ].join(" ");
}

/**
 * Runs `fn` with the git environment for `credentials` (empty when there are none or they do not
 * fit the protocol), then removes every file it wrote, whatever `fn` did.
 */
export async function withGitCredentials<T>(
  protocol: RepoProtocol,
  credentials: RepoCredentials | undefined,
  fn: (env: Record<string, string>) => Promise<T>,
): Promise<T> {
  const useSsh = protocol === "ssh" && credentials?.sshPrivateKey !== undefined;
  const useAskpass =
    (protocol === "https" || protocol === "http") &&
    (credentials?.password !== undefined || credentials?.username !== undefined);
  if (!credentials || (!useSsh && !useAskpass)) return fn({});

  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "tether-git-auth-"));
  try {
    await fs.chmod(dir, 0o700);
    if (useSsh) {
      const keyFile = path.join(dir, "id");
      const knownHostsFile = path.join(dir, "known_hosts");
      // ssh refuses a key without a final newline ("invalid format").
      const key = credentials.sshPrivateKey ?? "";
      await fs.writeFile(keyFile, key.endsWith("\n") ? key : `${key}\n`, { mode: 0o600 });
      await fs.writeFile(knownHostsFile, credentials.knownHosts ?? "", { mode: 0o600 });
      return await fn({ GIT_SSH_COMMAND: sshCommand(keyFile, knownHostsFile) });
    }
    const script = path.join(dir, "askpass.sh");
    await fs.writeFile(script, ASKPASS_SCRIPT, { mode: 0o700 });
    return await fn({
      GIT_ASKPASS: script,
      TETHER_GIT_USERNAME: credentials.username ?? "git",
      TETHER_GIT_PASSWORD: credentials.password ?? "",
    });
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}
