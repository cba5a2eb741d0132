// index.yaml read one chart at a time. Parsing a whole index at once builds every field of every
// version before the slim copy is made: measured on a 5 MB index, ~5 s of one synchronous call
// (the controller's event loop stopped: no watch, no reconcile, no API answer) and ~200 MB above
// the process's resident size — for a 50 MB index, a minute and gigabytes. Helm and every index
// writer we know put `entries:` at column 0 and each chart's key at an indent of two spaces, so
// the text splits at those lines into one small YAML document per chart: peak memory is one
// chart's versions, and the parse yields to the event loop between charts. In block YAML a line
// at indent 2 inside `entries:` can only be a key of that mapping (nested content, block scalars
// included, is indented further), so the split is exact; any other layout, or a chunk that does
// not parse on its own (an alias to another chart's anchor), falls back to the whole-text parse.
import { parse } from "yaml";
import type { ChartVersionEntry, IndexEntries } from "./index-entries.js";
import { addSlimEntries, parseIndexEntries } from "./index-entries.js";

const ENTRIES_LINE = /^entries:[ \t]*(?:#.*)?\r?$/m;

/** [start, end) of each chart's block inside `entries:`, or undefined for another layout. */
export function chartBlockRanges(text: string): [number, number][] | undefined {
  const found = ENTRIES_LINE.exec(text);
  if (!found) return undefined;
  const ranges: [number, number][] = [];
  let blockStart = -1;
  let at = found.index + found[0].length + 1;
  while (at < text.length) {
    const newline = text.indexOf("\n", at);
    const lineEnd = newline < 0 ? text.length : newline;
    const first = text[at];
    const blank = /^[ \t]*(?:#.*)?\r?$/.test(text.slice(at, Math.min(lineEnd, at + 256)));
    if (!blank && first !== " ") break; // column-0 content: the next top-level key
    const third = text[at + 2];
    const chartKey = text.startsWith("  ", at) && third !== undefined && !" \t-#\r\n".includes(third);
    if (chartKey) {
      if (blockStart >= 0) ranges.push([blockStart, at]);
      blockStart = at;
    } else if (!blank && blockStart < 0) {
      return undefined; // content before the first chart key: not the two-space layout
    }
    at = lineEnd + 1;
  }
  if (blockStart >= 0) ranges.push([blockStart, Math.min(at, text.length)]);
  return ranges;
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** parseIndexEntries, one chart at a time, yielding to the event loop every ~20 ms. */
export async function parseIndexEntriesByChart(text: string, repoURL: string): Promise<IndexEntries> {
  const ranges = chartBlockRanges(text);
  if (!ranges) return parseIndexEntries(text, repoURL);
  const slim = new Map<string, ChartVersionEntry[]>();
  let since = performance.now();
  for (const [start, end] of ranges) {
    let doc: unknown;
    try {
      doc = parse(text.slice(start, end), { schema: "failsafe", maxAliasCount: 100, uniqueKeys: false });
    } catch {
      return parseIndexEntries(text, repoURL); // reports the error as the whole index sees it
    }
    if (typeof doc !== "object" || doc === null || Array.isArray(doc))
      return parseIndexEntries(text, repoURL);
    addSlimEntries(slim, doc as Record<string, unknown>);
    if (performance.now() - since > 20) {
      await yieldToEventLoop();
      since = performance.now();
    }
  }
  return slim;
}
