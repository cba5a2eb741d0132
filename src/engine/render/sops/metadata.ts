// The `sops` metadata block of an encrypted file (getsops/sops v3 `stores/stores.go`), read into
// what decryption needs. Pure. Only age master keys are supported; a file whose data key is held
// only by PGP, KMS, Vault, … is refused by name rather than half-read.
import { SopsValueError } from "./cipher.js";

export interface AgeStanza {
  recipient: string;
  /** The data key, age-encrypted to `recipient`, ASCII-armored. */
  enc: string;
}

export interface SopsMetadata {
  age: AgeStanza[];
  /** Key types present besides age (pgp, kms, …), for the "unsupported key type" message. */
  otherKeyTypes: string[];
  lastModified: string;
  mac: string;
  unencryptedSuffix?: string;
  encryptedSuffix?: string;
  unencryptedRegex?: RegExp;
  encryptedRegex?: RegExp;
  macOnlyEncrypted: boolean;
}

const OTHER_KEY_TYPES = ["pgp", "kms", "gcp_kms", "hckms", "azure_kv", "hc_vault"] as const;
const DEFAULT_UNENCRYPTED_SUFFIX = "_unencrypted";

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function optionalString(meta: Record<string, unknown>, field: string): string | undefined {
  const value = meta[field];
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value !== "string") throw new SopsValueError(`sops.${field} is not a string`);
  return value;
}

function regex(meta: Record<string, unknown>, field: string): RegExp | undefined {
  const source = optionalString(meta, field);
  if (source === undefined) return undefined;
  try {
    const re = new RegExp(source);
    // Compiled on first use, per string width: a too-large pattern must fail here, not in the walk.
    re.test("");
    re.test("\u0100");
    return re;
  } catch {
    throw new SopsValueError(`sops.${field} is not a regular expression Tether can evaluate`);
  }
}

function ageStanzas(group: Record<string, unknown>, where: string): AgeStanza[] {
  const list = group.age;
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw new SopsValueError(`${where}.age is not a list`);
  return list.map((entry, i) => {
    if (!isRecord(entry) || typeof entry.recipient !== "string" || typeof entry.enc !== "string") {
      throw new SopsValueError(`${where}.age[${i}] needs a recipient and an enc string`);
    }
    return { recipient: entry.recipient, enc: entry.enc };
  });
}

function otherTypes(group: Record<string, unknown>): string[] {
  return OTHER_KEY_TYPES.filter(
    (type) => Array.isArray(group[type]) && (group[type] as unknown[]).length > 0,
  );
}

export function readMetadata(meta: unknown): SopsMetadata {
  if (!isRecord(meta)) throw new SopsValueError("the sops entry is not a mapping");
  // Like sops: top-level master keys form one key group; `key_groups` only when there are none.
  let age = ageStanzas(meta, "sops");
  let other = otherTypes(meta);
  if (age.length === 0 && other.length === 0 && Array.isArray(meta.key_groups)) {
    const groups = meta.key_groups as unknown[];
    if (groups.length > 1) {
      throw new SopsValueError(
        `the data key is split over ${groups.length} key groups (Shamir secret sharing), which Tether does not support`,
      );
    }
    const group = groups[0];
    if (isRecord(group)) {
      age = ageStanzas(group, "sops.key_groups[0]");
      other = otherTypes(group);
    }
  }
  if (optionalString(meta, "unencrypted_comment_regex") || optionalString(meta, "encrypted_comment_regex")) {
    throw new SopsValueError(
      "the file uses encrypted_comment_regex/unencrypted_comment_regex, which Tether does not support",
    );
  }
  const lastModified = optionalString(meta, "lastmodified");
  const mac = optionalString(meta, "mac");
  if (!lastModified) throw new SopsValueError("sops.lastmodified is missing");
  if (!mac) throw new SopsValueError("sops.mac is missing: refusing a file without a MAC");
  const result: SopsMetadata = {
    age,
    otherKeyTypes: other,
    lastModified,
    mac,
    unencryptedSuffix: optionalString(meta, "unencrypted_suffix"),
    encryptedSuffix: optionalString(meta, "encrypted_suffix"),
    unencryptedRegex: regex(meta, "unencrypted_regex"),
    encryptedRegex: regex(meta, "encrypted_regex"),
    macOnlyEncrypted: meta.mac_only_encrypted === true,
  };
  const rules = [
    result.unencryptedSuffix,
    result.encryptedSuffix,
    result.unencryptedRegex,
    result.encryptedRegex,
  ];
  const count = rules.filter((r) => r !== undefined).length;
  if (count > 1) {
    throw new SopsValueError(
      "sops metadata sets more than one of encrypted_suffix, unencrypted_suffix, encrypted_regex, unencrypted_regex",
    );
  }
  if (count === 0) result.unencryptedSuffix = DEFAULT_UNENCRYPTED_SUFFIX;
  return result;
}

/** sops' Tree.shouldBeEncrypted (without the comment rules, refused above). */
export function shouldBeEncrypted(meta: SopsMetadata, path: readonly string[]): boolean {
  let encrypted = true;
  if (meta.unencryptedSuffix !== undefined && path.some((p) => p.endsWith(meta.unencryptedSuffix ?? ""))) {
    encrypted = false;
  }
  if (meta.encryptedSuffix !== undefined) {
    encrypted = path.some((p) => p.endsWith(meta.encryptedSuffix ?? ""));
  }
  if (meta.unencryptedRegex && path.some((p) => meta.unencryptedRegex?.test(p))) encrypted = false;
  if (meta.encryptedRegex) encrypted = path.some((p) => meta.encryptedRegex?.test(p));
  return encrypted;
}
