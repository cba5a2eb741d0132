// Stable output order. The render stage only promises *stable* (same input → same order); the
// apply stage decides the real order (namespaces/CRDs first, waves, kinds).
//   directory mode: by source file (byte order of the repository-relative path), then position
//                   in the file — the order a human reading the folder sees;
//   tool output:    by apiVersion, kind, namespace, name, then source file — tool output order
//                   changes between tool versions, identity does not.
import type { RenderedObject } from "./types.js";

/** Byte-order comparison: unlike localeCompare it is the same on every machine and locale. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function field(value: unknown): string {
  return typeof value === "string" ? value : "";
}

export function identityKey(rendered: RenderedObject): string[] {
  const { object } = rendered;
  return [object.apiVersion, object.kind, field(object.metadata.namespace), field(object.metadata.name)];
}

export function compareByIdentity(a: RenderedObject, b: RenderedObject): number {
  const ka = identityKey(a);
  const kb = identityKey(b);
  for (let i = 0; i < ka.length; i++) {
    const c = compareStrings(ka[i] ?? "", kb[i] ?? "");
    if (c !== 0) return c;
  }
  return compareStrings(a.sourceFile, b.sourceFile);
}

export function compareBySourcePosition(a: RenderedObject, b: RenderedObject): number {
  return compareStrings(a.sourceFile, b.sourceFile) || (a.line ?? 0) - (b.line ?? 0);
}

/** Sorted copy (Array.prototype.sort is stable, so equal keys keep their input order). */
export function sortToolOutput(objects: readonly RenderedObject[]): RenderedObject[] {
  return [...objects].sort(compareByIdentity);
}

export function sortDirectoryOutput(objects: readonly RenderedObject[]): RenderedObject[] {
  return [...objects].sort(compareBySourcePosition);
}
