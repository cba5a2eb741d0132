// Decrypts a SOPS-encrypted YAML or JSON file in memory (getsops/sops v3 format, age keys):
// unwrap the data key with an age identity, decrypt every value that the file's rules say is
// encrypted (AES-256-GCM, the value's path as additional data), recompute the MAC over the whole
// tree exactly as sops does and refuse the file when it differs. Nothing is written anywhere;
// errors name the file and, for one value, its path — never a value.
import { createHash } from "node:crypto";
import { LineCounter, isAlias, isMap, isScalar, isSeq } from "yaml";
import type { Document, Node } from "yaml";
import { REDACTED, leafValues, redactMessage, valueForms } from "../../../lib/redact.js";
import { RenderError } from "../../errors.js";
import { composeBounded, documentProblem, YamlInputError } from "../../yaml-input.js";
import type { ParsedManifest } from "../manifests.js";
import { invalidManifest, manifestsFromValue } from "../manifests.js";
import { SopsValueError, decryptValue, macAdditionalData, plainLeaf } from "./cipher.js";
import type { SopsKeys } from "./keys.js";
import { unwrapDataKey } from "./keys.js";
import { type SopsMetadata, readMetadata, shouldBeEncrypted } from "./metadata.js";

export interface DecryptedDocument {
  value: unknown;
  /** 1-based line of the document in the encrypted file. */
  line: number;
}

/** Written first into the MAC when `mac_only_encrypted` is set (sops.go MACOnlyEncryptedInitialization). */
const MAC_ONLY_ENCRYPTED_INIT = Buffer.from(
  "8a3fd2ad54ce66527b1034f3d147be0b0b975b3bf44f72c6fdadec8176f27d69",
  "hex",
);

const SOPS_KEY = "sops";

/** Cheap pre-check on raw text: only files that might carry a sops block are parsed twice. */
export function mightBeSops(text: string): boolean {
  return /(^|\n)sops:|"sops"\s*:/.test(text);
}

/** True when a parsed object carries a sops metadata block (it must never be applied as is). */
export function hasSopsMetadata(value: unknown): boolean {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const meta = (value as Record<string, unknown>)[SOPS_KEY];
  return typeof meta === "object" && meta !== null && ("mac" in meta || "lastmodified" in meta);
}

function fail(sourceFile: string, what: string): RenderError {
  return new RenderError("DecryptionFailed", `${sourceFile}: cannot decrypt SOPS file: ${what}`);
}

function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  // defineProperty, not assignment: a key named __proto__ must stay a plain key.
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

interface WalkState {
  doc: Document.Parsed;
  meta: SopsMetadata;
  dataKey: Buffer;
  hash: ReturnType<typeof createHash>;
  aliases: number;
  maxAliasCount: number;
  sourceFile: string;
}

function walk(state: WalkState, node: Node | null | undefined, path: readonly string[]): unknown {
  if (node === null || node === undefined) return null;
  if (isAlias(node)) {
    if (++state.aliases > state.maxAliasCount) {
      throw new RenderError(
        "LimitExceeded",
        `${state.sourceFile}: YAML aliases expand beyond the limit (maxAliasCount ${state.maxAliasCount})`,
      );
    }
    return walk(state, node.resolve(state.doc), path);
  }
  if (isMap(node)) {
    const out: Record<string, unknown> = {};
    for (const pair of node.items) {
      const keyNode = pair.key as Node | null;
      const key = isScalar(keyNode) ? keyNode.value : undefined;
      if (typeof key !== "string") {
        throw fail(
          state.sourceFile,
          `a key under "${path.join(":")}" is not a string (sops supports string keys only)`,
        );
      }
      if (path.length === 0 && key === SOPS_KEY) continue;
      setOwn(out, key, walk(state, pair.value as Node | null, [...path, key]));
    }
    return out;
  }
  if (isSeq(node)) return node.items.map((item) => walk(state, item as Node | null, path));
  if (!isScalar(node)) return null;
  const raw = node.value;
  if (raw === null || raw === undefined) return null; // sops neither decrypts nor hashes nil
  const encrypted = shouldBeEncrypted(state.meta, path);
  const where = path.join(":");
  let leaf;
  try {
    if (encrypted) {
      if (typeof raw !== "string") throw new SopsValueError("it should be encrypted but is not a string");
      leaf = decryptValue(raw, state.dataKey, `${where}:`);
    } else {
      leaf = plainLeaf(raw);
    }
  } catch (error) {
    if (error instanceof SopsValueError)
      throw fail(state.sourceFile, `the value at "${where}": ${error.message}`);
    throw error;
  }
  if (!leaf) return null;
  if (!state.meta.macOnlyEncrypted || encrypted) state.hash.update(leaf.macBytes);
  return leaf.value;
}

/**
 * The decrypted documents of `text`, or undefined when it is not a SOPS file (no top-level `sops`
 * mapping in its first document). `keys` undefined means the Application configured no
 * decryption: a SOPS file is then an error, never applied encrypted.
 */
export async function decryptSopsFile(
  text: string,
  sourceFile: string,
  keys: SopsKeys | undefined,
  options: { maxAliasCount: number },
): Promise<DecryptedDocument[] | undefined> {
  if (!mightBeSops(text)) return undefined;
  const counter = new LineCounter();
  // go-yaml v3 (what sops reads with) resolves scalars like YAML 1.2's core schema; the MAC
  // depends on it (`yes` is the string "yes", not True). Bounded: nesting checked before the
  // composer (and walk() below) recurse, duplicate keys in linear time — any file with a column-0
  // `sops:` line comes here, so a 100,000-key mapping must not block the event loop.
  let docs: Document.Parsed[];
  try {
    docs = composeBounded(text, { version: "1.2", intAsBigInt: true }, counter);
  } catch (error) {
    if (error instanceof YamlInputError) throw invalidManifest(sourceFile, error.line, error.detail);
    throw error;
  }
  if (docs.length === 0) return undefined;
  if (docs.some((d) => d.errors.length > 0)) return undefined; // the plain parser reports it
  const first = docs[0]?.contents;
  if (!isMap(first) || !first.has(SOPS_KEY)) return undefined;
  // A SOPS file is read here only: its duplicate keys are reported here (go-yaml refuses them too).
  for (const doc of docs) {
    const problem = documentProblem(doc, counter);
    if (problem) throw invalidManifest(sourceFile, problem.line, `invalid YAML: ${problem.detail}`);
  }

  let meta: SopsMetadata;
  try {
    const metaNode = first.get(SOPS_KEY, true) as Node | undefined;
    meta = readMetadata(metaNode?.toJSON());
  } catch (error) {
    if (error instanceof SopsValueError) throw fail(sourceFile, error.message);
    throw error;
  }
  if (!keys) {
    throw fail(
      sourceFile,
      "the file is SOPS-encrypted but the Application sets no spec.decryption (provider: sops, secretRef)",
    );
  }
  if (meta.age.length === 0) {
    const types = meta.otherKeyTypes.length > 0 ? meta.otherKeyTypes.join(", ") : "no master key at all";
    throw fail(sourceFile, `the data key is held by ${types}; Tether decrypts age keys only`);
  }
  const dataKey = await unwrapDataKey(meta.age, keys);
  if (!dataKey) {
    const held = keys.identities.length;
    throw fail(
      sourceFile,
      `none of the ${held} age identities in Secret ${keys.source} opens the data key (the file is encrypted to ${meta.age.map((a) => a.recipient).join(", ")})`,
    );
  }
  if (dataKey.length !== 32) throw fail(sourceFile, "the data key is not 32 bytes");

  const hash = createHash("sha512");
  if (meta.macOnlyEncrypted) hash.update(MAC_ONLY_ENCRYPTED_INIT);
  const out: DecryptedDocument[] = [];
  for (const doc of docs) {
    const contents = doc.contents as Node | null;
    const line = contents?.range ? counter.linePos(contents.range[0]).line : 1;
    if (isScalar(contents) && contents.value === null) continue; // an empty document
    if (contents !== null && !isMap(contents) && !isAlias(contents)) {
      throw fail(sourceFile, `the document at line ${line} is not a mapping (sops supports mappings only)`);
    }
    const state: WalkState = {
      doc,
      meta,
      dataKey,
      hash,
      aliases: 0,
      maxAliasCount: options.maxAliasCount,
      sourceFile,
    };
    const value = walk(state, contents, []);
    if (value !== null) out.push({ value, line });
  }
  const computed = hash.digest("hex").toUpperCase();
  let stored: unknown;
  try {
    stored = decryptValue(meta.mac, dataKey, macAdditionalData(meta.lastModified)).value;
  } catch (error) {
    if (error instanceof SopsValueError) throw fail(sourceFile, `sops.mac: ${error.message}`);
    throw error;
  }
  if (stored !== computed) {
    throw fail(sourceFile, "MAC mismatch: the file was changed after it was encrypted");
  }
  return out;
}

/**
 * The objects of decrypted documents, marked `decrypted` so that no apiserver error about them
 * quotes a value. A document that is not a Kubernetes object is refused by the same checks as a
 * plain file, minus any value the refusal would quote (e.g. a non-string metadata.name): any
 * field may have been encrypted, so every value of the document counts as secret.
 */
export function decryptedManifests(
  docs: readonly DecryptedDocument[],
  sourceFile: string,
): (ParsedManifest & { decrypted: true })[] {
  return docs.flatMap(({ value, line }) => {
    try {
      return manifestsFromValue(value, sourceFile, line).map((m) => ({ ...m, decrypted: true as const }));
    } catch (error) {
      if (!(error instanceof RenderError)) throw error;
      const leaves = leafValues(value);
      // Short values too, in the form these checks quote them: `(424242)`, `(true)`, `("x")`.
      let message = error.message;
      for (const leaf of leaves) {
        message = message
          .split(`(${leaf})`)
          .join(REDACTED)
          .split(`(${JSON.stringify(leaf)})`)
          .join(REDACTED);
      }
      message = redactMessage(message, valueForms(leaves));
      throw new RenderError(error.reason, message);
    }
  });
}
