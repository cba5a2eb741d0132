// A readable line diff of two objects rendered as YAML, for the CLI and UI: "- " lines only in
// `a`, "+ " lines only in `b`, "  " common lines, and "@@ -l,n +l,n @@" headers between hunks.
import YAML from "yaml";
import { type JsonValue, sortKeysDeep } from "./json.js";

export interface YamlDiffOptions {
  /** Unchanged lines kept around each change (default 3); Infinity shows the whole documents. */
  context?: number;
}

type Op = { kind: " " | "-" | "+"; text: string };

/** Above this many DP cells (lines × lines) the middle is shown as removed-then-added. */
const MAX_LCS_CELLS = 4_000_000;

function toLines(value: JsonValue | undefined): string[] {
  if (value === undefined) return [];
  return YAML.stringify(sortKeysDeep(value), { lineWidth: 0 }).replace(/\n$/, "").split("\n");
}

/** Longest-common-subsequence line diff, after trimming the common prefix and suffix. */
function diffLines(a: string[], b: string[]): Op[] {
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const midA = a.slice(start, endA);
  const midB = b.slice(start, endB);
  const head: Op[] = a.slice(0, start).map((text) => ({ kind: " ", text }));
  const tail: Op[] = a.slice(endA).map((text) => ({ kind: " ", text }));
  const n = midA.length;
  const m = midB.length;
  if (n * m > MAX_LCS_CELLS) {
    const removed: Op[] = midA.map((text) => ({ kind: "-", text }));
    const added: Op[] = midB.map((text) => ({ kind: "+", text }));
    return [...head, ...removed, ...added, ...tail];
  }
  // lcs[i*(m+1)+j] = LCS length of midA[i..] and midB[j..]
  const lcs = new Uint32Array((n + 1) * (m + 1));
  const at = (i: number, j: number): number => lcs[i * (m + 1) + j] ?? 0;
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i * (m + 1) + j] =
        midA[i] === midB[j] ? at(i + 1, j + 1) + 1 : Math.max(at(i + 1, j), at(i, j + 1));
    }
  }
  const middle: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (midA[i] === midB[j]) {
      middle.push({ kind: " ", text: midA[i] as string });
      i++;
      j++;
    } else if (at(i + 1, j) >= at(i, j + 1)) {
      middle.push({ kind: "-", text: midA[i++] as string });
    } else {
      middle.push({ kind: "+", text: midB[j++] as string });
    }
  }
  while (i < n) middle.push({ kind: "-", text: midA[i++] as string });
  while (j < m) middle.push({ kind: "+", text: midB[j++] as string });
  return [...head, ...middle, ...tail];
}

/** Unified diff convention: an empty range names the line *before* it (0 at the top). */
function range(start: number, count: number): string {
  return `${count === 0 ? start - 1 : start},${count}`;
}

/** Groups ops into hunks with `context` unchanged lines around changes. */
function hunks(ops: Op[], context: number): string[] {
  const keep = ops.map(() => false);
  ops.forEach((op, index) => {
    if (op.kind === " ") return;
    for (let k = Math.max(0, index - context); k <= Math.min(ops.length - 1, index + context); k++)
      keep[k] = true;
  });
  const out: string[] = [];
  let lineA = 1;
  let lineB = 1;
  let index = 0;
  while (index < ops.length) {
    if (!keep[index]) {
      const op = ops[index] as Op;
      if (op.kind !== "+") lineA++;
      if (op.kind !== "-") lineB++;
      index++;
      continue;
    }
    const body: string[] = [];
    const startA = lineA;
    const startB = lineB;
    while (index < ops.length && keep[index]) {
      const op = ops[index] as Op;
      body.push(`${op.kind} ${op.text}`);
      if (op.kind !== "+") lineA++;
      if (op.kind !== "-") lineB++;
      index++;
    }
    out.push(`@@ -${range(startA, lineA - startA)} +${range(startB, lineB - startB)} @@`, ...body);
  }
  return out;
}

/**
 * The line diff of `a` (before) and `b` (after) as YAML with sorted keys. Empty string when equal.
 * An undefined side is an empty document (object created or deleted).
 */
export function yamlDiff(
  a: JsonValue | undefined,
  b: JsonValue | undefined,
  options: YamlDiffOptions = {},
): string {
  const ops = diffLines(toLines(a), toLines(b));
  if (ops.every((op) => op.kind === " ")) return "";
  const context = options.context ?? 3;
  const lines = Number.isFinite(context) ? hunks(ops, context) : ops.map((op) => `${op.kind} ${op.text}`);
  return `${lines.join("\n")}\n`;
}
