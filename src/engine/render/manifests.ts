// Parses manifest text (a repository file or a tool's stdout) into Kubernetes objects with the
// line each came from. Pure: text in, objects or a RenderError out.
//
// YAML 1.1 on purpose: Kubernetes tools (kubectl, Helm, Argo CD) read YAML with go-yaml's 1.1
// rules, so `defaultMode: 0644` is octal 420 and `yes` is a boolean there; 1.2 would silently
// render different objects from the same file.
//
// Depth and duplicate keys are checked by ../yaml-input.ts (bounded nesting before the composer
// recurses, duplicate keys in linear time), and the composed value's depth again here (aliases can
// build depth the text does not show). Errors carry the line of the problem itself, not of its
// document.
import { isMap, isSeq, LineCounter, type Document, type Node } from "yaml";
import { RenderError } from "../errors.js";
import { nestingMessage, valueNestingProblem } from "../nesting.js";
import { composeBounded, documentProblem, YamlInputError } from "../yaml-input.js";
import type { RenderedKubeObject } from "../../model/ref.js";

export interface ParsedManifest {
  object: RenderedKubeObject;
  /** 1-based line where the object's mapping starts. */
  line: number;
}

export interface ParseOptions {
  maxAliasCount: number;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function nonEmptyString(value: unknown): value is string {
  return typeof value === "string" && value.length > 0;
}

/** Why a value is not a Kubernetes object, or undefined when it is one. */
export function kubeObjectProblem(value: unknown): string | undefined {
  if (!isPlainObject(value)) return `is a ${Array.isArray(value) ? "sequence" : typeof value}, not a mapping`;
  if (!nonEmptyString(value.apiVersion)) return "has no apiVersion";
  if (!nonEmptyString(value.kind)) return "has no kind";
  const metadata = value.metadata;
  if (!isPlainObject(metadata)) return "has no metadata";
  // generateName is accepted because hook Jobs (Argo CD style) are commonly written that way.
  if (!nonEmptyString(metadata.name) && !nonEmptyString(metadata.generateName)) {
    // e.g. `name: y` or `name: 0644`, which YAML 1.1 reads as a boolean or a number.
    const name: unknown = metadata.name;
    if (name !== undefined && name !== null && typeof name !== "string") {
      return `has a ${typeof name} metadata.name (${JSON.stringify(name)}); quote it`;
    }
    return "has no metadata.name";
  }
  return undefined;
}

/** `kind: List` (and any `*List` kind carrying `items`), as kubectl and Argo CD expand them. */
export function isListObject(value: Record<string, unknown>): boolean {
  return typeof value.kind === "string" && value.kind.endsWith("List") && Array.isArray(value.items);
}

function lineOf(counter: LineCounter, node: Node | null | undefined, fallback: number): number {
  const offset = node?.range?.[0];
  return offset === undefined ? fallback : counter.linePos(offset).line;
}

function invalid(sourceFile: string, line: number, what: string): RenderError {
  return new RenderError("InvalidManifest", `${sourceFile}:${line}: ${what}`);
}
export { invalid as invalidManifest };

/**
 * The Kubernetes objects of one parsed document (a `*List` expanded), or an InvalidManifest error.
 * Shared by the plain parser and SOPS decryption, which parses differently but checks the same.
 */
export function manifestsFromValue(
  value: unknown,
  sourceFile: string,
  docLine: number,
  itemLine: (index: number) => number = () => docLine,
): ParsedManifest[] {
  const deep = valueNestingProblem(value);
  if (deep) throw invalid(sourceFile, docLine, nestingMessage(deep));
  if (isPlainObject(value) && isListObject(value)) {
    return (value.items as unknown[]).map((item, i) => {
      const line = itemLine(i);
      const problem = kubeObjectProblem(item);
      if (problem) throw invalid(sourceFile, line, `items[${i}] of ${String(value.kind)} ${problem}`);
      return { object: item as RenderedKubeObject, line };
    });
  }
  const problem = kubeObjectProblem(value);
  if (problem) throw invalid(sourceFile, docLine, `document is not a Kubernetes object: it ${problem}`);
  return [{ object: value as RenderedKubeObject, line: docLine }];
}

/** Parses every document of `text`; empty documents are skipped, Lists expanded. */
export function parseManifests(text: string, sourceFile: string, options: ParseOptions): ParsedManifest[] {
  const counter = new LineCounter();
  let docs: Document.Parsed[];
  try {
    docs = composeBounded(text, { version: "1.1" }, counter);
  } catch (error) {
    if (error instanceof YamlInputError) throw invalid(sourceFile, error.line, error.detail);
    throw error;
  }
  const out: ParsedManifest[] = [];
  for (const doc of docs) {
    const docLine = lineOf(counter, doc.contents, lineOf(counter, doc as unknown as Node, 1));
    const problem = documentProblem(doc, counter);
    if (problem) throw invalid(sourceFile, problem.line, `invalid YAML: ${problem.detail}`);
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: options.maxAliasCount });
    } catch (error) {
      // Only the bomb: an alias without its anchor is a ReferenceError too, and plain invalid YAML.
      if (error instanceof ReferenceError && /excessive alias count/i.test(error.message)) {
        throw new RenderError(
          "LimitExceeded",
          `${sourceFile}:${docLine}: YAML aliases expand beyond the limit (maxAliasCount ${options.maxAliasCount})`,
        );
      }
      throw invalid(sourceFile, docLine, `invalid YAML: ${String(error)}`);
    }
    if (value === null || value === undefined) continue;
    const itemsNode = isMap(doc.contents) ? doc.contents.get("items", true) : undefined;
    const itemNodes = isSeq(itemsNode) ? itemsNode.items : [];
    out.push(
      ...manifestsFromValue(value, sourceFile, docLine, (i) =>
        lineOf(counter, itemNodes[i] as Node | undefined, docLine),
      ),
    );
  }
  return out;
}
