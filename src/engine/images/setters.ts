// The Setters strategy: fields marked with a comment naming an ImagePolicy get the policy's choice.
//   image: example/app:1.2.3 # {"$imagepolicy": "ns:policy"}        whole reference
//   newTag: 1.2.3            # {"$imagepolicy": "ns:policy:tag"}    tag only (Kustomize images, Helm values)
//   repository: example/app  # {"$imagepolicy": "ns:policy:name"}   name only
// Byte-preserving: the YAML is parsed only to locate each marked scalar (its source range); the new
// value is spliced into the original text there, so comments, quoting, indentation, key order and
// every other byte stay as they were. Pure: text in, text and a change list out.
import type { Document, Node, Scalar } from "yaml";
import { composeBounded, documentProblem, YamlInputError } from "../yaml-input.js";
import { LineCounter, visit } from "yaml";

export type SetterField = "image" | "tag" | "name";

export interface PolicyRef {
  readonly namespace: string;
  readonly name: string;
}

/** What a policy currently chooses. */
export interface PolicyChoice {
  /** Image name as the ImageRepository spells it (no tag). */
  readonly name: string;
  readonly tag: string;
}

export interface SetterChange {
  readonly line: number;
  readonly policy: string;
  readonly field: SetterField;
  readonly oldValue: string;
  readonly newValue: string;
}

export interface SetterProblem {
  readonly line: number;
  readonly message: string;
}

export interface SetterResult {
  readonly text: string;
  readonly changes: readonly SetterChange[];
  /** Markers that could not be applied (unknown policy, block scalar, bad JSON), for status messages. */
  readonly problems: readonly SetterProblem[];
  /** Every policy named by a marker, `namespace/name`. */
  readonly policies: readonly string[];
}

const MARKER = /^[ \t]*#[ \t]*(\{.*\})[ \t]*(?:\r?\n|$)/;
const PLAIN_SAFE = /^[A-Za-z0-9_][A-Za-z0-9_./@+-]*(?::[A-Za-z0-9_][A-Za-z0-9_./@+-]*)*$/;

/** Parses the JSON of a marker comment: `{"$imagepolicy": "ns:name[:tag|:name]"}`. */
export function parseMarker(
  json: string,
): { ref: PolicyRef; field: SetterField } | { error: string } | undefined {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return undefined;
  }
  const text = (value as Record<string, unknown> | null)?.["$imagepolicy"];
  if (text === undefined) return undefined;
  if (typeof text !== "string")
    return { error: `"$imagepolicy" must be a string "namespace:name[:tag|:name]"` };
  const parts = text.split(":");
  const [namespace = "", name = "", field = "image"] = parts;
  if (
    parts.length < 2 ||
    parts.length > 3 ||
    !namespace ||
    !name ||
    !["image", "tag", "name"].includes(field)
  ) {
    return {
      error: `"$imagepolicy": "${text}" must be "namespace:name", "namespace:name:tag" or "namespace:name:name"`,
    };
  }
  return { ref: { namespace, name }, field: field as SetterField };
}

function newValueFor(field: SetterField, choice: PolicyChoice): string {
  if (field === "tag") return choice.tag;
  if (field === "name") return choice.name;
  return `${choice.name}:${choice.tag}`;
}

/** The source bytes to write for `value` in place of `node`, or an explanation why not. */
function encodeLike(node: Scalar, source: string, value: string): { text: string } | { error: string } {
  switch (node.type) {
    case "PLAIN":
      return PLAIN_SAFE.test(value)
        ? { text: value }
        : { error: `"${value}" cannot be written as a plain scalar` };
    case "QUOTE_DOUBLE":
      if (/["\\]/.test(source.slice(1, -1)) || /["\\\n]/.test(value))
        return { error: "escapes inside a double-quoted scalar are not rewritten" };
      return { text: `"${value}"` };
    case "QUOTE_SINGLE":
      if (source.slice(1, -1).includes("'") || /['\n]/.test(value))
        return { error: "quotes inside a single-quoted scalar are not rewritten" };
      return { text: `'${value}'` };
    default:
      return { error: "block scalars are not rewritten" };
  }
}

interface Edit {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

/**
 * Applies every marker in `text`. `choose` answers what a policy currently chooses (undefined:
 * unknown or not ready — the field is left alone and reported in `problems`).
 */
export function applySetters(
  text: string,
  choose: (ref: PolicyRef) => PolicyChoice | undefined,
): SetterResult {
  const lines = new LineCounter();
  const edits: Edit[] = [];
  const changes: SetterChange[] = [];
  const problems: SetterProblem[] = [];
  const policies = new Set<string>();
  // A repository file: nesting bounded before composing, errors on their own line (yaml-input.ts).
  let docs: Document.Parsed[];
  try {
    docs = composeBounded(text, { keepSourceTokens: false }, lines);
  } catch (error) {
    if (!(error instanceof YamlInputError)) throw error;
    return { text, changes, problems: [{ line: error.line, message: error.detail }], policies: [] };
  }
  for (const doc of docs) {
    const problem = documentProblem(doc, lines);
    if (problem) {
      problems.push({ line: problem.line, message: `not valid YAML: ${problem.detail}` });
      continue;
    }
    visit(doc, {
      Scalar(key, node) {
        if (key === "key" || !node.range) return;
        const [start, valueEnd] = node.range;
        const marker = MARKER.exec(text.slice(valueEnd, text.indexOf("\n", valueEnd) + 1 || text.length));
        if (!marker) return;
        const line = lines.linePos(start).line;
        const parsed = parseMarker(marker[1] ?? "");
        if (!parsed) return;
        if ("error" in parsed) return void problems.push({ line, message: parsed.error });
        const policy = `${parsed.ref.namespace}/${parsed.ref.name}`;
        policies.add(policy);
        const choice = choose(parsed.ref);
        if (!choice)
          return void problems.push({ line, message: `ImagePolicy ${policy} has no latest image yet` });
        const oldValue = String((node as Node & Scalar).value);
        const newValue = newValueFor(parsed.field, choice);
        if (oldValue === newValue) return;
        const encoded = encodeLike(node, text.slice(start, valueEnd), newValue);
        if ("error" in encoded) return void problems.push({ line, message: encoded.error });
        edits.push({ start, end: valueEnd, text: encoded.text });
        changes.push({ line, policy, field: parsed.field, oldValue, newValue });
      },
    });
  }
  // Splice from the end so earlier offsets stay valid.
  let out = text;
  for (const edit of [...edits].sort((a, b) => b.start - a.start)) {
    out = out.slice(0, edit.start) + edit.text + out.slice(edit.end);
  }
  return { text: out, changes, problems, policies: [...policies].sort() };
}
