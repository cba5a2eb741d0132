// The age identities a render may decrypt with, read from a Kubernetes Secret the Flux way: every
// data entry whose name ends in `.agekey` holds one or more `AGE-SECRET-KEY-…` lines (comments and
// blank lines allowed, as age-keygen writes them). Identities stay in memory; only the public
// recipients derived from them are ever shown or hashed (the render cache key).
import { Decrypter, armor, identityToRecipient } from "age-encryption";
import type { AgeStanza } from "./metadata.js";

export interface SopsKeys {
  /** `namespace/name` of the Secret, for messages. */
  readonly source: string;
  readonly identities: readonly string[];
  /** Public age recipients of `identities`, sorted: safe to log, hash and compare. */
  readonly recipients: readonly string[];
}

const IDENTITY = /^AGE-SECRET-KEY-(PQ-)?1[02-9AC-HJ-NP-Z]+$/;

/** Identities in a Secret's `data` (base64 values, as the apiserver returns them). */
export async function sopsKeysFromSecretData(
  source: string,
  data: Readonly<Record<string, string>> | undefined,
): Promise<SopsKeys> {
  const identities: string[] = [];
  for (const [name, value] of Object.entries(data ?? {}).sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (!name.endsWith(".agekey")) continue;
    for (const raw of Buffer.from(value, "base64").toString("utf8").split(/\r?\n/)) {
      const line = raw.trim();
      if (line === "" || line.startsWith("#")) continue;
      if (!IDENTITY.test(line)) {
        throw new Error(`Secret ${source}: entry ${name} holds a line that is not an age identity`);
      }
      identities.push(line);
    }
  }
  const recipients: string[] = [];
  for (const identity of identities) {
    try {
      recipients.push(await identityToRecipient(identity));
    } catch {
      throw new Error(`Secret ${source}: an identity in a .agekey entry is malformed`);
    }
  }
  return { source, identities, recipients: [...new Set(recipients)].sort() };
}

/**
 * The file's data key: the first age stanza one of the identities opens. Undefined when none
 * does (the caller names the recipients the file was encrypted to).
 */
export async function unwrapDataKey(
  stanzas: readonly AgeStanza[],
  keys: SopsKeys,
): Promise<Buffer | undefined> {
  const decrypter = new Decrypter();
  for (const identity of keys.identities) decrypter.addIdentity(identity);
  for (const stanza of stanzas) {
    // Like sops, every identity is tried on every stanza: the recipient field is informative only.
    try {
      const key = await decrypter.decrypt(armor.decode(stanza.enc), "uint8array");
      return Buffer.from(key);
    } catch {
      // A stanza we cannot open: try the next one.
    }
  }
  return undefined;
}
