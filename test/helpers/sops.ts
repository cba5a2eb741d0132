// The real sops and age-keygen (built from the Go module proxy like helm/kustomize, test-only):
// fresh age keys and files encrypted by sops itself, so Tether's decryption is checked against
// the reference implementation rather than against itself.
import { execFile } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { parseAllDocuments } from "yaml";
import { ensureComponent } from "../../src/toolchain/binaries.js";

const run = promisify(execFile);

export interface AgeKey {
  /** `AGE-SECRET-KEY-1…` */
  identity: string;
  /** `age1…` */
  recipient: string;
  /** The key file as age-keygen writes it (comments included): what goes into a `.agekey` entry. */
  file: string;
}

export interface SopsTool {
  newKey(): Promise<AgeKey>;
  /**
   * `sops encrypt` of `plain` (written as `name` in a private temp folder) with these flags; with
   * `config` (a .sops.yaml) its creation rule decides the recipients and options instead.
   */
  encrypt(
    name: string,
    plain: string,
    recipients: string[],
    flags?: string[],
    config?: string,
  ): Promise<string>;
  /** `sops decrypt` to YAML, every document parsed (YAML 1.2, as sops reads): the reference plaintext. */
  decrypt(name: string, encrypted: string, key: AgeKey): Promise<unknown[]>;
  close(): Promise<void>;
}

export async function sopsTool(): Promise<SopsTool> {
  const sops = await ensureComponent("sops");
  const keygen = await ensureComponent("age-keygen");
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), "tether-sops-"));
  // No user config, no .sops.yaml above the folder, no keys from the environment, no version check.
  const env = { PATH: "/usr/bin:/bin", HOME: tmp, SOPS_DISABLE_VERSION_CHECK: "1" };
  let n = 0;
  const file = async (name: string, text: string) => {
    const dir = path.join(tmp, String(n++));
    await fs.mkdir(dir);
    await fs.writeFile(path.join(dir, name), text, { mode: 0o600 });
    return { dir, full: path.join(dir, name) };
  };
  return {
    async newKey() {
      const { stdout } = await run(keygen, [], { env });
      const identity = stdout.split("\n").find((l) => l.startsWith("AGE-SECRET-KEY-")) ?? "";
      const recipient = /public key: (age1[0-9a-z]+)/.exec(stdout)?.[1] ?? "";
      if (!identity || !recipient) throw new Error(`age-keygen printed no key:\n${stdout}`);
      return { identity, recipient, file: stdout };
    },
    async encrypt(name, plain, recipients, flags = [], config) {
      const { dir, full } = await file(name, plain);
      if (config !== undefined) await fs.writeFile(path.join(dir, ".sops.yaml"), config);
      // With a config, sops finds it in its working folder and takes the recipients from its rule.
      const keyArgs = config === undefined ? ["--age", recipients.join(",")] : [];
      const args = ["encrypt", ...keyArgs, ...flags, full];
      const { stdout } = await run(sops, args, { env, cwd: dir });
      return stdout;
    },
    async decrypt(name, encrypted, key) {
      const { dir, full } = await file(name, encrypted);
      const keyFile = path.join(dir, "key.txt");
      await fs.writeFile(keyFile, key.file, { mode: 0o600 });
      const { stdout } = await run(sops, ["decrypt", "--output-type", "yaml", full], {
        env: { ...env, SOPS_AGE_KEY_FILE: keyFile },
        cwd: dir,
      });
      return parseAllDocuments(stdout, { version: "1.2" })
        .map((d) => d.toJS() as unknown)
        .filter((v) => v !== null);
    },
    close: () => fs.rm(tmp, { recursive: true, force: true }),
  };
}

/** The render's view of a key Secret: `data` as the apiserver returns it (base64). */
export const agekeyData = (...keys: AgeKey[]): Record<string, string> =>
  Object.fromEntries(keys.map((k, i) => [`key${i}.agekey`, Buffer.from(k.file).toString("base64")]));
