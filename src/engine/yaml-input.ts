// Reading YAML that Tether does not control (repository files, tool output, kubeconfig files),
// bounded in depth and in time. Two limits the `yaml` library does not give:
// - depth: the composer recurses once per level and overflows the stack a few hundred levels
//   down, so the parser's syntax tree (built without recursion) is checked first (nesting.ts);
// - duplicate keys in linear time: the library's own uniqueKeys check compares each key with every
//   earlier key of its map, so one 8 MiB mapping of 100,000 keys blocks the event loop for minutes
//   (controller and API alike). The composer runs with uniqueKeys off and duplicateKey() below
//   does the same check (equal scalar values) with a Set.
import type { Document, DocumentOptions, ParseOptions, SchemaOptions, ToJSOptions } from "yaml";
import { Composer, isScalar, LineCounter, Parser, visit } from "yaml";
import { cstNestingProblem, nestingMessage, valueNestingProblem } from "./nesting.js";

export type YamlOptions = DocumentOptions & ParseOptions & SchemaOptions & ToJSOptions;

/** Input refused for its shape (depth, duplicate keys, syntax); the message is `line N: detail`. */
export class YamlInputError extends Error {
  override readonly name = "YamlInputError";
  constructor(
    readonly line: number,
    readonly detail: string,
  ) {
    super(`line ${line}: ${detail}`);
  }
}

/** The first key that repeats an earlier key of its mapping (equal scalar values), with its offset. */
export function duplicateKey(doc: Document.Parsed): { key: string; offset: number } | undefined {
  let found: { key: string; offset: number } | undefined;
  // visit() recurses per level; callers have bounded the depth before composing.
  visit(doc, {
    Map(_, map) {
      const seen = new Set<unknown>();
      for (const pair of map.items) {
        const key = pair.key;
        // NaN never equals itself: the library would not call `.nan` twice a duplicate either.
        if (!isScalar(key) || Number.isNaN(key.value)) continue;
        if (seen.has(key.value)) {
          found = { key: String(key.value), offset: key.range?.[0] ?? 0 };
          return visit.BREAK;
        }
        seen.add(key.value);
      }
      return undefined;
    },
  });
  return found;
}

/**
 * A composed document's first problem with its line, or undefined: syntax first, then duplicate
 * keys. The line comes from the error's offset (`linePos` is filled only when the library
 * pretty-prints, which also rewrites the message).
 */
export function documentProblem(doc: Document.Parsed, counter: LineCounter): YamlInputError | undefined {
  const error = doc.errors[0];
  if (error)
    return new YamlInputError(counter.linePos(error.pos[0]).line, error.message.split("\n")[0] ?? "");
  const duplicate = doc.contents ? duplicateKey(doc) : undefined;
  if (duplicate) {
    const shown = duplicate.key.length > 60 ? `${duplicate.key.slice(0, 60)}…` : duplicate.key;
    return new YamlInputError(
      counter.linePos(duplicate.offset).line,
      `duplicate key ${JSON.stringify(shown)} (map keys must be unique)`,
    );
  }
  return undefined;
}

/**
 * Parses every document of `text`, nesting checked before composing (throws YamlInputError naming
 * line and path); duplicate keys are left to documentProblem(). `counter` receives the lines.
 */
export function composeBounded(text: string, options: YamlOptions, counter: LineCounter): Document.Parsed[] {
  const tokens = Array.from(new Parser(counter.addNewLine).parse(text));
  for (const token of tokens) {
    const deep = cstNestingProblem(token);
    if (deep) {
      throw new YamlInputError(counter.linePos(deep.offset ?? token.offset).line, nestingMessage(deep));
    }
  }
  return Array.from(new Composer({ ...options, uniqueKeys: false }).compose(tokens));
}

/**
 * `YAML.parseDocument` for one untrusted document, bounded (see the header), for callers that edit
 * or walk the nodes; undefined for a text without a document. Throws like parseYamlBounded.
 */
export function parseDocumentBounded(
  text: string,
  options: YamlOptions = {},
  counter = new LineCounter(),
): Document.Parsed | undefined {
  const [doc, extra] = composeBounded(text, options, counter);
  if (extra)
    throw new YamlInputError(
      counter.linePos(extra.range[0]).line,
      "a second YAML document where one is expected",
    );
  const problem = doc && documentProblem(doc, counter);
  if (problem) throw problem;
  return doc;
}

/**
 * `YAML.parse` for one untrusted document, bounded (see the header). Throws YamlInputError
 * (`line 12: nesting deeper than 200 levels at a.b…`, `line 3: duplicate key "x" …`, a syntax
 * error with its line), or the library's ReferenceError when aliases exceed maxAliasCount.
 */
export function parseYamlBounded(text: string, options: YamlOptions = {}): unknown {
  const counter = new LineCounter();
  const doc = parseDocumentBounded(text, options, counter);
  if (!doc) return null;
  const value: unknown = doc.toJS(options);
  const aliased = valueNestingProblem(value);
  if (aliased) throw new YamlInputError(counter.linePos(doc.range[0]).line, nestingMessage(aliased));
  return value;
}
