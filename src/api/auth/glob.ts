// A tiny glob matcher for RBAC patterns: `*` matches any run of characters except `/`, `?` one
// character except `/`; everything else is literal. No regular expressions (nothing to backtrack
// catastrophically on hostile patterns) and no negation, braces or character classes, so a
// policy means exactly what it looks like. Linear-time greedy matching with one backtrack point.

export const GLOB_PATTERN = /^[A-Za-z0-9._*?-]+$/;

/** Matches one segment (no `/`) against a pattern of the same alphabet. */
function matchSegment(pattern: string, text: string): boolean {
  let p = 0;
  let t = 0;
  let star = -1;
  let mark = 0;
  while (t < text.length) {
    const pc = pattern[p];
    if (pc !== undefined && (pc === "?" || pc === text[t])) {
      p++;
      t++;
    } else if (pc === "*") {
      star = p++;
      mark = t;
    } else if (star >= 0) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (pattern[p] === "*") p++;
  return p === pattern.length;
}

/** Matches `a/b`-style names segment by segment; the segment counts must agree. */
export function globMatch(pattern: string, text: string): boolean {
  const patterns = pattern.split("/");
  const parts = text.split("/");
  if (patterns.length !== parts.length) return false;
  return patterns.every((p, i) => {
    const part = parts[i];
    return part !== undefined && !part.includes("/") && matchSegment(p, part);
  });
}
