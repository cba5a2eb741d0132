// The pure half of `tether promote`: carry image tags (Kustomize `images:`) and chosen values (Helm
// values files) from one environment's file to the next. Byte-preserving: the YAML is parsed only
// to find each scalar's source range, and the new value is spliced in there, so comments, quoting,
// key order and every other byte of the target file stay as they were.
import type { Scalar } from "yaml";
import { Document, isMap, isScalar, isSeq } from "yaml";
import { parseDocumentBounded, YamlInputError } from "../engine/yaml-input.js";

export interface PromotedValue {
  /** The target file, relative to the repository root. */
  readonly file: string;
  /** What changed: `images[NAME].newTag`, or a values key such as `image.tag`. */
  readonly key: string;
  readonly from: string;
  readonly to: string;
}

export interface EditResult {
  readonly text: string;
  readonly changes: PromotedValue[];
  /** Values that exist in the source file but could not be carried, with the reason. */
  readonly skipped: string[];
}

interface Splice {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

/** What `value` written as a plain scalar reads back as (undefined when it is not a plain scalar). */
function readsAs(value: string): unknown {
  if (!/^[A-Za-z0-9_][A-Za-z0-9_./@+:-]*$/.test(value)) return undefined;
  return parse(`v: ${value}\n`, "value").get("v");
}

/** The bytes for `value` where `node` is, in the node's own quoting style; an error when it cannot be. */
function encodeLike(node: Scalar, value: string): { text: string } | { error: string } {
  switch (node.type) {
    case "PLAIN": {
      // Plain when it reads back as the same value of the same type (a tag "1.10" must not become 1.1).
      const back: unknown = readsAs(value);
      if (
        typeof node.value === "string"
          ? back === value
          : typeof back === typeof node.value && String(back) === value
      )
        return { text: value };
      return { text: JSON.stringify(value) };
    }
    case "QUOTE_DOUBLE":
      return /["\\\n]/.test(value) ? { error: "needs escapes" } : { text: `"${value}"` };
    case "QUOTE_SINGLE":
      return /['\n]/.test(value) ? { error: "needs escapes" } : { text: `'${value}'` };
    default:
      return { error: "block scalars are not rewritten" };
  }
}

function applySplices(text: string, splices: readonly Splice[]): string {
  let out = text;
  for (const s of [...splices].sort((a, b) => b.start - a.start))
    out = out.slice(0, s.start) + s.text + out.slice(s.end);
  return out;
}

/** A repository file, bounded (yaml-input.ts): a 100,000-key mapping must not block the event loop. */
function parse(text: string, file: string): Document {
  try {
    return parseDocumentBounded(text) ?? new Document(null);
  } catch (error) {
    if (error instanceof YamlInputError) throw new Error(`${file}: not valid YAML: ${error.message}`);
    throw error;
  }
}

/** One splice of scalar `node` to `value`, or the reason it cannot be made. */
function spliceScalar(node: unknown, value: string): Splice | { error: string } {
  if (!isScalar(node) || !node.range) return { error: "not a scalar" };
  const encoded = encodeLike(node, value);
  if ("error" in encoded) return encoded;
  return { start: node.range[0], end: node.range[1], text: encoded.text };
}

type ImageEntry = Map<string, Scalar>;

function imagesOf(doc: Document): Map<string, ImageEntry> {
  const out = new Map<string, ImageEntry>();
  const images = doc.get("images", true);
  if (!isSeq(images)) return out;
  for (const item of images.items) {
    if (!isMap(item)) continue;
    const fields: ImageEntry = new Map();
    for (const pair of item.items)
      if (isScalar(pair.key) && isScalar(pair.value)) fields.set(String(pair.key.value), pair.value);
    const name = fields.get("name");
    if (name) out.set(String(name.value), fields);
  }
  return out;
}

/**
 * Kustomize overlays: every `images:` entry of `fromText` whose name is also in `toText` gets the
 * source's newTag, digest and newName. Entries only in the source are skipped (with a reason): a
 * promotion carries versions, it does not add images to an environment.
 */
export function promoteKustomizeImages(
  fromText: string,
  toText: string,
  files: { from: string; to: string },
): EditResult {
  const from = imagesOf(parse(fromText, files.from));
  const to = imagesOf(parse(toText, files.to));
  const splices: Splice[] = [];
  const changes: PromotedValue[] = [];
  const skipped: string[] = [];
  for (const [name, source] of from) {
    const target = to.get(name);
    if (!target) {
      skipped.push(`${files.from}: images[${name}]: not in ${files.to}`);
      continue;
    }
    for (const field of ["newName", "newTag", "digest"]) {
      const value = source.get(field);
      if (value === undefined) continue;
      const wanted = String(value.value);
      const current = target.get(field);
      if (!current) {
        skipped.push(`${files.to}: images[${name}].${field}: absent in the target; add it once by hand`);
        continue;
      }
      if (String(current.value) === wanted) continue;
      const splice = spliceScalar(current, wanted);
      if ("error" in splice) {
        skipped.push(`${files.to}: images[${name}].${field}: ${splice.error}`);
        continue;
      }
      splices.push(splice);
      changes.push({
        file: files.to,
        key: `images[${name}].${field}`,
        from: String(current.value),
        to: wanted,
      });
    }
  }
  return { text: applySplices(toText, splices), changes, skipped };
}

/** Helm values files: each dotted `key` (default `image.tag`) takes the source file's value. */
export function promoteHelmValues(
  fromText: string,
  toText: string,
  keys: readonly string[],
  files: { from: string; to: string },
): EditResult {
  const from = parse(fromText, files.from);
  const to = parse(toText, files.to);
  const splices: Splice[] = [];
  const changes: PromotedValue[] = [];
  const skipped: string[] = [];
  for (const key of keys) {
    const path = key.split(".");
    const source = from.getIn(path, true);
    if (!isScalar(source)) {
      skipped.push(`${files.from}: ${key}: ${source === undefined ? "absent" : "not a scalar value"}`);
      continue;
    }
    const target = to.getIn(path, true);
    if (!isScalar(target)) {
      skipped.push(
        `${files.to}: ${key}: ${target === undefined ? "absent in the target; add it once by hand" : "not a scalar value"}`,
      );
      continue;
    }
    const wanted = String(source.value);
    if (String(target.value) === wanted) continue;
    const splice = spliceScalar(target, wanted);
    if ("error" in splice) {
      skipped.push(`${files.to}: ${key}: ${splice.error}`);
      continue;
    }
    splices.push(splice);
    changes.push({ file: files.to, key, from: String(target.value), to: wanted });
  }
  return { text: applySplices(toText, splices), changes, skipped };
}

export const PROMOTION_TRAILER = "Tether-Promotion";
export const APP_TRAILER = "Tether-App";

/** The commit message: subject naming app and environments, one line per value, then the trailers. */
export function promotionMessage(
  app: string,
  from: string,
  to: string,
  changes: readonly PromotedValue[],
): string {
  const lines = changes.map((c) => `- ${c.file}: ${c.key} ${c.from} -> ${c.to}`);
  const values = [...new Set(changes.map((c) => c.to))].join(", ");
  return `promote ${app} from ${from} to ${to}: ${values}\n\n${lines.join("\n")}\n\n${PROMOTION_TRAILER}: ${from}->${to}\n${APP_TRAILER}: ${app}\n`;
}
